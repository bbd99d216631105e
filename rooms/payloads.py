"""Room frame and REST payloads, built in one place so both speak the same shapes."""

from __future__ import annotations

from rooms.models import Room, RoomMessage, RoomMessageStatus


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def message_payload(message: RoomMessage, *, full: bool, sender_alias: str | None = None) -> dict:
    """One room message as a viewer sees it.

    ``full`` is for moderators and for the sender: they see a held or hidden
    message's text. Everyone else gets a placeholder that keeps the ``seq``
    (so sequence numbers stay gap-free) without the text or who wrote it.
    A removed message is blank for everyone.
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
    return {
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
                "full": state.member_count >= room.capacity,
            }
        )
    return payload
