"""Services that free or fill a seat run the re-matching themselves, after commit.

Each test calls the service directly, with no socket frame and no REST view
around it: a new transport that makes one call cannot forget the dispatch round.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from chat.models import OfferStatus
from chat.services.conversations import conversation_end
from chat.services.offers import offer_decline, offers_expire
from chat.services.requests import request_cancel, request_create
from listeners.models import ListenerProfile, Shift
from listeners.services import shift_end, shift_start
from listeners.wellbeing import wellbeing_continue
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for, present
from tests.factories import ListenerFactory, SeekerFactory


def full_listener_and_waiting_seeker():
    """A listener with one seat, taken; a seeker waiting on their topic with nobody to take them."""
    seeker, listener, conversation = matched_pair()
    Shift.objects.filter(listener=listener, ended_at__isnull=True).update(capacity=1)
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    return listener, conversation, waiting


@pytest.mark.django_db
def test_ending_a_chat_offers_the_freed_seat_to_the_waiting_seeker_after_commit(django_capture_on_commit_callbacks):
    listener, conversation, waiting = full_listener_and_waiting_seeker()
    with django_capture_on_commit_callbacks(execute=True):
        conversation_end(user=listener, conversation_id=conversation.pk)
    assert pending_offer_for(listener).request_id == waiting.pk


@pytest.mark.django_db
def test_a_rolled_back_end_offers_nothing(django_capture_on_commit_callbacks):
    listener, conversation, waiting = full_listener_and_waiting_seeker()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            conversation_end(user=listener, conversation_id=conversation.pk)
            transaction.set_rollback(True)
    assert callbacks == []
    assert not waiting.offers.exists()


@pytest.mark.django_db
def test_a_new_request_is_offered_by_the_service_itself(django_capture_on_commit_callbacks):
    listener = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert pending_offer_for(listener).request_id == request.pk


@pytest.mark.django_db
def test_cancelling_a_request_frees_the_seat_its_offer_held(django_capture_on_commit_callbacks):
    listener = listener_on_shift(capacity=1)
    first_seeker = SeekerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request_create(seeker=first_seeker, topic_slug="anxiety")
        second = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert pending_offer_for(listener).request.seeker_id == first_seeker.pk
    with django_capture_on_commit_callbacks(execute=True):
        request_cancel(seeker=first_seeker)
    assert pending_offer_for(listener).request_id == second.pk


@pytest.mark.django_db
def test_a_declined_request_is_offered_to_the_next_listener_after_commit(django_capture_on_commit_callbacks):
    first = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    offer = pending_offer_for(first)
    second = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(listener=first, offer_id=offer.pk)
    assert pending_offer_for(second).request_id == request.pk


@pytest.mark.django_db
def test_an_expired_offer_goes_to_the_next_listener_after_commit(django_capture_on_commit_callbacks):
    first = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    offer = pending_offer_for(first)
    second = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        assert offers_expire(now=offer.expires_at + timedelta(seconds=1)) == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert pending_offer_for(second).request_id == request.pk
    assert timezone.now() < pending_offer_for(second).expires_at


@pytest.mark.django_db
def test_starting_a_shift_offers_the_waiting_seeker_at_once(django_capture_on_commit_callbacks):
    request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    listener = ListenerFactory()
    present(listener)
    with django_capture_on_commit_callbacks(execute=True):
        shift_start(listener=listener, topic_slugs=["anxiety"], capacity=1)
    assert pending_offer_for(listener).request_id == request.pk


@pytest.mark.django_db
def test_ending_a_shift_offers_its_withdrawn_offer_to_someone_else(django_capture_on_commit_callbacks):
    first = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert pending_offer_for(first).request_id == request.pk
    second = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        shift_end(listener=first)
    assert pending_offer_for(second).request_id == request.pk


@pytest.mark.django_db
def test_resuming_after_a_wellbeing_pause_offers_the_waiting_seeker(django_capture_on_commit_callbacks):
    listener = listener_on_shift()
    ListenerProfile.objects.filter(user=listener).update(paused_until=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert not request.offers.exists()
    with django_capture_on_commit_callbacks(execute=True):
        wellbeing_continue(listener=listener)
    assert pending_offer_for(listener).request_id == request.pk


@pytest.mark.django_db
def test_staff_taking_a_chat_over_offers_the_listeners_freed_seat(django_capture_on_commit_callbacks, settings):
    from safety.services import staff_conversation_handoff  # safety sits above chat
    from tests.safety.helpers import flagged_pair, staff_member

    settings.LISTENERS_HARD_CHAT_COOLDOWN_SECONDS = 0  # no debrief pause after the hard chat
    seeker, listener, conversation, flag = flagged_pair()
    ListenerProfile.objects.filter(user=listener).update(held_for_review=False)
    Shift.objects.filter(listener=listener, ended_at__isnull=True).update(capacity=1)
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    with django_capture_on_commit_callbacks(execute=True):
        staff_conversation_handoff(staff=staff_member(), conversation_id=conversation.pk)
    assert pending_offer_for(listener).request_id == waiting.pk
