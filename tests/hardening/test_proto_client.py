"""The hardening tests' protocol client: its ack timeout re-sends like the web app does.

A tiny websocket server stands in for Hearth: it says ``hello`` and answers
``message.send`` with an ack, except that it swallows the frames it is told to
drop. Nothing here depends on timing beyond generous waits.
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
    """Acks every message.send by client_id (a repeat gets the original seq), dropping the first ``drop`` sends."""

    def __init__(self, drop: int = 0, drop_acks: int = 0):
        self.drop, self.drop_acks = drop, drop_acks
        self.received: list[str] = []  # client_ids in arrival order, repeats included
        self.seqs: dict[str, int] = {}

    async def handler(self, socket):
        await socket.send(json.dumps({"type": "hello", "conversations": []}))
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") != "message.send":
                continue
            client_id = frame["client_id"]
            self.received.append(client_id)
            if self.drop > 0:
                self.drop -= 1
                continue
            seq = self.seqs.setdefault(client_id, len(self.seqs) + 1)
            if self.drop_acks > 0:
                self.drop_acks -= 1
                continue
            await socket.send(json.dumps({"type": "message.ack", "client_id": client_id, "seq": seq, "ref": frame.get("ref")}))


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
