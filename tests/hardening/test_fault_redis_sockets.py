"""A staff console and a room member that connect *while Redis is down*.

Both sockets must open (``hello`` / ``room.hello``), and once Redis is back
(restarted empty) they must get live events without reconnecting: the
heartbeat of ``support.ws.FrameConsumer`` re-joins their groups
(``HEARTH_WS_HEARTBEAT_SECONDS=1`` here). Real Daphne on PostgreSQL, with a
redis-server of the test's own.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.hardening.proto import E2E_ENV, OwnRedis

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]
HEARTBEAT = 1
CRISIS = "i want to kill myself tonight"


async def _open(server, http, path):
    return await websockets.connect(
        f"{server.ws}{path}",
        origin=server.http,
        additional_headers=http.ws_headers(),
        compression=None,
        open_timeout=10,
    )


async def _recv_type(ws, kind: str, timeout: float) -> dict:
    async def wait():
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame

    return await asyncio.wait_for(wait(), timeout)


def test_staff_and_room_sockets_opened_during_a_redis_outage_get_live_events_once_redis_is_back(tmp_path, postgres_url):
    with (
        OwnRedis(tmp_path) as redis,
        DaphneCluster(
            workdir=tmp_path,
            postgres_url=postgres_url,
            redis_url=redis.url,
            extra_env={**E2E_ENV, "HEARTH_WS_HEARTBEAT_SECONDS": str(HEARTBEAT)},
        ) as cluster,
    ):
        cluster.manage("seed_demo")
        room_id = int(
            cluster.manage(
                "shell",
                "-v",
                "0",
                "-c",
                """
from rooms.models import Room, RoomModerator
from support.models import Topic, User
room = Room.objects.create(topic=Topic.objects.filter(is_active=True).order_by("pk").first(), audience="adult",
                           name="Outage room", capacity=30, guideline="Be kind.")
RoomModerator.objects.create(room=room, listener=User.objects.get(username="listener"))
print(room.pk)
""",
            )
            .strip()
            .splitlines()[-1]
        )
        server = cluster.start()
        # Sign-in and anonymous sessions fail closed without Redis: every session is made first.
        staff_http, listener_http, member_http, seeker_http = (HttpClient(server.http) for _ in range(4))
        staff_http.login("safety", "hearth-demo-safety")
        listener_http.login("listener", "hearth-demo-listener")
        member_http.start_anonymous(30)
        seeker_http.start_anonymous(30)

        async def scenario():
            redis.kill()
            await asyncio.sleep(0.5)
            staff = await _open(server, staff_http, "/ws/v1/staff/")
            member = await _open(server, member_http, f"/ws/v1/rooms/{room_id}/")
            staff_hello = await _recv_type(staff, "hello", 15)
            member_hello = await _recv_type(member, "room.hello", 15)
            await asyncio.sleep(1)
            redis.start()  # empty: no groups, no channels
            back_at = time.monotonic()
            await asyncio.sleep(2 * HEARTBEAT)
            # Live events, written after two heartbeats: a crisis message (staff alert) and a moderator's room message.
            seeker = await _open(server, seeker_http, "/ws/v1/chat/")
            await _recv_type(seeker, "hello", 15)
            await seeker.send(json.dumps({"type": "request.create", "topic": "anxiety"}))
            conversation = (await _recv_type(seeker, "request.created", 15))["request"]["conversation"]
            moderator = await _open(server, listener_http, f"/ws/v1/rooms/{room_id}/")
            await _recv_type(moderator, "room.hello", 15)
            sent_at = time.monotonic()
            await seeker.send(
                json.dumps({"type": "message.send", "conversation": conversation, "client_id": "c1", "text": CRISIS})
            )
            await moderator.send(json.dumps({"type": "room.message.send", "client_id": "m1", "text": "welcome back"}))
            results = {}
            for name, ws, kind in (("staff", staff, "alert.created"), ("member", member, "room.message.created")):
                try:
                    results[name] = (await _recv_type(ws, kind, 10), time.monotonic() - back_at)
                except TimeoutError:
                    results[name] = (None, None)
            for ws in (staff, member, seeker, moderator):
                await ws.close()
            return staff_hello, member_hello, results, sent_at - back_at

        staff_hello, member_hello, results, sent_after = asyncio.run(scenario())
        alive = server.process.poll() is None

    assert alive
    assert staff_hello["type"] == "hello" and member_hello["type"] == "room.hello"
    alert, staff_seconds = results["staff"]
    assert alert is not None, "the staff socket opened during the outage never got the alert after Redis returned"
    assert alert["alert"]["excerpt"].startswith(CRISIS[:20])
    message, member_seconds = results["member"]
    assert message is not None, (
        "the room socket opened during the outage never got the room message after Redis returned"
    )
    assert message["message"]["text"] == "welcome back"
    # Written two heartbeats after the return, they arrive at once (not after a reconnect or a resync).
    assert max(staff_seconds, member_seconds) <= 2 * HEARTBEAT + 3
    print(
        f"events sent {sent_after:.1f}s after Redis returned; staff alert at {staff_seconds:.1f}s, "
        f"room message at {member_seconds:.1f}s"
    )
