"""The matching loop as people live it: re-offers after a cool-down, taking the next seeker,
the line a listener sees, honest waiting, and seekers who left the line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.dispatch import queue_positions_notify, requests_dispatch
from chat.matching import Candidate, Want, could_serve, is_eligible
from chat.models import (
    ChatRequest,
    Conversation,
    ConversationStatus,
    EndReason,
    Offer,
    OfferStatus,
    RequestPriority,
    RequestStatus,
)
from chat.services.offers import offer_accept, offer_decline, offers_expire, request_take_next
from chat.services.requests import request_create, request_seeker_left, request_seeker_returned, requests_presence_sweep
from chat.waiting import request_status
from listeners.queue_sizes import queue_sizes_for_listener
from safety.models import Block, DeviceLink, FlagSource, SafetyFlag
from support.errors import DomainError
from support.events import collecting_events
from support.models import Connection
from tests.chat.helpers import listener_on_shift, pending_offer_for, present
from tests.factories import SeekerFactory, TeenSeekerFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now()


def _frames(outbox, frame_type):
    return [event["frame"] for _, event in outbox if event.get("frame", {}).get("type") == frame_type]


# --- pure rules ------------------------------------------------------------------------------


def _candidate(**overrides):
    values = dict(
        listener_id=1,
        topic_ids=frozenset({1}),
        capacity=1,
        load=0,
        idle_since=T0,
        approved_for_teens=False,
        approved_for_adults=True,
    )
    values.update(overrides)
    return Candidate(**values)


def _want(**overrides):
    values = dict(request_id=1, seeker_id=2, topic_id=1, age_group="adult", priority=0, queued_at=T0)
    values.update(overrides)
    return Want(**values)


def test_a_listener_cooling_down_could_still_serve_the_request_but_is_not_offered_it():
    want = _want(excluded_listener_ids=frozenset({1}))
    assert could_serve(want, _candidate()) and not is_eligible(want, _candidate())


def test_a_barred_listener_could_never_serve_the_request():
    want = _want(barred_listener_ids=frozenset({1}))
    assert not could_serve(want, _candidate()) and not is_eligible(want, _candidate())


# --- re-offering -------------------------------------------------------------------------------


def test_a_declined_request_comes_back_to_the_only_listener_after_the_cool_down(settings):
    settings.MATCHING_REOFFER_COOLDOWN_SECONDS = 60
    settings.MATCHING_LISTENER_GRACE_SECONDS = 600  # still present at the later rounds
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer_decline(listener=listener, offer_id=pending_offer_for(listener).pk, now=timezone.now())
    assert requests_dispatch() == 0  # cooling down
    assert requests_dispatch(now=timezone.now() + timedelta(seconds=61)) == 1
    assert pending_offer_for(listener).request_id == request.pk


def test_an_expired_offer_comes_back_after_the_cool_down(settings):
    settings.MATCHING_REOFFER_COOLDOWN_SECONDS = 60
    settings.MATCHING_LISTENER_GRACE_SECONDS = 600
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    later = timezone.now() + timedelta(seconds=settings.MATCHING_OFFER_TIMEOUT_SECONDS + 1)
    assert offers_expire(now=later) == 1
    assert requests_dispatch(now=later + timedelta(seconds=30)) == 0
    assert requests_dispatch(now=later + timedelta(seconds=61)) == 1
    assert pending_offer_for(listener).request_id == request.pk


def test_not_me_for_this_one_never_offers_the_request_to_that_listener_again():
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer_decline(listener=listener, offer_id=pending_offer_for(listener).pk, never=True)
    assert requests_dispatch(now=timezone.now() + timedelta(hours=1)) == 0
    assert queue_sizes_for_listener(listener.pk)["total"] == 0


def test_a_declined_request_goes_to_another_listener_at_once():
    first = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    second = listener_on_shift()
    offer_decline(listener=first, offer_id=pending_offer_for(first).pk)
    assert requests_dispatch() == 1
    assert Offer.objects.filter(listener=second, status=OfferStatus.PENDING).exists()


def test_decline_refuses_a_never_that_is_not_a_boolean():
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    with pytest.raises(DomainError) as refused:
        offer_decline(listener=listener, offer_id=pending_offer_for(listener).pk, never="yes")
    assert refused.value.code == "invalid_field"


# --- take next ---------------------------------------------------------------------------------


def test_a_listener_takes_the_seeker_they_declined_during_the_cool_down():
    listener = listener_on_shift()
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer_decline(listener=listener, offer_id=pending_offer_for(listener).pk)
    assert queue_sizes_for_listener(listener.pk)["takeable"] == 1
    conversation = request_take_next(listener=listener)
    assert conversation.pk == request.conversation_id and conversation.listener_id == listener.pk
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED


def test_take_next_takes_the_urgent_seeker_first_and_only_ones_this_listener_could_take():
    listener = listener_on_shift(topics=("anxiety",), capacity=3)
    Offer.objects.all().delete()
    Connection.objects.filter(user=listener).delete()  # not offered anything by rounds meanwhile
    teen = request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=9))
    early = request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=timezone.now() - timedelta(minutes=5))
    urgent = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    ChatRequest.objects.filter(pk=urgent.pk).update(priority=RequestPriority.URGENT)
    present(listener)
    assert request_take_next(listener=listener).pk == urgent.conversation_id
    assert request_take_next(listener=listener).pk == early.conversation_id
    with pytest.raises(DomainError) as refused:
        request_take_next(listener=listener)
    assert refused.value.code == "nothing_waiting"
    teen.refresh_from_db()
    assert teen.status == RequestStatus.WAITING


def test_take_next_refuses_at_capacity_and_off_shift():
    listener = listener_on_shift(capacity=1)
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    with pytest.raises(DomainError) as refused:
        request_take_next(listener=listener)
    assert refused.value.code == "at_capacity"
    off_shift = listener_on_shift()
    from listeners.services import shift_end

    shift_end(listener=off_shift)
    with pytest.raises(DomainError) as refused:
        request_take_next(listener=off_shift)
    assert refused.value.code == "no_shift"


# --- the line a listener sees ------------------------------------------------------------------


def test_queue_sizes_count_only_seekers_this_listener_could_take_by_topic_and_urgency():
    listener = listener_on_shift(topics=("anxiety", "sleep"))
    Connection.objects.filter(user=listener).delete()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    urgent = request_create(seeker=SeekerFactory(), topic_slug="sleep")
    ChatRequest.objects.filter(pk=urgent.pk).update(priority=RequestPriority.URGENT)
    request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")  # not teen-approved
    blocked = SeekerFactory()
    Block.objects.create(blocker=blocked, blocked=listener)
    request_create(seeker=blocked, topic_slug="anxiety")
    request_create(seeker=SeekerFactory(), topic_slug="grief-and-loss")  # not on this shift
    sizes = queue_sizes_for_listener(listener.pk)
    assert sizes["topics"] == {"anxiety": 1, "sleep": 1}
    assert sizes["urgent"] == {"topics": {"anxiety": 0, "sleep": 1}, "any_topic": 0, "total": 1}
    assert sizes["total"] == 2 and sizes["takeable"] == 2


# --- honest waiting ------------------------------------------------------------------------------


def test_a_teen_with_nobody_on_shift_who_could_take_them_is_told_so_without_an_estimate():
    listener_on_shift(teens=False)
    request = request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")
    status = request_status(request, now=timezone.now())
    assert status["eligible_on_shift"] == 0
    assert status["estimated_wait_seconds"] is None and status["estimated_wait_range_seconds"] is None
    assert status["alternatives"]["helplines"]


def test_the_waiting_seeker_is_offered_an_open_room_for_their_topic():
    from rooms.models import Room
    from support.models import Topic

    room = Room.objects.create(
        topic=Topic.objects.get(slug="anxiety"), audience="teen", name="Teen anxiety", guideline="Be kind"
    )
    request = request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")
    status = request_status(request, now=timezone.now())
    assert status["alternatives"]["room"] == {"id": room.pk, "name": "Teen anxiety", "open": False}


def test_the_estimate_counts_only_matches_of_listeners_who_could_take_this_seeker(settings):
    settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS = 600
    settings.MATCHING_WAIT_ESTIMATE_MIN_MATCHES = 5
    adults_only = listener_on_shift(capacity=5)
    for _ in range(5):
        request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    for offer in Offer.objects.filter(listener=adults_only, status=OfferStatus.PENDING):
        offer_accept(listener=adults_only, offer_id=offer.pk)
    adult = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    teen = request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")
    listener_on_shift(teens=True)
    now = timezone.now()
    assert request_status(adult, now=now)["estimated_wait_seconds"] == 120  # 5 matches in 600 s, first in line
    teen_status = request_status(teen, now=now)
    assert teen_status["eligible_on_shift"] == 1  # the teen-approved listener only
    assert teen_status["estimated_wait_seconds"] is None and teen_status["estimated_wait_range_seconds"] is None


def test_few_recent_matches_give_a_range_not_a_number(settings):
    settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS = 600
    settings.MATCHING_WAIT_ESTIMATE_MIN_MATCHES = 5
    listener = listener_on_shift(capacity=5)
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    status = request_status(waiting, now=timezone.now())
    assert status["estimated_wait_seconds"] is None
    assert status["estimated_wait_range_seconds"] == [300, 1200]  # 600 s for one match, halved and doubled


def test_a_seeker_told_nobody_could_take_them_hears_when_someone_starts_a_shift(django_capture_on_commit_callbacks):
    from listeners.services import shift_start
    from tests.factories import ListenerFactory

    request_create(seeker=TeenSeekerFactory(), topic_slug="anxiety")
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        queue_positions_notify()
    assert _frames(outbox, "queue.position")[0]["request"]["eligible_on_shift"] == 0
    teen_listener = ListenerFactory(profile__approved_for_teens=True)
    present(teen_listener)
    with django_capture_on_commit_callbacks(execute=True):
        shift_start(listener=teen_listener, topic_slugs=["anxiety"], capacity=1)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        queue_positions_notify()
    updated = _frames(outbox, "request.updated")
    assert len(updated) == 1 and updated[0]["request"]["eligible_on_shift"] == 1


# --- blocks follow the device ----------------------------------------------------------------------


def test_a_block_covers_the_seekers_fresh_anonymous_account_on_the_same_device():
    listener = listener_on_shift()
    old, fresh = SeekerFactory(), SeekerFactory()
    DeviceLink.objects.create(user=old, device_hash="d" * 64)
    DeviceLink.objects.create(user=fresh, device_hash="d" * 64)
    Block.objects.create(blocker=listener, blocked=old)
    request_create(seeker=fresh, topic_slug="anxiety")
    assert requests_dispatch() == 0
    assert queue_sizes_for_listener(listener.pk)["total"] == 0
    other = listener_on_shift()
    assert requests_dispatch() == 1 and pending_offer_for(other)


def test_a_seekers_block_covers_their_other_account_on_the_same_device_in_the_status():
    listener = listener_on_shift()
    old, fresh = SeekerFactory(), SeekerFactory()
    DeviceLink.objects.create(user=old, device_hash="e" * 64)
    DeviceLink.objects.create(user=fresh, device_hash="e" * 64)
    Block.objects.create(blocker=old, blocked=listener)
    request = request_create(seeker=fresh, topic_slug="anxiety")
    assert request_status(request, now=timezone.now())["eligible_on_shift"] == 0


# --- seekers who left the line -------------------------------------------------------------------


def _gone(seeker, *, seconds_ago: int):
    Connection.objects.filter(user=seeker).delete()
    request_seeker_left(seeker_id=seeker.pk, now=timezone.now() - timedelta(seconds=seconds_ago))


def test_a_seeker_who_closed_the_tab_leaves_the_line_after_the_grace_period_and_is_not_offered(settings):
    settings.MATCHING_SEEKER_AWAY_SECONDS = 90
    past = timezone.now() - timedelta(minutes=5)
    ghost, real = SeekerFactory(), SeekerFactory()
    ghost_request = request_create(seeker=ghost, topic_slug="anxiety", now=past)
    ChatRequest.objects.filter(pk=ghost_request.pk).update(created_at=past)
    present(real)
    real_request = request_create(seeker=real, topic_slug="anxiety")
    _gone(ghost, seconds_ago=30)
    assert requests_presence_sweep() == 0  # within the grace period
    _gone(ghost, seconds_ago=120)
    assert requests_presence_sweep() == 1
    assert request_status(real_request, now=timezone.now())["position"] == 1
    listener = listener_on_shift()
    requests_dispatch()
    assert pending_offer_for(listener).request_id == real_request.pk
    # Back within the return window: their old place, ahead of the one who came later.
    present(ghost)
    assert request_seeker_returned(seeker_id=ghost.pk)
    ghost_request.refresh_from_db()
    assert ghost_request.away_since is None and request_status(ghost_request, now=timezone.now())["position"] == 1


def test_a_pending_offer_of_a_seeker_who_left_is_withdrawn(settings, django_capture_on_commit_callbacks):
    listener = listener_on_shift()
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety")
    ChatRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    requests_dispatch()
    _gone(seeker, seconds_ago=settings.MATCHING_SEEKER_AWAY_SECONDS + 5)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        requests_presence_sweep()
    assert Offer.objects.get(listener=listener).status == OfferStatus.WITHDRAWN
    assert _frames(outbox, "offer.withdrawn")[0]["reason"] == "seeker_away"
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING and request.away_since is not None


def test_a_seeker_away_past_the_return_window_is_ended_with_a_reason_they_can_read(settings):
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety")
    long_ago = timezone.now() - timedelta(seconds=settings.MATCHING_SEEKER_RETURN_SECONDS + 10)
    ChatRequest.objects.filter(pk=request.pk).update(away_since=long_ago)
    requests_presence_sweep()
    conversation = Conversation.objects.get(pk=request.conversation_id)
    assert conversation.status == ConversationStatus.ENDED and conversation.end_reason == EndReason.SEEKER_GONE
    assert "away" in EndReason.SEEKER_GONE.label


def test_an_urgent_seeker_who_vanishes_raises_a_staff_alert(settings, django_capture_on_commit_callbacks):
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety")
    ChatRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5), priority=RequestPriority.URGENT
    )
    _gone(seeker, seconds_ago=settings.MATCHING_SEEKER_AWAY_SECONDS + 5)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        requests_presence_sweep()
    flag = SafetyFlag.objects.get(subject=seeker)
    assert flag.source == FlagSource.SYSTEM and flag.level >= 2 and flag.conversation_id == request.conversation_id
    assert [frame["alert"]["id"] for frame in _frames(outbox, "alert.created")] == [flag.pk]


def test_live_statuses_share_one_read_of_the_roster_and_matches_for_a_few_seconds(django_assert_num_queries):
    """A burst of requests reads who is on shift and their matches once, not once per request."""
    from django.core.cache import cache

    from chat.waiting import RATES_CACHE_KEY, ROSTER_CACHE_KEY

    listener_on_shift()
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    request_status(waiting)
    with django_assert_num_queries(3):  # declined offers, blocks, place in line
        assert request_status(waiting)["eligible_on_shift"] == 1
    listener_on_shift()
    assert request_status(waiting)["eligible_on_shift"] == 1  # the roster read a moment ago
    cache.delete_many([ROSTER_CACHE_KEY, RATES_CACHE_KEY])  # as its few seconds running out would
    assert request_status(waiting)["eligible_on_shift"] == 2


def test_statuses_survive_a_cache_that_cannot_answer(monkeypatch):
    from chat import waiting

    class Unavailable:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get_many = get

    listener_on_shift()
    monkeypatch.setattr(waiting, "cache", Unavailable())
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert request_status(request)["eligible_on_shift"] == 1


def test_a_seeker_blocked_by_a_listener_is_not_offered_to_them_after_starting_afresh_in_the_same_browser():
    from rest_framework.test import APIClient

    from chat.services.conversations import conversation_end
    from safety.reports import block_create
    from support.models import User

    listener = listener_on_shift()
    browser = APIClient()
    first = User.objects.get(pk=browser.post("/api/v1/session/anonymous", {"age": 30}, format="json").json()["id"])
    present(first)
    request_create(seeker=first, topic_slug="anxiety")
    requests_dispatch()
    conversation = offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    block_create(user=listener, conversation_id=conversation.pk)
    conversation_end(user=first, conversation_id=conversation.pk)
    assert browser.post("/api/v1/session/logout").status_code in (200, 204)
    second = User.objects.get(pk=browser.post("/api/v1/session/anonymous", {"age": 30}, format="json").json()["id"])
    assert second.pk != first.pk
    request_create(seeker=second, topic_slug="anxiety")
    assert requests_dispatch() == 0
    other = listener_on_shift()
    assert requests_dispatch() == 1 and pending_offer_for(other)
