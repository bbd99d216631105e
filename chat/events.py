"""Event helpers for chat: frames to a conversation's sockets or to one user's sockets."""

from __future__ import annotations

from support.events import send_event_on_commit
from support.session_events import user_group


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def conversation_event(conversation_id: int, frame: dict, *, skip_origin: bool = False) -> None:
    """Deliver ``frame`` to every socket that joined the conversation (after commit).

    ``skip_origin``: the socket whose frame caused this one sends it as its direct
    reply (with the ``ref``), so it skips this copy (``support.events.publish``
    stamps the acting socket's channel as ``origin``).
    """
    frame.setdefault("conversation", conversation_id)
    event = {"type": "deliver", "conversation": conversation_id, "frame": frame}
    if skip_origin:
        event["skip_origin"] = True
    send_event_on_commit(conversation_group(conversation_id), event)


def user_event(user_id: int, frame: dict) -> None:
    """Deliver ``frame`` to every socket of one user (after commit)."""
    send_event_on_commit(user_group(user_id), {"type": "deliver", "frame": frame})


def user_join_conversation(user_id: int, conversation_id: int, *, state: dict | None = None) -> None:
    """Tell a user's sockets to join a conversation and send its state (after commit).

    ``state``, the frame as this user should see it, saves the sockets that already joined
    the conversation a read of their own (a seeker's, at the match: they joined it when
    they asked); the others still read it after joining, so no message falls between.
    """
    event = {"type": "conversation.join", "conversation": conversation_id}
    if state is not None:
        event["state"] = state
    send_event_on_commit(user_group(user_id), event)


def user_leave_conversation(user_id: int, conversation_id: int, frame: dict | None = None) -> None:
    send_event_on_commit(
        user_group(user_id), {"type": "conversation.leave", "conversation": conversation_id, "frame": frame}
    )
