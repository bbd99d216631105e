"""Requests, dispatch and offers through the service functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import (
    ChatRequest,
    Conversation,
    ConversationStatus,
    Offer,
    OfferStatus,
    RequestPriority,
    RequestStatus,
)
from chat.services.offers import offer_accept, offer_decline, offers_expire
from chat.services.requests import ALREADY_WAITING, request_cancel, request_create, request_widen
from safety.classifier import Level
from safety.models import Block
from support.errors import DomainError, NotFoundOrForbidden
from tests.chat.helpers import listener_on_shift, pending_offer_for, present
from tests.factories import ListenerFactory, SeekerFactory, TeenSeekerFactory, open_shift

pytestmark = pytest.mark.django_db


def test_request_creates_a_waiting_conversation_and_one_offer():
    listener = listener_on_shift()
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety", note="exams tomorrow")
    assert request.conversation.status == ConversationStatus.WAITING
    assert requests_dispatch() == 1
    offer = pending_offer_for(listener)
    assert offer.request == request
    request.refresh_from_db()
    assert request.status == RequestStatus.OFFERED
    assert requests_dispatch() == 0  # never offered twice


def test_one_open_request_per_seeker():
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety")
    with pytest.raises(DomainError) as error:
        request_create(seeker=seeker, topic_slug="grief-and-loss")
    assert error.value.code == "already_waiting"
    assert error.value.message == ALREADY_WAITING
    # Nothing of the refused request is kept: no second waiting conversation.
    assert Conversation.objects.filter(seeker=seeker).count() == 1
    assert ChatRequest.objects.filter(seeker=seeker).count() == 1


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"topic_slug": "astrology"}, "unknown_topic"),
        ({"topic_slug": "anxiety", "listener_alias": "Nobody"}, "unknown_listener"),
        ({"topic_slug": "anxiety", "note": "x" * 281}, "note_too_long"),
    ],
)
def test_bad_request_fields_are_refused_with_codes(kwargs, code):
    with pytest.raises(DomainError) as error:
        request_create(seeker=SeekerFactory(), **kwargs)
    assert error.value.code == code
    assert ChatRequest.objects.count() == 0


def test_listener_cannot_request_a_chat():
    with pytest.raises(DomainError) as error:
        request_create(seeker=ListenerFactory(), topic_slug="anxiety")
    assert error.value.code == "forbidden"


def test_accepting_an_offer_starts_the_conversation_and_counts_the_chat():
    listener = listener_on_shift()
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    conversation = offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    assert conversation.status == ConversationStatus.ACTIVE
    assert conversation.listener == listener
    assert listener.shifts.get().chats_taken == 1
    assert ChatRequest.objects.get().status == RequestStatus.MATCHED


def test_declined_offer_goes_to_the_next_listener_and_the_seeker_keeps_their_place():
    first = listener_on_shift()
    second = listener_on_shift()
    early = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=5))
    requests_dispatch()
    offered_to = Offer.objects.get(request=early).listener
    offer_decline(listener=offered_to, offer_id=pending_offer_for(offered_to).pk)
    requests_dispatch()
    other = second if offered_to == first else first
    assert Offer.objects.get(request=early, status=OfferStatus.PENDING).listener == other
    early.refresh_from_db()
    assert early.queued_at < timezone.now() - timedelta(minutes=4)


def test_expired_offer_passes_on_even_when_nobody_sends_anything(settings):
    first = listener_on_shift()
    second = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = Offer.objects.get(request=request)
    assert offers_expire(now=timezone.now() + timedelta(seconds=settings.MATCHING_OFFER_TIMEOUT_SECONDS + 1)) == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    requests_dispatch()
    nxt = Offer.objects.get(request=request, status=OfferStatus.PENDING)
    assert nxt.listener in {first, second} and nxt.listener != offer.listener


def test_expired_offer_cannot_be_accepted(settings):
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    with pytest.raises(DomainError) as error:
        offer_accept(listener=listener, offer_id=offer.pk, now=offer.expires_at + timedelta(seconds=1))
    assert error.value.code == "offer_gone"


def test_another_listener_cannot_accept_someone_elses_offer():
    listener = listener_on_shift()
    intruder = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = Offer.objects.get()
    other = intruder if offer.listener == listener else listener
    with pytest.raises(NotFoundOrForbidden):
        offer_accept(listener=other, offer_id=offer.pk)


def test_a_refused_accept_writes_nothing():
    """Each refusal leaves the offer, the shift's count, the request and the conversation as they were."""
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    shift = listener.shifts.get()

    def unchanged():
        offer.refresh_from_db()
        shift.refresh_from_db()
        assert offer.status == OfferStatus.PENDING and offer.answered_at is None
        assert shift.chats_taken == 0
        assert ChatRequest.objects.get(pk=request.pk).status == RequestStatus.OFFERED

    shift.ended_at = timezone.now()
    shift.save(update_fields=["ended_at"])
    with pytest.raises(DomainError) as error:
        offer_accept(listener=listener, offer_id=offer.pk)
    assert error.value.code == "no_shift"
    shift.ended_at = None
    shift.save(update_fields=["ended_at"])
    unchanged()

    Conversation.objects.filter(pk=request.conversation_id).update(status=ConversationStatus.ENDED)
    with pytest.raises(DomainError) as error:
        offer_accept(listener=listener, offer_id=offer.pk)
    assert error.value.code == "offer_gone"
    unchanged()

    Conversation.objects.filter(pk=request.conversation_id).update(status=ConversationStatus.WAITING)
    conversation = offer_accept(listener=listener, offer_id=offer.pk)
    assert conversation.listener_id == listener.pk and listener.shifts.get().chats_taken == 1
    with pytest.raises(DomainError) as error:  # answered already: accepting again changes nothing
        offer_accept(listener=listener, offer_id=offer.pk)
    assert error.value.code == "offer_gone"
    assert listener.shifts.get().chats_taken == 1


