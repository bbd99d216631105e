"""The socket whose frame opened or joined a conversation gets its state directly, not through
the channel layer (at most once): ``request.create`` and ``offer.accept``."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tests.chat.test_chat_socket import start_shift
from tests.factories import ListenerFactory, SeekerFactory
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def layer_loses_join_events(monkeypatch):
    """The layer drops every ``conversation.join`` event, as an at-most-once layer may."""
    layer = get_channel_layer()
    real_group_send = layer.group_send
    lost = []

    async def group_send(group, message):
        if message.get("type") == "conversation.join":
            lost.append((group, message))
            return
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return lost


async def frames_until_pong(ws) -> list[dict]:
    """Everything the socket sent before answering a ping (it answers frames in order)."""
    await ws.send_json_to({"type": "ping", "ref": "drain"})
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=5)
        if frame.get("type") == "pong" and frame.get("ref") == "drain":
            return frames
        frames.append(frame)


async def test_the_acting_socket_gets_its_conversation_even_when_the_layer_loses_the_join(layer_loses_join_events):
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        await start_shift(l)
        await s.send_json_to({"type": "request.create", "topic": "anxiety", "ref": "r"})
        waiting = await s.receive_json_from(timeout=5)
        assert waiting["type"] == "conversation.waiting"
        created = await receive_until(s, "request.created")
        assert created["request"]["conversation"] == waiting["conversation"]["id"]

        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"], "ref": "a"})
        assert (await receive_until(l, "offer.accepted"))["conversation"] == waiting["conversation"]["id"]
        started = await l.receive_json_from(timeout=5)
        assert started["type"] == "conversation.started"
        assert started["conversation"]["peer"]["alias"] == seeker.alias
        assert layer_loses_join_events, "the layer must really have lost the join events"

        # Joined for real: the listener's messages reach the acting socket's own log.
        await l.send_json_to(
            {"type": "message.send", "conversation": waiting["conversation"]["id"], "client_id": "hi", "text": "hello"}
        )
        assert (await receive_until(l, "message.ack"))["duplicate"] is False


async def test_the_acting_socket_gets_one_conversation_started_and_the_users_other_socket_one_too():
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as acting, connected(listener) as other:
        await start_shift(acting)
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        await receive_until(s, "request.created")
        offer = await receive_until(acting, "offer.created")
        await acting.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"]})
        conversation = (await receive_until(acting, "offer.accepted"))["conversation"]
        assert (await receive_until(other, "conversation.started"))["conversation"]["id"] == conversation
        assert (await receive_until(s, "conversation.started"))["conversation"]["id"] == conversation
        # By now the layer has delivered the join to every socket of the listener, the acting one included.
        started = [f for f in await frames_until_pong(acting) if f["type"] == "conversation.started"]
        assert [f["conversation"]["id"] for f in started] == [conversation]


async def test_the_seekers_socket_gets_the_match_from_the_event_without_a_read_of_its_own(monkeypatch):
    from chat import frames

    reads_for = []
    real = frames.send_conversation_state

    async def counting(consumer, conversation_id):
        reads_for.append(consumer.user.pk)
        await real(consumer, conversation_id)

    monkeypatch.setattr(frames, "send_conversation_state", counting)
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        await start_shift(l)
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        conversation = (await receive_until(s, "request.created"))["request"]["conversation"]
        await s.send_json_to(
            {"type": "message.send", "conversation": conversation, "client_id": "w", "text": "still here"}
        )
        await receive_until(s, "message.ack")
        offer = await receive_until(l, "offer.created")
        await l.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"]})
        started = await receive_until(s, "conversation.started")
        assert started["conversation"]["peer"]["alias"] == listener.alias
        assert started["conversation"]["your_role"] == "seeker"
        assert [m["text"] for m in started["messages"] if m["kind"] == "text"] == ["still here"]
        assert any(m["kind"] == "system" for m in started["messages"])  # "… has joined the chat."
        assert seeker.pk not in reads_for
