"""Matching under real concurrency on PostgreSQL: row locks, not luck, keep the invariants."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from chat.dispatch import requests_dispatch
from chat.models import Conversation, ConversationStatus, Offer, OfferStatus
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from tests.chat.helpers import listener_on_shift
from tests.factories import SeekerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(target, count):
    errors = []

    def wrapped(index):
        try:
            target(index)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.fixture
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is proven on PostgreSQL (SQLite serialises all writers)")


def test_concurrent_dispatchers_never_double_offer_or_overfill(needs_postgres):
    listeners = [listener_on_shift(capacity=2) for _ in range(3)]
    for _ in range(15):
        request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    errors = run_in_threads(lambda i: [requests_dispatch() for _ in range(3)], 6)
    assert not errors
    pending = list(Offer.objects.filter(status=OfferStatus.PENDING))
    assert len(pending) == 6
    assert max(Counter(o.request_id for o in pending).values()) == 1
    assert Counter(o.listener_id for o in pending) == {listener.pk: 2 for listener in listeners}


def test_concurrent_requests_and_accepts_keep_every_listener_within_capacity(needs_postgres):
    listeners = [listener_on_shift(capacity=2) for _ in range(2)]
    seekers = [SeekerFactory() for _ in range(10)]

    def seeker_then_dispatch(index):
        request_create(seeker=seekers[index], topic_slug="anxiety")
        requests_dispatch()

    assert not run_in_threads(seeker_then_dispatch, len(seekers))

    def accept_everything(index):
        listener = listeners[index % 2]
        for _ in range(3):
            for offer in Offer.objects.filter(listener=listener, status=OfferStatus.PENDING):
                try:
                    offer_accept(listener=listener, offer_id=offer.pk)
                except Exception:
                    pass
            requests_dispatch()

    assert not run_in_threads(accept_everything, 4)
    active = Counter(
        Conversation.objects.filter(status=ConversationStatus.ACTIVE).values_list("listener_id", flat=True)
    )
    assert active == {listener.pk: 2 for listener in listeners}
    matched_requests = Offer.objects.filter(status=OfferStatus.ACCEPTED).values_list("request_id", flat=True)
    assert len(matched_requests) == len(set(matched_requests)) == 4


def test_concurrent_senders_in_one_conversation_get_gap_free_sequence_numbers(needs_postgres, settings):
    """The sequence number and the row are written together (one statement on PostgreSQL): under
    concurrent senders every number is used once, in order, and the conversation's counter agrees."""
    from chat.models import Message
    from chat.services.messages import message_send
    from tests.chat.helpers import matched_pair

    settings.CHAT_RATE_MESSAGES = 1000  # the burst is the point here, not the rate limit
    seeker, listener, conversation = matched_pair()
    before = Conversation.objects.get(pk=conversation.pk).last_seq

    def send(index):
        sender = seeker if index % 2 else listener
        for n in range(5):
            message_send(
                sender=sender,
                conversation_id=conversation.pk,
                client_id=f"t{index}-{n}",
                text=f"thread {index} says {n}",
            )

    assert run_in_threads(send, 8) == []
    seqs = list(
        Message.objects.filter(conversation=conversation, seq__gt=before).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(before + 1, before + 41))
    assert Conversation.objects.get(pk=conversation.pk).last_seq == before + 40


def test_a_seeker_leaving_as_the_listener_accepts_is_told_the_outcome_not_an_error(needs_postgres, monkeypatch):
    """The two take their row locks in opposite orders (cancel: request, then offers; accept: offer,
    then request), and PostgreSQL aborts one of them. The aborted one runs again
    (``support.conflicts``, as ``run_service`` does) and answers with what happened instead."""
    from chat.services import offers as offer_services
    from chat.services.requests import request_cancel
    from support.conflicts import call_retrying_conflicts
    from support.errors import DomainError
    from tests.chat.helpers import pending_offer_for

    listener = listener_on_shift(capacity=1)
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    offer_taken, go_on = threading.Event(), threading.Event()
    real_take = offer_services._offer_take

    def take_then_wait(**kwargs):
        taken = real_take(**kwargs)
        offer_taken.set()
        go_on.wait(10)  # the offer row is locked; the seeker's cancel now locks the request
        return taken

    monkeypatch.setattr(offer_services, "_offer_take", take_then_wait)
    outcomes = {}

    def accept(_):
        try:
            outcomes["accept"] = call_retrying_conflicts(
                offer_services.offer_accept, listener=listener, offer_id=offer.pk
            )
        except DomainError as refusal:
            outcomes["accept"] = refusal.code

    def cancel(_):
        try:
            outcomes["cancel"] = call_retrying_conflicts(request_cancel, seeker=seeker)
        except DomainError as refusal:
            outcomes["cancel"] = refusal.code

    accepting = threading.Thread(target=lambda: outcomes.setdefault("accept_errors", run_in_threads(accept, 1)))
    accepting.start()
    assert offer_taken.wait(10)
    cancelling = threading.Thread(target=lambda: outcomes.setdefault("cancel_errors", run_in_threads(cancel, 1)))
    cancelling.start()
    threading.Event().wait(0.3)  # the cancel is waiting for the offer row
    go_on.set()
    accepting.join(30)
    cancelling.join(30)
    assert outcomes["accept_errors"] == [] and outcomes["cancel_errors"] == [], outcomes  # no deadlock error
    # Whichever PostgreSQL aborted ran again and answered with the other's outcome.
    if outcomes["accept"] == "offer_gone":
        assert outcomes["cancel"].status == "cancelled"
        assert Offer.objects.get(pk=offer.pk).status != OfferStatus.ACCEPTED
    else:
        assert outcomes["accept"].status == ConversationStatus.ACTIVE
        assert outcomes["cancel"] == "no_open_request"  # matched meanwhile: no longer in line
