"""The hardening tests' protocol client: it re-sends an unanswered send like the web app does.

A tiny websocket server stands in for Hearth: it says ``hello``, handles frames
one at a time in arrival order (as a Daphne consumer does), answers ``ping`` with
``pong`` and ``message.send`` with an ack, except that it swallows the frames or
acks it is told to drop, and it can stop handling frames for a while (busy).
Nothing here depends on timing beyond generous waits: the waits the client plans
are recorded and checked, not measured.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
import websockets

from tests.e2e.servers import HttpClient
from tests.hardening.proto import ResilientClient

pytestmark = pytest.mark.reliability


@dataclass
class FakeServer:
    port: int

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Hearthish:
    """Acks every message.send by client_id (a repeat gets the original seq) and answers pings, in order.

    ``drop``: the first sends never arrive. ``drop_acks``: the first sends are stored, their acks lost.
    ``answer_from``: a client_id is acked only from its n-th arrival (earlier ones stored, acks lost).
    ``close_at``: the socket is closed (1012) instead of answering the n-th send to arrive.
    ``handling`` cleared: frames wait unhandled, as on a busy server.
    """

    def __init__(self, drop: int = 0, drop_acks: int = 0, answer_from: int = 1, close_at: int | None = None):
        self.drop, self.drop_acks, self.answer_from, self.close_at = drop, drop_acks, answer_from, close_at
        self.received: list[str] = []  # client_ids in arrival order, repeats included
        self.seqs: dict[str, int] = {}
        self.handling = asyncio.Event()
        self.handling.set()
        self.resent_unanswered: set[str] = set()  # client_ids that arrived again and are not acked yet
        self.most_resent_unanswered = 0

    async def handler(self, socket):
        await socket.send(json.dumps({"type": "hello", "conversations": []}))
        async for raw in socket:
            await self.handling.wait()
            frame = json.loads(raw)
            if frame.get("type") == "ping":
                await socket.send(json.dumps({"type": "pong", "ref": frame.get("ref")}))
                continue
            if frame.get("type") != "message.send":
                continue
            client_id = frame["client_id"]
            self.received.append(client_id)
            if self.close_at is not None and len(self.received) == self.close_at:
                await socket.close(1012)
                return
            if self.drop > 0:
                self.drop -= 1
                continue
            seq = self.seqs.setdefault(client_id, len(self.seqs) + 1)
            if self.received.count(client_id) > 1:
                self.resent_unanswered.add(client_id)
                self.most_resent_unanswered = max(self.most_resent_unanswered, len(self.resent_unanswered))
            if self.drop_acks > 0:
                self.drop_acks -= 1
                continue
            if self.received.count(client_id) < self.answer_from:
                continue
            self.resent_unanswered.discard(client_id)
            await socket.send(
                json.dumps({"type": "message.ack", "client_id": client_id, "seq": seq, "ref": frame.get("ref")})
            )


async def _client(hearth: Hearthish, **options):
    server = await websockets.serve(hearth.handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    fake = FakeServer(port)
    http = HttpClient(fake.http)
    client = ResilientClient([fake], http, name="probe", **options)
    await client.start()
    return server, client


async def _answered(client, timeout: float = 10) -> None:
    async def wait():
        while client.pending:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout)


async def test_a_lost_send_is_resent_with_the_same_client_id_after_the_ack_timeout():
    hearth = Hearthish(drop=1)
    server, client = await _client(hearth, ack_timeout=0.2)
    try:
        client_id = await client.send_message(7, "hello")
        await _answered(client)
    finally:
        await client.stop()
        server.close()
    assert hearth.received[:2] == [client_id, client_id]
    assert client.acked == {client_id: 1}
    assert client.stats.resends_after_timeout >= 1
    assert client.stats.answered_after_timeout == 1
    assert client.stats.connects == 1 and client.stats.resends_after_reconnect == 0
    # Re-sent only once a probe's pong proved the server had handled it.
    assert client.stats.probes >= 1


async def test_a_lost_ack_is_recovered_by_the_resend_and_counts_once():
    hearth = Hearthish(drop_acks=1)
    server, client = await _client(hearth, ack_timeout=0.2)
    try:
        first = await client.send_message(7, "one")
        second = await client.send_message(7, "two")
        await _answered(client)
    finally:
        await client.stop()
        server.close()
    # The server stored the first once and answered its repeat with the original seq.
    assert hearth.seqs == {first: 1, second: 2}
    assert client.acked == {first: 1, second: 2}
    assert client.stats.answered_after_timeout == 1
    assert not client.stats.send_errors and not client.stats.stale_errors


async def test_without_an_ack_timeout_a_lost_send_stays_pending():
    hearth = Hearthish(drop=1)
    server, client = await _client(hearth, ack_timeout=None)
    try:
        client_id = await client.send_message(7, "hello")
        other = await client.send_message(7, "later")
        await _answered_except(client, client_id)
    finally:
        await client.stop()
        server.close()
    assert list(client.pending) == [client_id]
    assert other in client.acked
    assert client.stats.resends_after_timeout == 0


async def _answered_except(client, client_id: str) -> None:
    async def wait():
        while set(client.pending) != {client_id}:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), 10)


def _within(wait: float, base: float) -> bool:
    return base * 0.8 <= wait <= base * 1.2


async def test_a_send_queued_on_a_busy_server_is_not_resent_however_long_it_waits():
    hearth = Hearthish()
    server, client = await _client(hearth, ack_timeout=0.1)
    try:
        hearth.handling.clear()  # the server is busy: frames queue unhandled
        first = await client.send_message(7, "one")
        second = await client.send_message(7, "two")

        # Five probes go unanswered: long enough for a fixed timeout to have re-sent each several times.
        async def five_probes_or_a_resend():
            while client.stats.probes < 5 and not client.stats.resends_after_timeout:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(five_probes_or_a_resend(), 10)
        assert client.stats.resends_after_timeout == 0
        hearth.handling.set()
        await _answered(client)
    finally:
        await client.stop()
        server.close()
    assert hearth.received == [first, second]  # each arrived once
    assert client.acked == {first: 1, second: 2}
    assert client.stats.held_while_busy == 2
    assert client.stats.resends_after_timeout == 0


async def test_the_ack_wait_doubles_with_each_resend_and_is_jittered():
    hearth = Hearthish(drop_acks=4)  # the first four arrivals stored, their acks lost
    server, client = await _client(hearth, ack_timeout=0.1, ack_timeout_max=0.4)
    try:
        client_id = await client.send_message(7, "hello")
        await _answered(client, timeout=20)
    finally:
        await client.stop()
        server.close()
    waits = client.waits[client_id]
    assert len(waits) == 5 and hearth.received == [client_id] * 5
    for wait, base in zip(waits, [0.1, 0.2, 0.4, 0.4, 0.4]):  # doubling, capped
        assert _within(wait, base), waits
    assert len(set(waits)) == 5  # jittered, never the same wait twice
    assert client.acked == {client_id: 1} and client.stats.resends_after_timeout == 4


async def test_a_reconnect_resends_once_and_starts_the_ack_wait_again():
    hearth = Hearthish(drop_acks=1, close_at=2)  # first ack lost; the timeout re-send meets a closing socket
    server, client = await _client(hearth, ack_timeout=0.2)
    try:
        client_id = await client.send_message(7, "hello")
        await _answered(client, timeout=20)
    finally:
        await client.stop()
        server.close()
    assert hearth.received == [client_id] * 3
    waits = client.waits[client_id]
    assert [_within(wait, base) for wait, base in zip(waits, [0.2, 0.4, 0.2])] == [True] * 3, waits
    assert client.stats.resends_after_timeout == 1 and client.stats.resends_after_reconnect == 1
    assert client.stats.connects == 2


async def test_at_most_the_cap_of_resends_await_an_answer_at_once():
    hearth = Hearthish(answer_from=3)  # each stored at once, acked only on its third arrival
    server, client = await _client(hearth, ack_timeout=0.1, max_resends_in_flight=3)
    try:
        sent = [await client.send_message(7, f"m{i}") for i in range(10)]
        await _answered(client, timeout=30)
    finally:
        await client.stop()
        server.close()
    assert hearth.most_resent_unanswered == 3
    assert client.stats.max_resends_in_flight == 3
    assert client.stats.held_by_cap >= 1
    assert client.acked == {client_id: i + 1 for i, client_id in enumerate(sent)}  # each stored once
    assert all(hearth.received.count(client_id) == 3 for client_id in sent)
