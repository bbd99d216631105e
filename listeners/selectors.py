"""Reads for the listener program, including the matching candidates."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from chat.matching import Candidate
from listeners.models import ListenerStatus, Shift
from support.models import Connection


def shift_open_for(listener_id: int) -> Shift | None:
    return Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True).first()


def shift_payload(shift: Shift | None) -> dict | None:
    if shift is None:
        return None
    ends_at = shift.started_at + timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    return {
        "id": shift.pk,
        "topics": sorted(topic.slug for topic in shift.topics.all()),
        "capacity": shift.capacity,
        "started_at": shift.started_at.isoformat().replace("+00:00", "Z"),
        "max_end_at": ends_at.isoformat().replace("+00:00", "Z"),
        "chats_taken": shift.chats_taken,
        "chats_escalated": shift.chats_escalated,
    }


def shift_payload_for_listener(user) -> dict | None:
    if not user.is_listener:
        return None
    return shift_payload(shift_open_for(user.pk))


def listener_candidates(*, now=None) -> list[Candidate]:
    """Every listener on an open shift who is connected, with their load now.

    Load counts active chats plus pending offers: an offer holds a seat so a
    listener is never offered more than their capacity.
    """
    now = now or timezone.now()
    grace_cutoff = now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS)
    max_start = now - timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    shifts = list(
        Shift.objects.filter(ended_at__isnull=True, listener__is_active=True)
        .select_related("listener__listener_profile")
        .prefetch_related("topics")
    )
    if not shifts:
        return []
    listener_ids = [shift.listener_id for shift in shifts]
    present = set(
        Connection.objects.filter(user_id__in=listener_ids, last_seen_at__gte=grace_cutoff).values_list("user_id", flat=True)
    )
    from chat.models import Conversation, ConversationStatus, Offer, OfferStatus

    active = dict(
        Conversation.objects.filter(listener_id__in=listener_ids, status=ConversationStatus.ACTIVE)
        .values("listener_id")
        .annotate(n=Count("id"))
        .values_list("listener_id", "n")
    )
    pending = dict(
        Offer.objects.filter(listener_id__in=listener_ids, status=OfferStatus.PENDING)
        .values("listener_id")
        .annotate(n=Count("id"))
        .values_list("listener_id", "n")
    )
    today = dict(
        Offer.objects.filter(listener_id__in=listener_ids, status=OfferStatus.ACCEPTED, answered_at__gte=day_start)
        .values("listener_id")
        .annotate(n=Count("id"))
        .values_list("listener_id", "n")
    )
    candidates = []
    for shift in shifts:
        profile = getattr(shift.listener, "listener_profile", None)
        if profile is None or profile.status != ListenerStatus.ACTIVE or not profile.is_trained:
            continue
        available = (
            shift.listener_id in present
            and shift.started_at > max_start
            and (profile.paused_until is None or profile.paused_until <= now)
            and today.get(shift.listener_id, 0) < settings.LISTENERS_DAILY_CHAT_CAP
        )
        candidates.append(
            Candidate(
                listener_id=shift.listener_id,
                topic_ids=frozenset(topic.pk for topic in shift.topics.all()),
                capacity=shift.capacity,
                load=active.get(shift.listener_id, 0) + pending.get(shift.listener_id, 0),
                idle_since=shift.idle_since,
                approved_for_teens=profile.approved_for_teens,
                approved_for_adults=profile.approved_for_adults,
                accepts_direct_requests=profile.accepts_direct_requests,
                available=available,
            )
        )
    return candidates


def blocked_pairs(seeker_ids) -> set[tuple[int, int]]:
    """(seeker, listener) pairs where either blocked the other."""
    from safety.models import Block

    pairs = set()
    for blocker, blocked in Block.objects.filter(Q(blocker_id__in=seeker_ids) | Q(blocked_id__in=seeker_ids)).values_list(
        "blocker_id", "blocked_id"
    ):
        pairs.add((blocker, blocked))
        pairs.add((blocked, blocker))
    return pairs
