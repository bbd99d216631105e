"""Rules with one home: request priority, place in line, cancellation, mute in force (and the SQL that must agree)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.matching import line_places
from chat.message_sql import conversation_for_sender
from chat.models import ChatRequest, Offer, OfferStatus, RequestPriority, RequestStatus, request_priority
from chat.selectors import queue_position
from chat.services.conversations import conversation_requests_cancel
from chat.services.requests import request_create
from safety.models import Sanction, SanctionKind
from safety.selectors import sanction_active_mute
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for
from tests.factories import SeekerFactory, StaffFactory


def test_request_priority_puts_urgent_before_returning_before_everyone_else():
    assert request_priority(urgent=False) == RequestPriority.NORMAL
    assert request_priority(urgent=False, returning=True) == RequestPriority.RETURNING
    assert request_priority(urgent=True) == RequestPriority.URGENT
    assert request_priority(urgent=True, returning=True) == RequestPriority.URGENT


def test_line_places_count_those_ahead_on_the_same_topic_or_any_topic():
    places = line_places([(1, 10), (2, 20), (3, None), (4, 10), (5, 20), (6, None)])
    assert places == {1: 1, 2: 1, 3: 3, 4: 3, 5: 3, 6: 6}


@pytest.mark.django_db
def test_the_one_request_place_in_line_agrees_with_line_places():
    """``queue_position`` (one request, counted in one statement) against the one rule."""
    now = timezone.now()
    shape = [
        ("anxiety", RequestPriority.NORMAL),
        ("grief-and-loss", RequestPriority.NORMAL),
        (None, RequestPriority.NORMAL),
        ("anxiety", RequestPriority.URGENT),
        ("grief-and-loss", RequestPriority.RETURNING),
        ("anxiety", RequestPriority.NORMAL),
        (None, RequestPriority.RETURNING),
        ("anxiety", RequestPriority.NORMAL),
    ]
    requests = []
    for minutes_ago, (topic, priority) in zip(range(len(shape), 0, -1), shape):
        request = request_create(seeker=SeekerFactory(), topic_slug=topic, now=now - timedelta(minutes=minutes_ago))
        ChatRequest.objects.filter(pk=request.pk).update(priority=priority)
        requests.append(request)
    away = requests.pop(2)  # a seeker away from the line is not counted by either
    ChatRequest.objects.filter(pk=away.pk).update(away_since=now)
    line = ChatRequest.objects.filter(
        status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], away_since__isnull=True
    ).order_by("-priority", "queued_at", "pk")
    expected = line_places((request.pk, request.topic_id) for request in line)
    assert {request.pk: queue_position(request) for request in line} == expected
    assert sorted(set(expected.values())) != [1]  # the line is not trivial


@pytest.mark.django_db
def test_every_way_out_cancels_open_requests_and_withdraws_their_offers_alike():
    """Leaving the line, ending the chat, a requeue and a staff take-over share one cancellation."""
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    now = timezone.now()
    conversation_requests_cancel(request.conversation, now=now)
    request.refresh_from_db()
    assert (request.status, request.closed_at) == (RequestStatus.CANCELLED, now)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN


@pytest.mark.django_db
def test_the_message_paths_mute_check_agrees_with_the_mute_in_force_rule():
    """``chat.message_sql`` reads the mute in force inside its sender check on every message, through
    the subquery safety installs (``chat.mutes``); the rule is ``safety.selectors.sanction_active_mute``."""
    seeker, listener, conversation = matched_pair()
    staff = StaffFactory()
    now = timezone.now()

    def sanction(kind, *, minutes, lifted=False):
        Sanction.objects.create(
            subject=seeker,
            kind=kind,
            note="x",
            created_by=staff,
            created_at=now - timedelta(hours=1),
            expires_at=now + timedelta(minutes=minutes),
            lifted_at=now if lifted else None,
        )

    def both(at):
        in_sql = conversation_for_sender(user_id=seeker.pk, conversation_id=conversation.pk, now=at).sender_muted_until
        mute = sanction_active_mute(seeker.pk, now=at)
        return in_sql, mute.expires_at if mute else None

    assert both(now) == (None, None)
    sanction(SanctionKind.MUTE, minutes=-1)  # expired
    sanction(SanctionKind.MUTE, minutes=90, lifted=True)
    sanction(SanctionKind.WARNING, minutes=120)
    assert both(now) == (None, None)
    sanction(SanctionKind.MUTE, minutes=30)
    sanction(SanctionKind.MUTE, minutes=60)
    for at in (now, now + timedelta(minutes=45), now + timedelta(minutes=60), now + timedelta(minutes=61)):
        in_sql, in_orm = both(at)
        assert in_sql == in_orm, at
    assert both(now)[1] == now + timedelta(minutes=60)
    assert both(now + timedelta(minutes=60)) == (None, None)
