"""An offer accepted while the shift is ending, with real concurrent transactions (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from chat.models import ChatRequest, Conversation, ConversationStatus, Offer, OfferStatus, RequestStatus
from chat.services.offers import offer_accept
from listeners.models import Shift
from listeners.services import shift_end
from support.errors import DomainError
from tests.factories import ListenerFactory, SeekerFactory, open_shift, topic

ROUNDS = 12


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, fn):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", fn())
        except DomainError as exc:
            results[index] = ("refused", exc.code)
        except Exception as exc:  # a deadlock or any other fault fails the test below
            results[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, fn)) for index, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_accept_racing_shift_end_either_opens_the_chat_or_withdraws_the_offer():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer, so there is no race to test; run with DATABASE_URL=postgres://…")
    outcomes = set()
    for _ in range(ROUNDS):
        listener = ListenerFactory()
        seeker = SeekerFactory()
        shift = open_shift(listener, capacity=2)
        now = timezone.now()
        conversation = Conversation.objects.create(seeker=seeker, topic=topic())
        request = ChatRequest.objects.create(
            seeker=seeker,
            conversation=conversation,
            topic=topic(),
            age_group="adult",
            queued_at=now,
            status=RequestStatus.OFFERED,
        )
        offer = Offer.objects.create(request=request, listener=listener, expires_at=now + timedelta(seconds=30))

        # _race runs both before the next iteration rebinds listener and offer.
        accept, end = _race(
            lambda: offer_accept(listener=listener, offer_id=offer.pk),  # noqa: B023
            lambda: shift_end(listener=listener),  # noqa: B023
        )

        assert accept[0] != "error" and end[0] != "error", (accept, end)
        assert end[0] == "ok"  # the shift always ends
        offer.refresh_from_db()
        conversation.refresh_from_db()
        shift.refresh_from_db()
        request.refresh_from_db()
        assert shift.ended_at is not None
        if accept[0] == "ok":
            outcomes.add("accept_won")
            assert offer.status == OfferStatus.ACCEPTED
            assert conversation.status == ConversationStatus.ACTIVE and conversation.listener_id == listener.pk
            assert shift.chats_taken == 1  # taken on this shift while it was open
            assert request.status == RequestStatus.MATCHED
        else:
            outcomes.add("end_won")
            assert accept[1] in {"offer_gone", "no_shift"}
            assert offer.status == OfferStatus.WITHDRAWN
            assert conversation.status == ConversationStatus.WAITING and conversation.listener_id is None
            assert shift.chats_taken == 0
            assert request.status == RequestStatus.WAITING  # the seeker keeps their place
        assert not Shift.objects.filter(listener=listener, ended_at__isnull=True).exists()
    assert outcomes  # at least one round ran; which side wins is up to the scheduler
