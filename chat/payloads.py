"""Frame and REST payloads, built in one place so both speak the same shapes."""

from __future__ import annotations

from chat.models import ChatRequest, Conversation, EndReason, Message, Offer
from support.paging import budget_for, take_within
from support.ws import PROTOCOL_VERSION


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _sender_alias(message: Message) -> str:
    known = getattr(message, "sender_alias", None)  # set by the transcript read: no query for the user
    if known is not None:
        return known
    return message.sender.alias if message.sender_id else ""


def message_payload(message: Message, *, conversation_id: int | None = None, sender_alias: str | None = None) -> dict:
    return {
        "conversation": conversation_id or message.conversation_id,
        "seq": message.seq,
        "kind": message.kind,
        "sender_role": message.sender_role,
        "sender_alias": sender_alias if sender_alias is not None else _sender_alias(message),
        "text": message.text,
        "client_id": message.client_id or None,
        "masked": message.masked,
        "for_role": message.for_role or None,
        "created_at": _iso(message.created_at),
    }


def conversation_payload(conversation: Conversation, *, for_user_id: int, note: str | None = None) -> dict:
    """The conversation as ``for_user_id`` sees it. A listener also gets ``note``, the seeker's opening
    note (``chat.selectors.opening_notes``), when the caller read it."""
    role = conversation.role_of(for_user_id)
    peer = None
    if role == "seeker" and conversation.listener_id:
        peer = {"alias": conversation.listener.alias, "role": "listener"}
    elif role == "listener":
        peer = {"alias": conversation.seeker.alias, "role": "seeker", "age_group": conversation.seeker.age_group}
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "topic": conversation.topic.slug if conversation.topic_id else None,
        "your_role": role,
        "peer": peer,
        "last_seq": conversation.last_seq,
        "read_seq": {"seeker": conversation.seeker_read_seq, "listener": conversation.listener_read_seq},
        "created_at": _iso(conversation.created_at),
        "started_at": _iso(conversation.started_at),
        "ended_at": _iso(conversation.ended_at),
        "end_reason": conversation.end_reason or None,
        "end_reason_text": EndReason(conversation.end_reason).label if conversation.end_reason else None,
        **({"note": note} if role == "listener" and note is not None else {}),
    }


def messages_page(messages, *, conversation_id: int, envelope: dict, after_seq: int, last_seq: int) -> dict:
    """``envelope`` completed with ``messages`` (oldest first, as many as fit in one frame),
    ``has_more`` and ``next_after_seq`` (the ``after_seq`` of the next ``conversation.sync``).

    ``messages`` are the rows after ``after_seq`` in seq order; the page is cut by count
    before (the caller's read) and by bytes here (``support.paging``).
    """
    frame = {**envelope, "messages": [], "has_more": False, "next_after_seq": last_seq}
    payloads = [message_payload(message, conversation_id=conversation_id) for message in messages]
    page = take_within(payloads, budget_for(frame))
    frame["messages"] = page
    frame["next_after_seq"] = page[-1]["seq"] if page else after_seq
    # The rows read may go past the ``last_seq`` the caller read before them: a cut page has more.
    # An empty page never has more (rows removed by retention must not make a client ask for ever).
    frame["has_more"] = bool(page) and frame["next_after_seq"] < max(last_seq, payloads[-1]["seq"])
    return frame


def conversation_state_payload(
    conversation: Conversation, messages, *, for_user_id: int, note: str | None = None
) -> dict:
    """``conversation.waiting`` (no listener yet) or ``conversation.started``, with the first page of
    the transcript (``messages``: the rows from seq 1); ``has_more`` says the client syncs the rest."""
    envelope = {
        "type": "conversation.started" if conversation.listener_id else "conversation.waiting",
        "conversation": conversation_payload(conversation, for_user_id=for_user_id, note=note),
    }
    return messages_page(
        messages, conversation_id=conversation.pk, envelope=envelope, after_seq=0, last_seq=conversation.last_seq
    )


_ENDED_BY = {
    EndReason.SEEKER_ENDED: "seeker",
    EndReason.CANCELLED: "seeker",
    EndReason.LISTENER_ENDED: "listener",
    EndReason.STAFF_ENDED: "staff",
}


def ended_by_for(end_reason: str) -> str:
    """Who ended a chat, as far as its stored reason says: a role, or ``"system"``."""
    return _ENDED_BY.get(end_reason, "system")


def conversation_ended_payload(conversation: Conversation, *, ended_by: str) -> dict:
    """``conversation.ended`` for an ended ``conversation``; ``ended_by`` is a role or ``"system"``."""
    return {
        "type": "conversation.ended",
        "conversation": conversation.pk,
        "reason": conversation.end_reason,
        "reason_text": EndReason(conversation.end_reason).label if conversation.end_reason else "",
        "ended_by": ended_by,
        "last_seq": conversation.last_seq,
    }


def request_payload(
    request: ChatRequest, *, position: int | None = None, estimate=None, alternatives: dict | None = None
) -> dict:
    """``estimate`` is a ``chat.waiting.WaitEstimate`` (None: not worked out for this frame)."""
    return {
        "id": request.pk,
        "conversation": request.conversation_id,
        "status": request.status,
        "topic": request.topic.slug if request.topic_id else None,
        "listener": request.requested_listener.alias if request.requested_listener_id else None,
        "urgent": request.priority == 2,
        "position": position,
        "estimated_wait_seconds": estimate.seconds if estimate is not None else None,
        "estimated_wait_range_seconds": list(estimate.range_seconds)
        if estimate is not None and estimate.range_seconds
        else None,
        "eligible_on_shift": estimate.eligible_on_shift if estimate is not None else None,
        "alternatives": alternatives,
        "away": request.away_since is not None,
        "created_at": _iso(request.created_at),
        "widen_suggested": request.widen_offered_at is not None and request.requested_listener_id is not None,
    }


def offer_payload(offer: Offer, *, now) -> dict:
    request = offer.request
    return {
        "id": offer.pk,
        "kind": "transfer" if request.transfer_from_id else "new",
        "topic": request.topic.slug if request.topic_id else None,
        "note": request.note,
        "age_group": request.age_group,
        "waited_seconds": max(0, int((now - request.queued_at).total_seconds())),
        "expires_at": _iso(offer.expires_at),
        "expires_in_seconds": max(0, int((offer.expires_at - now).total_seconds())),
        "urgent": request.priority == 2,
        "direct": request.requested_listener_id is not None,
    }


def hello_payload(user, state) -> dict:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "user": {"id": user.pk, "alias": user.alias, "role": user.role, "age_group": user.age_group or None},
        "conversations": state.conversations,
        "request": state.request,
        "offers": state.offers,
        "shift": state.shift,
        "pauses": state.pauses,
        "queue_sizes": state.queue_sizes,
        "risk": state.risk,
        "warnings": state.warnings,
    }
