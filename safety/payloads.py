"""Shapes the staff socket and the staff REST API share (built in one place)."""

from __future__ import annotations

from safety.classifier import Level
from safety.links import flag_link
from safety.models import Report, SafetyFlag


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _alias(user) -> str | None:
    return user.alias if user is not None else None


def level_label(level: int) -> str:
    try:
        return Level(level).label
    except ValueError:
        return str(level)


def alert_payload(flag: SafetyFlag, *, topic_slug: str | None = None, now=None, room_message=None) -> dict:
    """One review item as staff see it (``alert`` in frames, an item in the queue).

    A flag raised in a group room has ``room`` (which room, and the flagged message's ``seq``);
    ``room_message`` saves looking it up when the caller has it.
    """
    payload = {
        "id": flag.pk,
        "level": flag.level,
        "level_label": level_label(flag.level),
        "categories": list(flag.categories),
        "source": flag.source,
        "subject_role": flag.subject_role,
        "texts": flag.texts_attached,
        "listener_paused": flag.paused_listener_id is not None,
        "reason": flag.reason,
        "excerpt": flag.excerpt,
        "topic": topic_slug,
        "conversation": flag.conversation_id,
        "status": flag.status,
        "created_at": iso(flag.created_at),
        "acknowledged_at": iso(flag.acknowledged_at),
        "acknowledged_by": _alias(flag.acknowledged_by) if flag.acknowledged_by_id else None,
        "claimed_by": _alias(flag.claimed_by) if flag.claimed_by_id else None,
        "claimed_at": iso(flag.claimed_at),
        "notify_round": flag.notify_round,
        "link": flag_link(flag.pk),
    }
    room_message = room_message or flag_room_message(flag)
    if room_message is not None:
        room = room_message.room
        payload["room"] = {"id": room.pk, "name": room.name, "audience": room.audience, "seq": room_message.seq}
        payload["topic"] = payload["topic"] or room.topic.slug
    if now is not None:
        payload["waiting_seconds"] = max(0, int((now - flag.created_at).total_seconds()))
    return payload


def flag_room_message(flag: SafetyFlag):
    """The group-room message a flag is about, or None (a flag from a one-to-one chat has a conversation).

    Uses the ``room_messages`` prefetch of the queue selectors when there is one; otherwise one query,
    and only for flags without a conversation.
    """
    if flag.conversation_id is not None:
        return None
    prefetched = getattr(flag, "_prefetched_objects_cache", {}).get("room_messages")
    if prefetched is not None:
        return min(prefetched, key=lambda message: message.seq, default=None)
    return flag.room_messages.select_related("room__topic").order_by("seq").first()


def report_staff_payload(report: Report) -> dict:
    return {
        "id": report.pk,
        "reason": report.reason,
        "reason_label": report.get_reason_display(),
        "text": report.text,
        "target": "message" if report.target_key.startswith("message:") else "user",
        "message_seq": report.message.seq if report.message_id else None,
        "created_at": iso(report.created_at),
    }


OUTCOME_TEXT = {
    "under_review": "Under review",
    "action_taken": "Reviewed — action taken",
    "no_action": "Reviewed — no action needed",
}


def report_outcome(report: Report) -> str:
    flag = report.flag
    if flag is None or flag.status != "resolved":
        return "under_review"
    return "action_taken" if flag.action_taken else "no_action"


def report_reporter_payload(report: Report) -> dict:
    """What the reporter sees: their report and the outcome in general terms only."""
    outcome = report_outcome(report)
    return {
        "id": report.pk,
        "reason": report.reason,
        "reason_label": report.get_reason_display(),
        "target": "message" if report.target_key.startswith("message:") else "user",
        "conversation": report.conversation_id,
        "created_at": iso(report.created_at),
        "outcome": outcome,
        "outcome_text": OUTCOME_TEXT[outcome],
    }
