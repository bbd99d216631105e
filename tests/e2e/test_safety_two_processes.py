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

pytestmark = [pytest.mark.e2e]
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


async def _wait_for_file(path, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not path.exists():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path.name} never appeared: the staff socket did not read the open alerts")
        await asyncio.sleep(0.02)


async def alert_in_the_gap(seeker_server, staff_server, pause_dir) -> tuple[dict, dict, float, int]:
    """Raise an alert on the seeker's process while the staff socket on the other sits between
    its read of the open alerts and its ``hello``."""
    seeker_http = HttpClient(seeker_server.http)
    seeker_http.start_anonymous(age=24)
    seeker = await _open(seeker_server, seeker_http, "/ws/v1/chat/")
    await _expect(seeker, "hello")
    await seeker.send(json.dumps({"type": "request.create", "topic": "anxiety"}))
    conversation = (await _expect(seeker, "request.created"))["request"]["conversation"]

    staff_http = HttpClient(staff_server.http)
    staff_http.login("safety", "hearth-demo-safety")
    staff = await _open(staff_server, staff_http, "/ws/v1/staff/")
    await _wait_for_file(pause_dir / "read-done")

    await seeker.send(
        json.dumps({"type": "message.send", "conversation": conversation, "client_id": "gap-1", "text": CRISIS})
    )
    await _expect(seeker, "message.ack")  # persisted, flagged and broadcast before the ack
    (pause_dir / "continue").touch()

    hello = await _expect(staff, "hello")
    loop = asyncio.get_running_loop()
    hello_at = loop.time()
    alert = await _expect(staff, "alert.created", timeout=5)
    after_hello = loop.time() - hello_at
    await staff.close()
    await seeker.close()
    return hello, alert, after_hello, conversation


def test_an_alert_raised_between_the_staff_sockets_read_and_hello_arrives_live(tmp_path, postgres_url, redis_url):
    """The staff socket joins its group before it reads the open alerts, so an alert raised on
    another process in between is delivered live (not ~2 minutes later by the re-notify round)."""
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()
    redis_db4 = urlunparse(urlparse(redis_url)._replace(path=SAFETY_REDIS_DB))
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_db4) as cluster:
        cluster.manage("seed_demo")
        seeker_server = cluster.start()
        staff_server = cluster.start(
            module="tests.e2e.paused_alert_read", env={"HEARTH_TEST_PAUSE_DIR": str(pause_dir)}
        )
        hello, alert, after_hello, conversation = asyncio.run(alert_in_the_gap(seeker_server, staff_server, pause_dir))

    assert hello["alerts"] == []  # read before the alert existed
    assert alert["alert"]["conversation"] == conversation
    assert after_hello < 1.0
