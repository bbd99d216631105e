"""Building blocks for safety tests: matched chats, flags, staff presence."""

from __future__ import annotations

from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import Offer, OfferStatus
from chat.services.messages import message_send
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from safety.models import SafetyFlag
from support.models import Connection
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, open_shift

CRISIS = "i want to kill myself"
IMMINENT = "i have the pills saved up and tonight is the night"


def present(user, *, seen=None) -> Connection:
    return Connection.objects.create(
        user=user, channel_name=f"test.{user.pk}.{Connection.objects.count()}", last_seen_at=seen or timezone.now()
    )


def listener_on_shift(*, topics=("anxiety",), capacity=2):
    listener = ListenerFactory()
    open_shift(listener, topics=topics, capacity=capacity)
    present(listener)
    return listener


def matched_pair(*, topic="anxiety", seeker=None, listener=None):
    """A seeker and a listener in an active conversation, through the real request/offer path."""
    listener = listener or listener_on_shift(topics=(topic,))
    seeker = seeker or SeekerFactory()
    request_create(seeker=seeker, topic_slug=topic)
    requests_dispatch()
    offer = Offer.objects.get(listener=listener, status=OfferStatus.PENDING)
    conversation = offer_accept(listener=listener, offer_id=offer.pk)
    return seeker, listener, conversation


def flagged_pair(*, text: str = CRISIS):
    """A matched pair where the seeker wrote something the classifier flags."""
    seeker, listener, conversation = matched_pair()
    result = message_send(sender=seeker, conversation_id=conversation.pk, client_id="crisis-1", text=text)
    flag = SafetyFlag.objects.get(message=result.message)
    return seeker, listener, conversation, flag


def staff_member(**kwargs):
    return StaffFactory(email=kwargs.pop("email", ""), **kwargs)