def test_teen_seeker_only_reaches_teen_approved_listeners():
    adult_only = listener_on_shift(teens=False)
    request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")
    assert requests_dispatch() == 0
    teen_ok = listener_on_shift(teens=True)
    assert requests_dispatch() == 1
    assert Offer.objects.get().listener == teen_ok
    assert not Offer.objects.filter(listener=adult_only).exists()


@pytest.mark.parametrize("direction", ["seeker_blocked_listener", "listener_blocked_seeker"])
def test_blocks_either_way_prevent_matching(direction):
    listener = listener_on_shift()
    seeker = SeekerFactory()
    if direction == "seeker_blocked_listener":
        Block.objects.create(blocker=seeker, blocked=listener)
    else:
        Block.objects.create(blocker=listener, blocked=seeker)
    request_create(seeker=seeker, topic_slug="anxiety")
    assert requests_dispatch() == 0


def test_urgent_request_goes_first():
    listener = listener_on_shift(capacity=1)
    calm = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=10))
    urgent = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    ChatRequest.objects.filter(pk=urgent.pk).update(priority=RequestPriority.URGENT)
    requests_dispatch()
    assert pending_offer_for(listener).request_id == urgent.pk
    calm.refresh_from_db()
    assert calm.status == RequestStatus.WAITING


def test_first_come_first_served_within_a_topic():
    listener = listener_on_shift(capacity=1)
    later = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    earlier = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=3))
    requests_dispatch()
    assert pending_offer_for(listener).request_id == earlier.pk
    assert later.status == RequestStatus.WAITING


def test_fewest_open_chats_now_not_lifetime_chats():
    veteran = listener_on_shift()
    newcomer = listener_on_shift()
    veteran.shifts.update(chats_taken=40)
    # The newcomer is busy with one chat right now.
    busy = request_create(seeker=SeekerFactory(), topic_slug="anxiety", listener_alias=newcomer.alias)
    requests_dispatch()
    offer_accept(listener=newcomer, offer_id=pending_offer_for(newcomer).pk)
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    assert Offer.objects.get(status=OfferStatus.PENDING).listener == veteran
    assert busy.pk


def test_listener_is_never_over_capacity():
    listener = listener_on_shift(capacity=2)
    for _ in range(4):
        request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offers = list(Offer.objects.filter(listener=listener, status=OfferStatus.PENDING))
    assert len(offers) == 2
    for offer in offers:
        offer_accept(listener=listener, offer_id=offer.pk)
    requests_dispatch()
    assert Conversation.objects.filter(listener=listener, status=ConversationStatus.ACTIVE).count() == 2
    assert not Offer.objects.filter(listener=listener, status=OfferStatus.PENDING).exists()


def test_absent_listener_gets_no_offers(settings):
    listener = ListenerFactory()
    open_shift(listener)
    present(listener, seen=timezone.now() - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS + 5))
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert requests_dispatch() == 0


