"""Writes for the listener program: shifts (training, ratings and the rest join here)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.events import user_event
from listeners.models import ListenerProfile, Shift, ShiftEndReason
from listeners.selectors import shift_payload
from support.errors import DomainError
from support.models import Role, Topic

NOT_A_LISTENER = "Only listeners take shifts."
NOT_TRAINED = "Finish the listener training (and approval) before your first shift."
ALREADY_ON_SHIFT = "You're already on shift."
NO_TOPICS = "Choose at least one topic for this shift."
BAD_CAPACITY = "Capacity is between 1 and 5 chats at once."
NOT_ON_SHIFT = "You're not on shift."


def shift_start(*, listener, topic_slugs: list[str], capacity: int, now=None) -> Shift:
    """Open a shift. Only an active, trained listener; one open shift at a time (constraint-backed)."""
    now = now or timezone.now()
    if listener.role != Role.LISTENER:
        raise DomainError("not_a_listener", NOT_A_LISTENER, status=403)
    profile = ListenerProfile.objects.filter(user_id=listener.pk).first()
    if profile is None or not profile.may_take_chats:
        raise DomainError("not_trained", NOT_TRAINED, status=403)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 5:
        raise DomainError("invalid_capacity", BAD_CAPACITY, field="capacity")
    if not isinstance(topic_slugs, list) or not topic_slugs or not all(isinstance(s, str) for s in topic_slugs):
        raise DomainError("no_topics", NO_TOPICS, field="topics")
    topics = list(Topic.objects.filter(slug__in=topic_slugs, is_active=True))
    if len(topics) != len(set(topic_slugs)):
        raise DomainError("unknown_topic", "One of those topics doesn't exist.", field="topics")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(listener=listener, capacity=capacity, started_at=now, idle_since=now)
            shift.topics.set(topics)
            user_event(listener.pk, {"type": "shift.started", "shift": shift_payload(shift)})
    except IntegrityError:
        raise DomainError("already_on_shift", ALREADY_ON_SHIFT, status=409) from None
    return shift


def shift_end(*, listener, reason: str = ShiftEndReason.ENDED_BY_LISTENER, now=None) -> Shift:
    """Close the open shift: pending offers are withdrawn (their seekers keep their place).

    Active chats continue to their natural end; when the shift ends because
    the listener is gone (``connection_lost``/``suspended``) the caller
    requeues those chats too.
    """
    from chat.models import Offer, OfferStatus
    from chat.services.offers import _offer_release

    now = now or timezone.now()
    with transaction.atomic():
        shift = Shift.objects.select_for_update().filter(listener_id=listener.pk, ended_at__isnull=True).first()
        if shift is None:
            raise DomainError("not_on_shift", NOT_ON_SHIFT, status=409)
        for offer in Offer.objects.select_for_update().filter(listener_id=listener.pk, status=OfferStatus.PENDING):
            _offer_release(offer, OfferStatus.WITHDRAWN, now=now)
            user_event(listener.pk, {"type": "offer.withdrawn", "offer": offer.pk, "reason": "shift_ended"})
        shift.ended_at = now
        shift.end_reason = reason
        shift.save(update_fields=["ended_at", "end_reason"])
        user_event(listener.pk, {"type": "shift.ended", "shift": shift_payload(shift), "reason": reason})
        return shift
