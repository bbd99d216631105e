"""Building blocks for chat tests: listeners on shift and present, requests, matches."""

from __future__ import annotations

from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import Offer, OfferStatus
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from support.models import Connection
from tests.factories import ListenerFactory, SeekerFactory, open_shift


def present(user, *, channel: str | None = None, seen=None) -> None:
    Connection.objects.create(
        user=user,
        channel_name=channel or f"test.{user.pk}.{Connection.objects.count()}",
        last_seen_at=seen or timezone.now(),
    )


def listener_on_shift(*, topics=("anxiety",), capacity=2, teens=False, **profile):
    listener = ListenerFactory(profile__approved_for_teens=teens, **{f"profile__{k}": v for k, v in profile.items()})
    open_shift(listener, topics=topics, capacity=capacity)
    present(listener)
    return listener


def pending_offer_for(listener) -> Offer:
    return Offer.objects.get(listener=listener, status=OfferStatus.PENDING)


def matched_pair(*, topic="anxiety"):
    """A seeker and a listener in an active conversation."""
    listener = listener_on_shift(topics=(topic,))
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug=topic)
    requests_dispatch()
    conversation = offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    request.refresh_from_db()
    return seeker, listener, conversation
