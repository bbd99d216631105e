"""Room frame and REST payloads, built in one place so both speak the same shapes."""

from __future__ import annotations

from django.utils import timezone

from rooms.models import Room, RoomMessage, RoomMessageStatus
from safety.payloads import alert_payload


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


ONE_TO_ONE_INVITATION = (
    "A moderator thought you might like to talk one-to-one with a listener, privately, about what you wrote. "
    "Would you like that? If not, you can ignore this."
)
HELD_IMMINENT = "Possible immediate risk (imminent): the writer or someone else may be in danger now."
HELD_ELEVATED = "Possible risk (elevated): the writer may be struggling or at risk."
HELD_PERSONAL = "Contact details or other personal information."
HELD_SCREENING = "Held by the safety screening."
HIDDEN_REPORTS = "Hidden after reports from members."


def invitation_payload(offered, *, topic: str, expires_at) -> dict:
    """A moderator's one-to-one invitation as its member sees it: live in ``room.one_to_one.invited``
    and again in ``room.hello`` while it can still be accepted. Never the moderator's name."""
    return {
        "invitation": offered.pk,
        "topic": topic,
        "message": ONE_TO_ONE_INVITATION,
        "expires_at": iso(expires_at),
    }


def held_reason(message: RoomMessage) -> dict | None:
    """Why a message waits for a moderator (the risk label), or None for one that does not wait.

    For the room's moderators only: the sender and other members never get it.
    """
    from safety.classifier import Level
    from safety.payloads import level_label

    if message.status == RoomMessageStatus.HIDDEN:
        text = HIDDEN_REPORTS
    elif message.status != RoomMessageStatus.HELD:
        return None
    elif message.risk_level >= Level.IMMINENT:
        text = HELD_IMMINENT
    elif message.risk_level >= Level.ELEVATED:
        text = HELD_ELEVATED
    elif message.masked:
        text = HELD_PERSONAL
    else:
        text = HELD_SCREENING
    return {
        "level": message.risk_level,
        "level_label": level_label(message.risk_level),
        "personal_info": message.masked,
        "text": text,
    }


def message_payload(
    message: RoomMessage, *, full: bool, sender_alias: str | None = None, moderator: bool = False
) -> dict:
    """One room message as a viewer sees it.

    ``full`` is for moderators and for the sender: they see a held or hidden
    message's text. Everyone else gets a placeholder that keeps the ``seq``
    (so sequence numbers stay gap-free) without the text or who wrote it.
    A removed message is blank for everyone. ``moderator`` adds ``held_reason`` to a
    held or hidden message (``held_reason``).
    """
    status = message.status
    concealed = status == RoomMessageStatus.REMOVED or (
        status in (RoomMessageStatus.HELD, RoomMessageStatus.HIDDEN) and not full
    )
    if sender_alias is None:
        sender_alias = message.sender.alias if message.sender_id else ""
    if message.kind == "system":
        role = "system"
    else:
        role = "moderator" if message.sender_is_moderator else "member"
    payload = {
        "room": message.room_id,
        "seq": message.seq,
        "kind": message.kind,
        "sender_role": role,
        "sender_alias": "" if concealed else sender_alias,
        "text": "" if concealed else message.text,
        "client_id": (message.client_id or None) if not concealed else None,
        "masked": message.masked,
        "status": status,
        "removed": status == RoomMessageStatus.REMOVED,
        "created_at": iso(message.created_at),
    }
    if moderator:
        reason = held_reason(message)
        if reason is not None:
            payload["held_reason"] = reason
    return payload


def room_payload(room: Room, *, state=None) -> dict:
    """A room summary; ``state`` (a ``rooms.selectors.RoomState``) adds the live part."""
    payload = {
        "id": room.pk,
        "name": room.name,
        "topic": room.topic.slug,
        "audience": room.audience,
        "guideline": room.guideline,
        "capacity": room.capacity,
        "slow_mode_seconds": room.slow_mode_seconds,
        "hours": [
            {
                "weekday": hours.weekday,
                "opens_at": hours.opens_at.strftime("%H:%M"),
                "closes_at": hours.closes_at.strftime("%H:%M"),
            }
            for hours in room.hours.all()
        ],
    }
    if state is not None:
        payload.update(
            {
                "open": state.open,
                "next_opening": iso(state.next_opening),
                "member_count": state.member_count,
                "here_count": state.here_count,
                "full": state.member_count >= room.capacity,
            }
        )
    return payload


def room_context_payload(flag, flagged, messages) -> dict:
    """A room flag's "transcript": the messages around the flagged one, in full (held and hidden texts too)."""
    flagged_seqs = {message.seq for message in messages if message.flag_id is not None}
    body_messages = []
    for message in messages:
        payload = message_payload(message, full=True)
        payload["flagged"] = message.seq in flagged_seqs
        body_messages.append(payload)
    return {
        "room": {"id": flagged.room.pk, "name": flagged.room.name, "audience": flagged.room.audience},
        "messages": body_messages,
        "flag": alert_payload(flag, now=timezone.now()),
    }
