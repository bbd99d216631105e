"""Two real Daphne processes on one PostgreSQL and one Redis: match, talk, kill the seeker, resume.

The seeker is connected to one process and the listener to the other, with a
real websocket client, so delivery, matching and presence must go through the
database and the Redis layer.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient

pytestmark = [pytest.mark.e2e]
CARRY_MESSAGES = {"conversation.started", "conversation.waiting", "conversation.messages"}


class Client:
    """A protocol client that keeps every message by seq, as docs/protocol.md asks."""

    def __init__(self, server, http: HttpClient):
        self.server, self.http = server, http
        self.socket = None
        self.frames: asyncio.Queue = asyncio.Queue()
        self.messages: dict[int, dict[int, dict]] = {}
        self._reader = None

    async def connect(self):
        self.socket = await websockets.connect(
            f"{self.server.ws}/ws/v1/chat/",
            origin=self.server.http,
            additional_headers=self.http.ws_headers(),
            compression=None,
        )
        self._reader = asyncio.create_task(self._read())
        return await self.expect("hello")

    async def _read(self):
        try:
            async for raw in self.socket:
                frame = json.loads(raw)
                carried = frame["messages"] if frame["type"] in CARRY_MESSAGES else []
                if frame["type"] == "message.created":
                    carried = [frame["message"]]
                for message in carried:
                    self.messages.setdefault(message["conversation"], {})[message["seq"]] = message
                await self.frames.put(frame)
        except websockets.ConnectionClosed:
            pass

    async def send(self, frame):
        await self.socket.send(json.dumps(frame))

    async def expect(self, frame_type, timeout=10):
        async def wait():
            while True:
                frame = await self.frames.get()
                if frame["type"] == frame_type:
                    return frame
                if frame["type"] == "error":
                    raise AssertionError(f"error frame while waiting for {frame_type}: {frame}")

        return await asyncio.wait_for(wait(), timeout)

    async def kill(self):
        """Drop the TCP connection without a closing handshake, like a phone losing signal."""
        self.socket.transport.abort()
        await asyncio.sleep(0.1)
        self._reader.cancel()

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


async def run_scenario(seeker_server, listener_server, cluster):
    seeker_http = HttpClient(seeker_server.http)
    seeker_http.start_anonymous(age=27)
    listener_http = HttpClient(listener_server.http)
    listener_http.login("listener", "hearth-demo-listener")
    seeker, listener = Client(seeker_server, seeker_http), Client(listener_server, listener_http)
    await seeker.connect()
    await listener.connect()
    await listener.send({"type": "shift.start", "topics": ["anxiety", "sleep"], "capacity": 3})
    await listener.expect("shift.start.ack")
    await seeker.send({"type": "request.create", "topic": "anxiety", "note": "panic at night"})
    conversation = (await seeker.expect("request.created"))["request"]["conversation"]
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.accept", "offer": offer["offer"]["id"]})
    await listener.expect("conversation.started")
    await seeker.expect("conversation.started")

    sent_by_seeker = []
    for i in range(5):
        client_id = f"s-{uuid.uuid4().hex[:8]}"
        await seeker.send(
            {"type": "message.send", "conversation": conversation, "client_id": client_id, "text": f"seeker {i}"}
        )
        sent_by_seeker.append((client_id, (await seeker.expect("message.ack"))["seq"]))
    for i in range(3):
        await listener.send(
            {"type": "message.send", "conversation": conversation, "client_id": f"l-a{i}", "text": f"listener {i}"}
        )
        await listener.expect("message.ack")

    # The seeker's connection dies mid-chat; the listener keeps writing.
    await seeker.kill()
    last_seen = max(seeker.messages.get(conversation, {0: None}))
    for i in range(3, 8):
        await listener.send(
            {"type": "message.send", "conversation": conversation, "client_id": f"l-b{i}", "text": f"listener {i}"}
        )
        await listener.expect("message.ack")

    # Reconnect (to the other process this time), resend one unacknowledged message, resume.
    seeker.server = listener_server
    seeker.frames = asyncio.Queue()
    hello = await seeker.connect()
    assert conversation in [c["id"] for c in hello["conversations"]]
    await seeker.send(
        {"type": "message.send", "conversation": conversation, "client_id": sent_by_seeker[-1][0], "text": "seeker 4"}
    )
    again = await seeker.expect("message.ack")
    assert again["duplicate"] is True and again["seq"] == sent_by_seeker[-1][1]
    after = last_seen
    while True:
        await seeker.send({"type": "conversation.sync", "conversation": conversation, "after_seq": after})
        page = await seeker.expect("conversation.messages")
        if page["messages"]:
            after = page["messages"][-1]["seq"]
        if not page["has_more"]:
            break
    await listener.send(
        {"type": "message.send", "conversation": conversation, "client_id": "l-final", "text": "still here"}
    )
    await listener.expect("message.ack")
    await asyncio.sleep(0.5)

    seeker_view = seeker.messages[conversation]
    listener_view = listener.messages[conversation]
    await seeker.close()
    await listener.close()
    return conversation, seeker_view, listener_view


def test_two_daphne_processes_match_deliver_and_resume_without_loss_or_duplicates(tmp_path, postgres_url, redis_url):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url) as cluster:
        cluster.manage("seed_demo")
        first, second = cluster.start(), cluster.start()
        conversation, seeker_view, listener_view = asyncio.run(run_scenario(first, second, cluster))

        import psycopg

        with psycopg.connect(cluster.database_url) as conn:
            rows = conn.execute(
                "SELECT seq, text, sender_role, client_id FROM chat_message WHERE conversation_id = %s ORDER BY seq",
                (conversation,),
            ).fetchall()
        stored_seqs = [row[0] for row in rows]
        assert stored_seqs == list(range(1, len(rows) + 1)), "sequence numbers are gap-free"
        texts = [row[1] for row in rows if row[2] != "system"]
        assert texts == [f"seeker {i}" for i in range(5)] + [f"listener {i}" for i in range(8)] + ["still here"]
        client_ids = [(row[2], row[3]) for row in rows if row[3]]
        assert len(client_ids) == len(set(client_ids)), "no duplicate (sender, client id)"
        assert sorted(seeker_view) == stored_seqs, "the seeker ends with exactly the stored messages"
        assert [seeker_view[s]["text"] for s in stored_seqs] == [row[1] for row in rows]
        assert set(listener_view) <= set(stored_seqs)
