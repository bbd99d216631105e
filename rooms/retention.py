"""Retention of group-room data (docs/privacy.md), registered with ``safety.retention`` from ``RoomsConfig.ready()``.

Rooms sit above safety, so safety's retention cannot import them: these
rules and the rooms part of deleting an account are handed to it instead.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from rooms.models import (
    ModerationAction,
    RoomMembership,
    RoomMessage,
    RoomMessageReport,
    RoomMessageStatus,
    RoomModerationAction,
    RoomPresence,
)
from rooms.services import room_leave
from safety.models import FlagStatus, SafetyFlag
from safety.retention import AccountPart, RetentionRule


def message_under_review(message_ref: str = "pk"):
    """A room message held by the screening, hidden after reports, or with an unresolved safety flag."""
    return Exists(
        RoomMessage.objects.filter(pk=OuterRef(message_ref)).filter(
            Q(status__in=[RoomMessageStatus.HELD, RoomMessageStatus.HIDDEN])
            | Exists(SafetyFlag.objects.filter(pk=OuterRef("flag_id")).exclude(status=FlagStatus.RESOLVED))
        )
    )


def _messages_due(now):
    cutoff = now - timedelta(days=settings.SAFETY_RETENTION_ROOM_MESSAGE_DAYS)
    return RoomMessage.objects.filter(created_at__lt=cutoff).exclude(message_under_review())


def _removal_excerpts_due(now):
    """The excerpt a removal kept, once the removed message's review ended.

    A removal of a flagged message is reviewed by safety staff: its excerpt
    goes when the flag is resolved. An unflagged removal (a moderator acting
    on reports) is the review itself; its excerpt stays
    ``SAFETY_RETENTION_EXCERPT_DAYS`` so safety staff can check the removal
    in the reported-messages list, then goes.
    """
    cutoff = now - timedelta(days=settings.SAFETY_RETENTION_EXCERPT_DAYS)
    flags = SafetyFlag.objects.filter(room_messages=OuterRef("message_id"))
    return (
        RoomModerationAction.objects.filter(action=ModerationAction.MESSAGE_REMOVED, detail__has_key="excerpt")
        .exclude(Exists(flags.exclude(status=FlagStatus.RESOLVED)))
        .filter(Q(created_at__lt=cutoff) | Exists(flags.filter(status=FlagStatus.RESOLVED)))
    )


def _removal_excerpts_scrub(queryset, now) -> int:
    count = 0
    # Moderation records are append-only through save(); the excerpt is the one part retention takes out.
    for pk, detail in queryset.values_list("pk", "detail"):
        RoomModerationAction.objects.filter(pk=pk).update(detail={k: v for k, v in detail.items() if k != "excerpt"})
        count += 1
    return count


def _moderation_records_due(now):
    return RoomModerationAction.objects.filter(
        created_at__lt=now - timedelta(days=settings.SAFETY_RETENTION_AUDIT_DAYS)
    )


def _presence_due(now):
    return RoomPresence.objects.filter(last_seen_at__lt=now - timedelta(hours=settings.SAFETY_RETENTION_PRESENCE_HOURS))


RULES = (
    RetentionRule("room_messages", _messages_due),
    RetentionRule("room_removal_excerpts", _removal_excerpts_due, _removal_excerpts_scrub),
    RetentionRule("room_moderation_records", _moderation_records_due),
    RetentionRule("room_presence", _presence_due),
)


def _erase(user, now) -> dict[str, int]:
    """A person's room presence, messages, reports and memberships, except messages under review (and reports on them).

    Their room sockets leave through ``room_leave``, so the other members are
    told they left instead of keeping a ghost in their list.
    """
    for channel_name in list(RoomPresence.objects.filter(user=user).values_list("channel_name", flat=True)):
        room_leave(channel_name=channel_name, now=now)
    mine = RoomMessage.objects.filter(sender=user)
    kept = mine.filter(message_under_review()).count()
    _, deleted = mine.exclude(message_under_review()).delete()
    RoomMessageReport.objects.filter(reporter=user).exclude(message_under_review("message_id")).delete()
    RoomMembership.objects.filter(user=user).delete()
    return {"deleted_room_messages": deleted.get(RoomMessage._meta.label, 0), "kept_room_messages": kept}


def _held(now):
    return Exists(RoomMessage.objects.filter(sender=OuterRef("pk")).filter(message_under_review())) | Exists(
        RoomMessageReport.objects.filter(reporter=OuterRef("pk")).filter(message_under_review("message_id"))
    )


def _used_since(cutoff):
    return Exists(
        RoomMembership.objects.filter(user=OuterRef("pk")).filter(
            Q(joined_at__gte=cutoff) | Q(last_message_at__gte=cutoff)
        )
    ) | Exists(RoomPresence.objects.filter(user=OuterRef("pk")))


ACCOUNT_PART = AccountPart(erase=_erase, held=_held, used_since=_used_since)
