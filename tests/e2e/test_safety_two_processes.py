"""A crisis message on one Daphne process reaches a staff socket on another.

Two real Daphne processes share one PostgreSQL database (created for this
test) and one Redis channel layer (db 4). The seeker talks to the first, the
safety staff member is connected to the second, so the alert must travel
through the database and the Redis layer; a staff socket that connects later
still gets the alert from the database.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse, urlunparse

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
CRISIS = "i want to kill myself"
SAFETY_REDIS_DB = "/4"


async def _open(server, http: HttpClient, path: str):
    return await websockets.connect(
        f"{server.ws}{path}", origin=server.http, additional_headers=http.ws_headers(), compression=None
    )


async def _expect(socket, frame_type: str, timeout: float = 10) -> dict:
    async def wait():
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame
            if frame["type"] == "error":
                raise AssertionError(f"error frame while waiting for {frame_type}: {frame}")

    return await asyncio.wait_for(wait(), timeout)


async def scenario(seeker_server, staff_server) -> tuple[dict, dict, int]:
    staff_http = HttpClient(staff_server.http)
    staff_http.login("safety", "hearth-demo-safety")
    staff = await _open(staff_server, staff_http, "/ws/v1/staff/")
    hello = await _expect(staff, "hello")
    assert hello["alerts"] == []

    seeker_http = HttpClient(seeker_server.http)
    seeker_http.start_anonymous(age=24)
    seeker = await _open(seeker_server, seeker_http, "/ws/v1/chat/")
    await _expect(seeker, "hello")
    await seeker.send(json.dumps({"type": "request.create", "topic": "anxiety"}))
    conversation = (await _expect(seeker, "request.created"))["request"]["conversation"]
    await seeker.send(
        json.dumps({"type": "message.send", "conversation": conversation, "client_id": "c-1", "text": CRISIS})
    )
    await _expect(seeker, "message.ack")

    live = await _expect(staff, "alert.created")
    await staff.close()

    # A console opened later, on the seeker's process, gets the same alert from the database.
    late_http = HttpClient(seeker_server.http)
    late_http.login("safety", "hearth-demo-safety")
    late = await _open(seeker_server, late_http, "/ws/v1/staff/")
    late_hello = await _expect(late, "hello")
    await late.close()
    await seeker.close()
    return live, late_hello, conversation


def test_crisis_alert_reaches_staff_connected_to_another_daphne_process(tmp_path, postgres_url, redis_url):
    redis_db4 = urlunparse(urlparse(redis_url)._replace(path=SAFETY_REDIS_DB))
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_db4) as cluster:
        cluster.manage("seed_demo")
        seeker_server, staff_server = cluster.start(), cluster.start()
        live, late_hello, conversation = asyncio.run(scenario(seeker_server, staff_server))

    assert live["alert"]["conversation"] == conversation
    assert live["alert"]["level_label"] == "elevated"
    assert [alert["id"] for alert in late_hello["alerts"]] == [live["alert"]["id"]]
