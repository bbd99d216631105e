"""The websocket size limits on a real Daphne process (``python -m support.serve``).

The in-memory communicator enforces no transport limit, so both directions are checked here:
a client frame over ``HEARTH_WS_SERVER_MAX_BYTES`` is closed with 1009 (not a reset
connection), and replies that would pass the limit (the transcript at a match after a
seeker wrote a lot while waiting, a sync from 0) arrive in pages instead of failing.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient

pytestmark = [pytest.mark.e2e]

LIMIT = 64 * 1024
LOTS = {"CHAT_RATE_MESSAGES": "100000", "HEARTH_WS_HANDSHAKES_PER_IP": "100000"}


class Socket:
    """A chat socket that records every frame with its size."""

    def __init__(self, ws):
        self.ws = ws
        self.sizes: list[tuple[str, int]] = []

    @classmethod
    async def open(cls, server, http: HttpClient) -> Socket:
        ws = await websockets.connect(
            f"{server.ws}/ws/v1/chat/",
            origin=server.http,
            additional_headers=http.ws_headers(),
            max_size=None,
            compression=None,
        )
        socket = cls(ws)
        assert (await socket.expect("hello"))["type"] == "hello"
        return socket

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, frame_type: str, timeout: float = 15) -> dict:
        async def wait():
            while True:
                raw = await self.ws.recv()
                frame = json.loads(raw)
                self.sizes.append((frame["type"], len(raw.encode("utf-8"))))
                if frame["type"] == "error" and frame_type != "error":
                    raise AssertionError(f"error while waiting for {frame_type}: {frame}")
                if frame["type"] == frame_type:
                    return frame

        return await asyncio.wait_for(wait(), timeout)


async def oversize_is_closed_with_1009(server, http) -> tuple[int | None, dict]:
    socket = await Socket.open(server, http)
    await socket.send({"type": "ping", "pad": "x" * (20 * 1024), "ref": "mid"})
    between = await socket.expect("error")
    try:
        await socket.send({"type": "ping", "pad": "x" * (LIMIT + 1024)})
        await asyncio.wait_for(socket.ws.recv(), 10)
        raise AssertionError("the server answered a frame over its limit")
    except websockets.ConnectionClosed as closed:
        received = closed.rcvd.code if closed.rcvd is not None else None
    return received, between


def test_a_client_frame_over_the_server_limit_is_closed_with_1009(tmp_path):
    with DaphneCluster(workdir=tmp_path) as cluster:
        server = cluster.start()
        http = HttpClient(server.http)
        http.start_anonymous(age=30)
        code, between = asyncio.run(oversize_is_closed_with_1009(server, http))
    assert between["code"] == "frame_too_large"  # not read, so no ref to echo (docs/protocol.md)
    assert code == 1009


async def long_wait_then_match(server, seeker_http, listener_http, count: int) -> dict:
    seeker = await Socket.open(server, seeker_http)
    listener = await Socket.open(server, listener_http)
    await seeker.send({"type": "request.create", "topic": "anxiety"})
    conversation = (await seeker.expect("request.created"))["request"]["conversation"]
    for i in range(count):
        text = (f"{i} I can't stop thinking, é 🌙 " * 40)[:1000]
        await seeker.send({"type": "message.send", "conversation": conversation, "client_id": f"w{i}", "text": text})
        await seeker.expect("message.ack")
    await listener.send({"type": "shift.start", "topics": ["anxiety"], "capacity": 1})
    await listener.expect("shift.start.ack")
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.accept", "offer": offer["offer"]["id"], "ref": "a"})
    accepted = await listener.expect("offer.accepted")
    started = await listener.expect("conversation.started")
    seqs = [m["seq"] for m in started["messages"]]
    after, more, pages = started["next_after_seq"], started["has_more"], 1
    while more:
        await listener.send({"type": "conversation.sync", "conversation": conversation, "after_seq": after})
        page = await listener.expect("conversation.messages")
        seqs += [m["seq"] for m in page["messages"]]
        after, more, pages = page["next_after_seq"], page["has_more"], pages + 1
        last_seq = page["last_seq"]
    await seeker.expect("conversation.started")
    await seeker.send({"type": "ping", "ref": "still"})
    pong = await seeker.expect("pong")
    result = {
        "accepted": accepted,
        "seqs": seqs,
        "last_seq": last_seq,
        "pages": pages,
        "pong": pong,
        "sizes": seeker.sizes + listener.sizes,
    }
    await seeker.ws.close()
    await listener.ws.close()
    return result


def test_the_match_after_a_long_wait_delivers_the_whole_transcript_in_pages_and_keeps_both_sockets(tmp_path):
    with DaphneCluster(workdir=tmp_path, extra_env=LOTS) as cluster:
        cluster.manage("seed_demo")
        server = cluster.start()
        seeker_http, listener_http = HttpClient(server.http), HttpClient(server.http)
        seeker_http.start_anonymous(age=30)
        listener_http.login("listener", "hearth-demo-listener")
        result = asyncio.run(long_wait_then_match(server, seeker_http, listener_http, 150))
        log = server.log()
    assert result["accepted"]["ref"] == "a"
    assert result["pages"] > 1
    assert result["seqs"] == list(range(1, result["last_seq"] + 1))
    assert result["pong"]["ref"] == "still"
    assert max(size for _, size in result["sizes"]) < LIMIT
    assert "Traceback" not in log and "exceeding payload limit" not in log
