"""Crisis escalations while Redis is down, each from a socket closed right after sending.

Every crisis message must become a flag in the database, and safety staff
must get every alert once Redis is back: the staff socket's ``hello`` carries
the unresolved alerts read from the database (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.hardening.conftest import size
from tests.hardening.proto import E2E_ENV, OwnRedis

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]
CRISIS = "i want to kill myself"


async def _recv_type(ws, kind: str, timeout: float = 15) -> dict:
    async def wait():
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame

    return await asyncio.wait_for(wait(), timeout)


async def _seeker_in_crisis(server, index: int) -> int:
    """A seeker writes one crisis message and closes the socket at once, without waiting for the ack."""
    http = HttpClient(server.http)
    await asyncio.to_thread(http.start_anonymous, 30)
    async with websockets.connect(
        f"{server.ws}/ws/v1/chat/", origin=server.http, additional_headers=http.ws_headers(), compression=None
    ) as ws:
        await _recv_type(ws, "hello")
        await ws.send(json.dumps({"type": "request.create", "topic": "anxiety"}))
        conversation = (await _recv_type(ws, "request.created"))["request"]["conversation"]
        await ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation": conversation,
                    "client_id": f"crisis-{index}",
                    "text": f"{CRISIS} ({index})",
                }
            )
        )
    return conversation


def _flags(database_url: str, conversations) -> list[tuple[int, int]]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT id, conversation_id FROM safety_safetyflag WHERE conversation_id = ANY(%s) AND level >= 2",
            (list(conversations),),
        ).fetchall()


async def _staff_hello(server, http) -> dict:
    async with websockets.connect(
        f"{server.ws}/ws/v1/staff/", origin=server.http, additional_headers=http.ws_headers(), compression=None
    ) as ws:
        return await _recv_type(ws, "hello")


def test_every_escalation_during_a_redis_outage_is_stored_and_reaches_staff_once_redis_is_back(tmp_path, postgres_url):
    count = size(40, 100)
    with (
        OwnRedis(tmp_path) as redis,
        DaphneCluster(
            workdir=tmp_path,
            postgres_url=postgres_url,
            redis_url=redis.url,
            extra_env={**E2E_ENV, "HEARTH_WS_HEARTBEAT_SECONDS": "1"},
        ) as cluster,
    ):
        cluster.manage("seed_demo")
        servers = [cluster.start(), cluster.start()]
        staff_http = HttpClient(servers[1].http)
        staff_http.login("safety", "hearth-demo-safety")  # login fails closed without Redis: sign in first

        async def scenario():
            before = await _staff_hello(servers[1], staff_http)
            redis.kill()
            started = time.monotonic()
            conversations = []
            for batch in range(0, count, 10):
                conversations += await asyncio.gather(
                    *(_seeker_in_crisis(servers[i % 2], i) for i in range(batch, min(batch + 10, count)))
                )
            flags = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                flags = await asyncio.to_thread(_flags, cluster.database_url, conversations)
                if len({conv for _, conv in flags}) == count:
                    break
                await asyncio.sleep(0.5)
            stored_in = time.monotonic() - started
            redis.start()
            await asyncio.sleep(2)
            after = await _staff_hello(servers[1], staff_http)
            return before, conversations, flags, after, stored_in

        before, conversations, flags, after, stored_in = asyncio.run(scenario())
        alive = all(server.process.poll() is None for server in servers)

    assert alive
    flagged_conversations = {conversation for _, conversation in flags}
    print(
        f"{len(flagged_conversations)} of {count} crisis messages flagged in the database ({stored_in:.1f}s) with Redis down"
    )
    assert flagged_conversations == set(conversations)
    alert_ids = [alert["id"] for alert in after["alerts"]]
    assert len(alert_ids) == len(set(alert_ids)), "an alert is listed twice"
    assert {flag_id for flag_id, _ in flags} <= set(alert_ids), "staff did not get every alert once Redis was back"
    assert not before["alerts"]
