"""How long conversations are kept, and a seeker deleting their own history."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from safety.models import FlagStatus, Report, SafetyFlag
from support.errors import DomainError

ONLY_SEEKERS = "Only seekers can delete their chat history here."


def _under_review():
    """Conversations with an unresolved flag (reports always join a flag; an unflagged report counts too)."""
    return Exists(
        SafetyFlag.objects.filter(conversation=OuterRef("pk")).exclude(status=FlagStatus.RESOLVED)
    ) | Exists(Report.objects.filter(conversation=OuterRef("pk"), flag__isnull=True))


def retention_run(*, now=None) -> int:
    """Delete ended conversations (with their messages) older than ``SAFETY_RETENTION_DAYS``.

    One under open review is kept; a flagged one is kept until its last flag
    was resolved more than the same period ago. Audit records are not touched.
    Returns how many conversations were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SAFETY_RETENTION_DAYS)
    recently_resolved = Exists(SafetyFlag.objects.filter(conversation=OuterRef("pk"), resolved_at__gt=cutoff))
    with transaction.atomic():
        ids = list(
            Conversation.objects.filter(status=ConversationStatus.ENDED, ended_at__lt=cutoff)
            .exclude(_under_review())
            .exclude(recently_resolved)
            .values_list("pk", flat=True)[:5000]
        )
        Conversation.objects.filter(pk__in=ids).delete()
    return len(ids)


def history_delete_for_seeker(*, seeker, now=None) -> dict:
    """Delete a seeker's ended conversations now, except those under open review; open chats stay too.

    Returns counts for the response: deleted, kept under review, kept open.
    """
    if not seeker.is_seeker:
        raise DomainError("forbidden", ONLY_SEEKERS, status=403)
    with transaction.atomic():
        mine = Conversation.objects.select_for_update().filter(seeker=seeker)
        open_count = mine.filter(~Q(status=ConversationStatus.ENDED)).count()
        ended = mine.filter(status=ConversationStatus.ENDED)
        under_review = ended.filter(_under_review()).count()
        ids = list(ended.exclude(_under_review()).values_list("pk", flat=True))
        Conversation.objects.filter(pk__in=ids).delete()
    return {"deleted": len(ids), "kept_under_review": under_review, "kept_open": open_count}
