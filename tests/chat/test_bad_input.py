"""Bad frames get typed error frames, the socket stays open, and nothing is half-written.

Unknown fields, wrong types, huge page sizes, negative or impossible seqs: each is refused with
an ``error`` frame naming the field (and echoing ``ref``), and the next frame works.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.consumers import ChatConsumer
from chat.models import ChatRequest, Message
from rooms.consumers import RoomConsumer
from rooms.models import RoomMessage
from safety.consumers import StaffConsumer
from tests.chat.helpers import matched_pair
from tests.rooms.helpers import make_member, make_room, room_path
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def refused(ws, frame: dict) -> dict:
    """Send ``frame`` (with a ref), return its error, and check the socket still answers."""
    await ws.send_json_to({**frame, "ref": "bad"})
    error = await receive_until(ws, "error")
    assert error["ref"] == "bad", error
    await ws.send_json_to({"type": "ping", "ref": "after"})
    assert (await receive_until(ws, "pong"))["ref"] == "after"
    return error


@pytest.mark.parametrize("consumer", [ChatConsumer, StaffConsumer, RoomConsumer])
def test_every_frame_type_declares_the_fields_it_takes(consumer):
    assert set(consumer.frame_fields) == set(consumer.handlers)


async def test_unknown_fields_are_refused_and_nothing_is_stored():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    count = await sync_to_async(Message.objects.filter(conversation=conversation).count)()
    async with connected(seeker) as ws:
        error = await refused(
            ws,
            {"type": "message.send", "conversation": conversation.pk, "client_id": "u1", "text": "hi", "urgent": True},
        )
        assert error["code"] == "unknown_field" and error["field"] == "urgent"
        error = await refused(ws, {"type": "conversation.sync", "conversation": conversation.pk, "after": 3})
        assert error["code"] == "unknown_field" and error["field"] == "after"
        error = await refused(ws, {"type": "ping", "extra": 1})
        assert error["code"] == "unknown_field"
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == count


async def test_a_request_with_an_unknown_field_creates_no_request():
    from tests.factories import SeekerFactory

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        error = await refused(ws, {"type": "request.create", "topic": "anxiety", "priority": "urgent"})
        assert error == {**error, "code": "unknown_field", "field": "priority"}
    assert not await sync_to_async(ChatRequest.objects.filter(seeker=seeker).exists)()


@pytest.mark.parametrize(
    "frame, field",
    [
        ({"type": "message.send", "conversation": "1", "client_id": "x", "text": "hi"}, "conversation"),
        ({"type": "message.send", "conversation": 1.5, "client_id": "x", "text": "hi"}, "conversation"),
        ({"type": "message.send", "client_id": 7, "text": "hi"}, "client_id"),
        ({"type": "message.send", "client_id": "x", "text": ["hi"]}, "text"),
        ({"type": "conversation.sync", "after_seq": "0"}, "after_seq"),
        ({"type": "conversation.sync", "limit": True}, "limit"),
        ({"type": "conversation.sync", "limit": 10**9}, "limit"),
        ({"type": "conversation.sync", "limit": 0}, "limit"),
        ({"type": "conversation.sync", "after_seq": -1}, "after_seq"),
        ({"type": "conversation.sync", "after_seq": 10**6}, "after_seq"),
        ({"type": "conversation.read", "seq": -5}, "seq"),
        ({"type": "conversation.read", "seq": "3"}, "seq"),
        ({"type": "typing", "active": "yes"}, "active"),
    ],
)
async def test_wrong_types_and_impossible_values_name_the_field(frame, field):
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    count = await sync_to_async(Message.objects.filter(conversation=conversation).count)()
    frame = {"conversation": conversation.pk, **frame}
    async with connected(seeker) as ws:
        error = await refused(ws, frame)
    assert error["code"] in ("invalid_field", "missing_field") and error["field"] == field, error
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == count


async def test_a_sync_past_the_end_says_where_the_end_is():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as ws:
        error = await refused(
            ws, {"type": "conversation.sync", "conversation": conversation.pk, "after_seq": conversation.last_seq + 1}
        )
    assert error["code"] == "invalid_field" and error["last_seq"] == conversation.last_seq


async def test_a_stale_read_marker_never_moves_back():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as ws:
        await ws.send_json_to(
            {"type": "conversation.read", "conversation": conversation.pk, "seq": conversation.last_seq, "ref": 1}
        )
        first = await receive_until(ws, "conversation.read.ack")
        await ws.send_json_to({"type": "conversation.read", "conversation": conversation.pk, "seq": 0, "ref": 2})
        stale = await receive_until(ws, "conversation.read.ack")
    assert first["ref"] == 1 and stale["ref"] == 2
    assert stale["seq"] == first["seq"] == conversation.last_seq


async def test_conversation_end_is_answered_directly_with_ref_once_and_the_other_side_is_told():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as s, connected(listener) as l:
        await s.send_json_to({"type": "conversation.end", "conversation": conversation.pk, "ref": "bye"})
        ended = await receive_until(s, "conversation.ended")
        assert ended["ref"] == "bye" and ended["reason"] == "seeker_ended" and ended["ended_by"] == "seeker"
        other = await receive_until(l, "conversation.ended")
        assert "ref" not in other and other["reason"] == "seeker_ended" and other["last_seq"] == ended["last_seq"]
        # Ending again is idempotent and answered the same way; the acting socket got no second copy.
        await s.send_json_to({"type": "conversation.end", "conversation": conversation.pk, "ref": "again"})
        again = await receive_until(s, "conversation.ended")
        assert again["ref"] == "again" and again["reason"] == "seeker_ended"
        await s.send_json_to({"type": "ping", "ref": "p"})
        frame = await s.receive_json_from(timeout=5)
        assert frame["type"] == "pong", frame


async def test_room_frames_with_unknown_fields_or_huge_pages_are_refused_and_nothing_is_stored():
    room = await sync_to_async(make_room)()
    member = await sync_to_async(make_member)(room)
    async with connected(member, path=room_path(room.pk)) as ws:
        error = await refused(ws, {"type": "room.message.send", "client_id": "r1", "text": "hello", "sticky": True})
        assert error["code"] == "unknown_field" and error["field"] == "sticky"
        error = await refused(ws, {"type": "room.history", "before_seq": 5, "limit": 10**9})
        assert error["code"] == "invalid_field" and error["field"] == "limit"
        error = await refused(ws, {"type": "room.sync", "after_seq": 0, "limit": 10**9})
        assert error["code"] == "invalid_field" and error["field"] == "limit"
        error = await refused(ws, {"type": "room.sync", "after_seq": -1})
        assert error["code"] == "invalid_field" and error["field"] == "after_seq"
        error = await refused(ws, {"type": "room.sync", "after_seq": 999})
        assert error["code"] == "invalid_field" and error["last_seq"] == 0
    assert not await sync_to_async(RoomMessage.objects.filter(room=room).exists)()