def test_specific_listener_request_waits_for_them_then_suggests_widening(settings):
    favourite = listener_on_shift(capacity=1)
    other = listener_on_shift()
    favourite_busy = request_create(seeker=SeekerFactory(), topic_slug="anxiety", listener_alias=favourite.alias)
    requests_dispatch()
    offer_accept(listener=favourite, offer_id=pending_offer_for(favourite).pk)
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety", listener_alias=favourite.alias)
    assert requests_dispatch() == 0  # the other listener is not offered a direct request
    later = timezone.now() + timedelta(seconds=settings.MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS + 1)
    requests_dispatch(now=later)
    request.refresh_from_db()
    assert request.widen_offered_at is not None
    request_widen(seeker=seeker)
    assert requests_dispatch() == 1
    assert pending_offer_for(other).request_id == request.pk
    assert favourite_busy.pk


def test_cancel_leaves_the_line_and_withdraws_the_offer():
    listener = listener_on_shift()
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    request = request_cancel(seeker=seeker)
    assert request.status == RequestStatus.CANCELLED
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert request.conversation.status == ConversationStatus.ENDED
    with pytest.raises(DomainError):
        offer_accept(listener=listener, offer_id=offer.pk)


def test_auto_assign_setting_matches_without_offers(settings):
    settings.MATCHING_AUTO_ASSIGN = True
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert requests_dispatch() == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED
    assert Conversation.objects.get(pk=request.conversation_id).listener == listener


def test_queue_position_counts_only_requests_that_compete_and_sort_ahead():
    from chat.selectors import queue_position

    now = timezone.now()
    first = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=now - timedelta(minutes=3))
    other_topic = request_create(seeker=SeekerFactory(), topic_slug="grief-and-loss", now=now - timedelta(minutes=2))
    any_topic = request_create(seeker=SeekerFactory(), topic_slug=None, now=now - timedelta(minutes=1))
    mine = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=now)
    assert queue_position(first) == 1
    assert queue_position(other_topic) == 1
    assert queue_position(mine) == 3  # the earlier anxiety and the any-topic request are ahead
    ChatRequest.objects.filter(pk=mine.pk).update(priority=RequestPriority.URGENT)
    mine.refresh_from_db()
    assert queue_position(mine) == 1
    assert any_topic.pk


def test_live_positions_agree_with_the_position_selector_for_a_mixed_line(django_capture_on_commit_callbacks):
    from chat.dispatch import queue_positions_notify
    from chat.selectors import queue_position
    from support.events import collecting_events

    now = timezone.now()
    topics = ["anxiety", None, "grief-and-loss", "anxiety", None, "anxiety"]
    requests = [
        request_create(seeker=SeekerFactory(), topic_slug=t, now=now + timedelta(seconds=i))
        for i, t in enumerate(topics)
    ]
    ChatRequest.objects.filter(pk=requests[3].pk).update(priority=RequestPriority.URGENT)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        queue_positions_notify(now=now)
    sent = {
        event["frame"]["request"]["id"]: event["frame"]["request"]["position"]
        for _, event in outbox
        if event["frame"]["type"] == "queue.position"
    }
    for request in requests:
        request.refresh_from_db()
        assert sent[request.pk] == queue_position(request)


def _flag(seeker, *, level, status="open", age=timedelta(0)):
    from safety.models import FlagSource, SafetyFlag

    flag = SafetyFlag.objects.create(subject=seeker, source=FlagSource.CLASSIFIER, level=level, status=status)
    SafetyFlag.objects.filter(pk=flag.pk).update(created_at=timezone.now() - age)


@pytest.mark.parametrize(
    "flag, expected",
    [
        ({"level": Level.ELEVATED}, RequestPriority.URGENT),
        ({"level": Level.IMMINENT, "status": "claimed"}, RequestPriority.URGENT),
        ({"level": Level.ELEVATED, "status": "resolved"}, RequestPriority.NORMAL),
        ({"level": Level.ELEVATED, "age": timedelta(days=2)}, RequestPriority.NORMAL),
        ({"level": Level.DISTRESS}, RequestPriority.NORMAL),
    ],
    ids=["open-elevated", "claimed-imminent", "resolved", "older-than-a-day", "distress-only"],
)
def test_a_seeker_flagged_in_the_last_day_goes_to_the_front_of_the_line(flag, expected):
    listener = listener_on_shift(capacity=1)
    waiting_longer = request_create(
        seeker=SeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=10)
    )
    seeker = SeekerFactory()
    _flag(seeker, **flag)
    request = request_create(seeker=seeker, topic_slug="anxiety")
    assert ChatRequest.objects.get(pk=request.pk).priority == expected
    requests_dispatch()
    first = request if expected == RequestPriority.URGENT else waiting_longer
    assert pending_offer_for(listener).request_id == first.pk
