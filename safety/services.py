"""Writes for safety: flags and the alerts they raise."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from safety.models import FlagSource, SafetyFlag
from support.events import send_event_on_commit

STAFF_GROUP = "safety.staff"
EXCERPT_CHARS = 200


def alert_payload(flag: SafetyFlag, *, topic_slug: str | None) -> dict:
    return {
        "id": flag.pk,
        "level": flag.level,
        "categories": list(flag.categories),
        "reason": flag.reason,
        "excerpt": flag.excerpt,
        "topic": topic_slug,
        "conversation": flag.conversation_id,
        "status": flag.status,
        "created_at": flag.created_at.isoformat().replace("+00:00", "Z"),
        "link": f"/staff/flags/{flag.pk}",
    }


def flag_create_for_message(*, message, conversation, screening) -> SafetyFlag:
    """Record a classifier flag for ``message``; must run in the message's transaction.

    The flag and the message commit together or not at all. The staff alert
    is sent after commit; unacknowledged flags stay in the review queue and
    are re-sent by the re-notify job, so a lost real-time event loses nothing.
    """
    assert transaction.get_connection().in_atomic_block, "flag_create_for_message needs the message's transaction"
    assessment = screening.assessment
    flag = SafetyFlag.objects.create(
        conversation=conversation,
        message=message,
        subject=message.sender,
        source=FlagSource.CLASSIFIER,
        level=int(assessment.level),
        categories=sorted(category.value for category in assessment.categories),
        reason=assessment.reason[:300],
        excerpt=screening.text[:EXCERPT_CHARS],
        last_notified_at=timezone.now(),
    )
    if not conversation.escalated:
        type(conversation).objects.filter(pk=conversation.pk).update(escalated=True)
        conversation.escalated = True
    if message.sender_role == "seeker":
        from chat.services.requests import request_raise_urgent

        request_raise_urgent(seeker_id=message.sender_id)
    topic_slug = conversation.topic.slug if conversation.topic_id else None
    send_event_on_commit(STAFF_GROUP, {"type": "deliver", "frame": {"type": "alert.created", "alert": alert_payload(flag, topic_slug=topic_slug)}})
    return flag


def flag_create_for_room_message(*, message, room, screening) -> SafetyFlag:
    """Record a classifier flag for a held group-room message; must run in the message's transaction.

    Room messages are not ``chat.Message`` rows, so the flag has no
    conversation or message; the room side links the message to the flag
    (``rooms.RoomMessage.flag``). The staff alert names the room and the
    message's ``seq`` and is sent after commit, like a one-to-one flag.
    """
    assert transaction.get_connection().in_atomic_block, "flag_create_for_room_message needs the message's transaction"
    assessment = screening.assessment
    categories = {category.value for category in assessment.categories}
    if screening.has_personal_info:
        categories.add("personal_info")
    reason = assessment.reason or ("Personal information in a group room" if screening.has_personal_info else "")
    flag = SafetyFlag.objects.create(
        subject=message.sender,
        source=FlagSource.CLASSIFIER,
        level=int(assessment.level),
        categories=sorted(categories),
        reason=f"Group room {room.pk}: {reason}"[:300],
        excerpt=screening.text[:EXCERPT_CHARS],
        last_notified_at=timezone.now(),
    )
    alert = alert_payload(flag, topic_slug=room.topic.slug)
    alert["room"] = {"id": room.pk, "name": room.name, "audience": room.audience, "seq": message.seq}
    send_event_on_commit(STAFF_GROUP, {"type": "deliver", "frame": {"type": "alert.created", "alert": alert}})
    return flag
