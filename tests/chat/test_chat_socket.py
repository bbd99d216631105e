"""The chat socket end to end on the real ASGI application (in-memory or Redis layer)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.models import Message
from support.ws import CloseCode
from tests.factories import ListenerFactory, SeekerFactory
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def start_shift(ws, topics=("anxiety",), capacity=2):
    await ws.send_json_to({"type": "shift.start", "topics": list(topics), "capacity": capacity, "ref": "s"})
    return await receive_until(ws, "shift.start.ack")


async def matched(seeker_ws, listener_ws, *, note=""):
    await start_shift(listener_ws)
    await seeker_ws.send_json_to({"type": "request.create", "topic": "anxiety", "note": note, "ref": "r"})
    created = await receive_until(seeker_ws, "request.created")
    offer = await receive_until(listener_ws, "offer.created")
    await listener_ws.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"]})
    started = await receive_until(listener_ws, "conversation.started")
    await receive_until(seeker_ws, "conversation.started")
    return created["request"]["conversation"], offer, started


async def test_seeker_and_listener_are_matched_and_talk_with_acks_after_persistence():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        conversation, offer, started = await matched(s, l, note="exam stress")
        assert offer["offer"]["note"] == "exam stress" and offer["offer"]["topic"] == "anxiety"
        assert started["conversation"]["peer"]["alias"] == seeker.alias
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "c1", "text": "hi there", "ref": 1}
        )
        ack = await receive_until(s, "message.ack")
        assert ack["ref"] == 1 and ack["seq"] >= 1 and ack["duplicate"] is False
        stored = await sync_to_async(Message.objects.get)(conversation_id=conversation, client_id="c1")
        assert stored.seq == ack["seq"]
        delivered = await receive_until(l, "message.created")
        while delivered["message"]["kind"] != "text":
            delivered = await receive_until(l, "message.created")
        assert delivered["message"]["text"] == "hi there" and delivered["message"]["seq"] == ack["seq"]


async def test_messages_written_while_waiting_arrive_with_the_match():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        conversation = (await receive_until(s, "request.created"))["request"]["conversation"]
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "w", "text": "waiting thoughts"}
        )
        await receive_until(s, "message.ack")
        await start_shift(l)
        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"]})
        started = await receive_until(l, "conversation.started")
        assert "waiting thoughts" in [m["text"] for m in started["messages"]]


async def test_resend_after_reconnect_is_not_duplicated_and_sync_returns_everything_after_last_seq():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(listener) as l:
        async with connected(seeker) as s:
            conversation, _, _ = await matched(s, l)
            await s.send_json_to(
                {"type": "message.send", "conversation": conversation, "client_id": "a", "text": "one"}
            )
            first = await receive_until(s, "message.ack")
        for i in range(3):
            await l.send_json_to(
                {"type": "message.send", "conversation": conversation, "client_id": f"l{i}", "text": f"while away {i}"}
            )
            await receive_until(l, "message.ack")
        async with connected(seeker) as s2:
            assert conversation in [c["id"] for c in s2.hello["conversations"]]
            await s2.send_json_to(
                {"type": "message.send", "conversation": conversation, "client_id": "a", "text": "one"}
            )
            again = await receive_until(s2, "message.ack")
            assert again["duplicate"] is True and again["seq"] == first["seq"]
            await s2.send_json_to(
                {"type": "conversation.sync", "conversation": conversation, "after_seq": first["seq"]}
            )
            synced = await receive_until(s2, "conversation.messages")
            seqs = [m["seq"] for m in synced["messages"]]
            assert seqs == list(range(first["seq"] + 1, synced["last_seq"] + 1))
            assert [m["text"] for m in synced["messages"] if m["kind"] == "text"] == [
                f"while away {i}" for i in range(3)
            ]
    count = await sync_to_async(Message.objects.filter(conversation_id=conversation, client_id="a").count)()
    assert count == 1


async def test_limits_answer_with_error_frames_and_the_socket_stays_open(settings):
    settings.CHAT_RATE_MESSAGES = 2
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        conversation, _, _ = await matched(s, l)
        await s.send_json_to({"type": "message.send", "conversation": conversation, "client_id": "e", "text": "   "})
        assert (await receive_until(s, "error"))["code"] == "empty_message"
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "t", "text": "x" * 2001}
        )
        assert (await receive_until(s, "error"))["code"] == "message_too_long"
        for i in range(2):
            await s.send_json_to(
                {"type": "message.send", "conversation": conversation, "client_id": f"ok{i}", "text": "ok"}
            )
            await receive_until(s, "message.ack")
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "fast", "text": "too fast"}
        )
        error = await receive_until(s, "error")
        assert error["code"] == "rate_limited" and error["retry_after"] >= 1
        await s.send_json_to({"type": "ping"})
        await receive_until(s, "pong")


async def test_non_participant_cannot_read_or_write_a_conversation():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    outsider = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as s, connected(listener) as l, connected(outsider) as o:
        conversation, _, _ = await matched(s, l)
        await o.send_json_to({"type": "conversation.sync", "conversation": conversation, "after_seq": 0})
        assert (await receive_until(o, "error"))["code"] == "not_found"
        await o.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "x", "text": "let me in"}
        )
        assert (await receive_until(o, "error"))["code"] == "not_found"
        await o.send_json_to({"type": "typing", "conversation": conversation, "active": True})
        assert (await receive_until(o, "error"))["code"] == "not_found"
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "secret", "text": "private"}
        )
        await receive_until(s, "message.ack")
        assert await o.receive_nothing(timeout=0.3)


async def test_typing_and_read_markers_reach_the_other_side():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        conversation, _, _ = await matched(s, l)
        await l.send_json_to({"type": "typing", "conversation": conversation, "active": True})
        typing = await receive_until(s, "typing")
        assert typing == {"type": "typing", "conversation": conversation, "role": "listener", "active": True}
        await l.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "m", "text": "I'm here"}
        )
        ack = await receive_until(l, "message.ack")
        await s.send_json_to({"type": "conversation.read", "conversation": conversation, "seq": ack["seq"]})
        read = await receive_until(l, "conversation.read")
        assert read["role"] == "seeker" and read["seq"] == ack["seq"]


async def test_end_tells_both_sides_why():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        conversation, _, _ = await matched(s, l)
        await s.send_json_to({"type": "conversation.end", "conversation": conversation})
        ended = await receive_until(l, "conversation.ended")
        assert ended["reason"] == "seeker_ended" and ended["reason_text"] and ended["ended_by"] == "seeker"
        assert (await receive_until(s, "conversation.ended"))["reason"] == "seeker_ended"


async def test_decline_then_the_seeker_waits_for_the_next_listener():
    seeker = await sync_to_async(SeekerFactory)()
    first = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(first) as l:
        await start_shift(l)
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        await receive_until(s, "request.created")
        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.decline", "offer": offer["offer"]["id"]})
        await receive_until(l, "offer.declined")
        await s.send_json_to({"type": "request.cancel"})
        cancelled = await receive_until(s, "request.cancelled")
        assert cancelled["conversation"]


async def test_untrained_listener_gets_a_clear_error_for_shift_start():
    listener = await sync_to_async(ListenerFactory)(profile__trained_at=None)
    async with connected(listener) as l:
        await l.send_json_to({"type": "shift.start", "topics": ["anxiety"], "capacity": 2})
        error = await receive_until(l, "error")
        assert error["code"] == "not_trained"


async def test_logging_out_closes_that_sessions_socket_with_4410():
    from django.conf import settings
    from rest_framework.test import APIClient

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as s:
        client = APIClient()
        client.cookies[settings.SESSION_COOKIE_NAME] = s.session_key
        response = await sync_to_async(client.post)("/api/v1/session/logout")
        assert response.status_code == 204
        closed = await receive_until(s, "session.closed")
        assert closed["reason"] == "logged_out"
        assert (await s.receive_output(timeout=5))["code"] == CloseCode.ACCESS_REVOKED


async def test_waiting_seeker_sees_their_place_move_up_live():
    first = await sync_to_async(SeekerFactory)()
    second = await sync_to_async(SeekerFactory)()
    async with connected(first) as a, connected(second) as b:
        await a.send_json_to({"type": "request.create", "topic": "anxiety"})
        assert (await receive_until(a, "request.created"))["request"]["position"] == 1
        await b.send_json_to({"type": "request.create", "topic": "anxiety"})
        assert (await receive_until(b, "request.created"))["request"]["position"] == 2
        await a.send_json_to({"type": "request.cancel"})
        await receive_until(a, "request.cancelled")
        from support.scheduler import run_jobs_once

        await run_jobs_once()  # the next scheduler tick sends the new places
        update = await receive_until(b, "queue.position")
        while update["request"]["position"] != 1:
            update = await receive_until(b, "queue.position")
        assert update["request"]["position"] == 1


async def test_listener_transfer_keeps_the_seeker_in_the_chat():
    seeker = await sync_to_async(SeekerFactory)()
    first = await sync_to_async(ListenerFactory)()
    second = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(first) as l1, connected(second) as l2:
        conversation, _, _ = await matched(s, l1)
        await start_shift(l2)
        await l1.send_json_to({"type": "conversation.transfer", "conversation": conversation})
        await receive_until(l1, "conversation.transfer_requested")
        offer = await receive_until(l2, "offer.created")
        assert offer["offer"]["kind"] == "transfer"
        await l2.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"]})
        started = await receive_until(l2, "conversation.started")
        assert started["conversation"]["id"] == conversation
        moved = await receive_until(l1, "conversation.transferred")
        assert moved["to"] == second.alias
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "after", "text": "are you still there?"}
        )
        await receive_until(s, "message.ack")
        got = await receive_until(l2, "message.created")
        while got["message"]["kind"] != "text":
            got = await receive_until(l2, "message.created")
        assert got["message"]["text"] == "are you still there?"


async def test_suspended_listener_cannot_reopen_the_chat_socket():
    from listeners.models import ListenerStatus

    listener = await sync_to_async(ListenerFactory)(profile__status=ListenerStatus.SUSPENDED)
    async with connected(listener, expect_hello=False) as ws:
        assert (await ws.receive_output(timeout=5))["code"] == CloseCode.ACCESS_REVOKED


async def test_widening_a_request_is_answered_directly():
    seeker = await sync_to_async(SeekerFactory)()
    favourite = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s:
        await s.send_json_to({"type": "request.create", "topic": "anxiety", "listener": favourite.alias})
        created = await receive_until(s, "request.created")
        assert created["request"]["listener"] == favourite.alias
        await s.send_json_to({"type": "request.widen", "ref": "w"})
        frame = await receive_until(s, "request.updated")
        while frame.get("ref") != "w":
            frame = await receive_until(s, "request.updated")
        assert frame["request"]["listener"] is None
