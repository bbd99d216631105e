"""The matching loop over the chat socket: decline for good, take the next seeker, the live line,
honest waiting in the request status, and a seeker's socket leaving and coming back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import ChatRequest, Offer, OfferStatus
from chat.services.requests import requests_presence_sweep
from tests.factories import ListenerFactory, SeekerFactory, TeenSeekerFactory
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def start_shift(ws, topics=("anxiety",), capacity=2):
    await ws.send_json_to({"type": "shift.start", "topics": list(topics), "capacity": capacity, "ref": "s"})
    return await receive_until(ws, "shift.start.ack")


async def test_a_listener_declines_for_good_then_cannot_take_that_seeker_but_can_take_the_next():
    first, second, listener = [await sync_to_async(f)() for f in (SeekerFactory, SeekerFactory, ListenerFactory)]
    async with connected(listener) as l, connected(first) as s1:
        await start_shift(l)
        await s1.send_json_to({"type": "request.create", "topic": "anxiety"})
        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.decline", "offer": offer["offer"]["id"], "never": True, "ref": "d"})
        assert (await receive_until(l, "offer.declined"))["ref"] == "d"
        assert await sync_to_async(Offer.objects.filter(never_again=True).count)() == 1
        await l.send_json_to({"type": "request.take_next", "ref": "t"})
        refused = await receive_until(l, "error")
        assert refused["code"] == "nothing_waiting" and refused["ref"] == "t"
        async with connected(second) as s2:
            await s2.send_json_to({"type": "request.create", "topic": "anxiety"})
            created = await receive_until(s2, "request.created")
            offer = await receive_until(l, "offer.created")
            await l.send_json_to({"type": "offer.decline", "offer": offer["offer"]["id"]})
            await receive_until(l, "offer.declined")
            # Cooling down: no offer comes, but the listener may take this seeker themselves.
            await l.send_json_to({"type": "request.take_next", "ref": "t2"})
            taken = await receive_until(l, "request.taken")
            assert taken["ref"] == "t2" and taken["conversation"] == created["request"]["conversation"]
            started = await receive_until(l, "conversation.started")
            assert started["conversation"]["id"] == taken["conversation"]
            assert (await receive_until(s2, "conversation.started"))["conversation"]["peer"]["alias"] == listener.alias


async def test_decline_with_a_never_that_is_not_a_boolean_is_refused_and_the_offer_stays():
    seeker, listener = await sync_to_async(SeekerFactory)(), await sync_to_async(ListenerFactory)()
    async with connected(listener) as l, connected(seeker) as s:
        await start_shift(l)
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.decline", "offer": offer["offer"]["id"], "never": "yes"})
        refused = await receive_until(l, "error")
        assert refused["code"] == "invalid_field" and refused["field"] == "never"
        still = Offer.objects.filter(pk=offer["offer"]["id"], status=OfferStatus.PENDING)
        assert await sync_to_async(still.exists)()


async def test_a_seeker_cannot_take_the_next_request():
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as s:
        await s.send_json_to({"type": "request.take_next"})
        assert (await receive_until(s, "error"))["code"] == "forbidden"


async def test_a_listener_on_shift_gets_the_line_in_hello():
    listener = await sync_to_async(ListenerFactory)()
    async with connected(listener) as l:
        assert l.hello["queue_sizes"] is None
        await start_shift(l)
    seeker = await sync_to_async(TeenSeekerFactory)()
    async with connected(seeker) as s:
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        created = await receive_until(s, "request.created")
        # Nobody on shift may take a teen: said at once, with what they can do meanwhile.
        assert created["request"]["eligible_on_shift"] == 0
        assert created["request"]["estimated_wait_seconds"] is None
        assert created["request"]["alternatives"]["helplines"]
        async with connected(listener) as l:
            assert l.hello["queue_sizes"]["total"] == 0  # not teen-approved: not in their line


async def test_a_seeker_who_closed_the_tab_is_out_of_the_line_and_back_at_their_place_on_return(settings):
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as s:
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        created = await receive_until(s, "request.created")
    request = await sync_to_async(ChatRequest.objects.get)(pk=created["request"]["id"])
    assert request.seeker_left_at is not None  # stamped when the socket closed
    later = timezone.now() + timedelta(seconds=settings.MATCHING_SEEKER_AWAY_SECONDS + 1)
    await sync_to_async(ChatRequest.objects.filter(pk=request.pk).update)(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert await sync_to_async(requests_presence_sweep)(now=later) == 1
    assert (await sync_to_async(ChatRequest.objects.get)(pk=request.pk)).away_since is not None
    async with connected(seeker) as s:
        assert s.hello["request"]["away"] is False and s.hello["request"]["position"] == 1
        back = await sync_to_async(ChatRequest.objects.get)(pk=request.pk)
        assert back.away_since is None and back.queued_at == request.queued_at


async def test_a_listener_starting_a_shift_gets_their_line_even_when_it_matches_a_past_shifts():
    listener = await sync_to_async(ListenerFactory)()
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        await s.send_json_to({"type": "request.create", "topic": "sleep"})
        await receive_until(s, "request.created")
        for _ in range(2):
            await start_shift(l, topics=("anxiety",))
            sizes = await receive_until(l, "queue.sizes")
            assert sizes["total"] == 0 and sizes["topics"] == {"anxiety": 0}
            await l.send_json_to({"type": "shift.end"})
            await receive_until(l, "shift.end.ack")
