"""Two real Daphne processes on one PostgreSQL and one Redis: room presence and messages cross processes.

Members on different processes must see each other arrive and leave, and
each other's messages, because presence lives in the database, the
"presence changed" flag in the shared cache, and events go through the Redis
layer, never in one process's memory. Arrivals and departures come as
coalesced ``room.presence`` deltas from either process's scheduler.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.rooms.helpers import PresenceView

pytestmark = [pytest.mark.e2e]

SETUP = """
from django.utils import timezone
from listeners.models import ListenerProfile, ListenerStatus
from rooms.models import Room, RoomModerator
from support.models import Role, Topic, User
user = User.objects.create_user(username="roommod", password="hearth-room-moderator", alias="SteadyBeacon", role=Role.LISTENER, age_group="adult")
ListenerProfile.objects.create(user=user, status=ListenerStatus.ACTIVE, trained_at=timezone.now(), approved_for_adults=True)
room = Room.objects.create(topic=Topic.objects.get(slug="anxiety"), audience="adult", name="Night owls", guideline="Be kind.")
RoomModerator.objects.create(room=room, listener=user)
print(room.pk)
"""


class RoomClient:
    def __init__(self, server, http: HttpClient, room_id: int):
        self.server, self.http, self.room_id = server, http, room_id
        self.frames: asyncio.Queue = asyncio.Queue()

    async def connect(self) -> dict:
        self.socket = await websockets.connect(
            f"{self.server.ws}/ws/v1/rooms/{self.room_id}/",
            origin=self.server.http,
            additional_headers=self.http.ws_headers(),
            compression=None,
        )
        self._reader = asyncio.create_task(self._read())
        return await self.expect("room.hello")

    async def _read(self):
        try:
            async for raw in self.socket:
                await self.frames.put(json.loads(raw))
        except websockets.ConnectionClosed:
            pass

    async def send(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def expect(self, frame_type: str, predicate=lambda frame: True, timeout: float = 10) -> dict:
        async def wait():
            while True:
                frame = await self.frames.get()
                if frame["type"] == frame_type and predicate(frame):
                    return frame
                if frame["type"] == "error":
                    raise AssertionError(f"error frame while waiting for {frame_type}: {frame}")

        return await asyncio.wait_for(wait(), timeout)

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()


def aliases(frame: dict) -> set[str]:
    return {member["alias"] for member in frame["members"]}


async def scenario(first, second, room_id: int):
    moderator_http = HttpClient(first.http)
    moderator_http.login("roommod", "hearth-room-moderator")
    alice_http, bob_http, carol_http = HttpClient(first.http), HttpClient(second.http), HttpClient(second.http)
    alice = alice_http.start_anonymous(age=30)["alias"]
    bob = bob_http.start_anonymous(age=41)["alias"]
    carol = carol_http.start_anonymous(age=52)["alias"]

    moderator = RoomClient(first, moderator_http, room_id)
    await moderator.connect()
    alice_ws = RoomClient(first, alice_http, room_id)
    hello = await alice_ws.connect()
    assert hello["room"]["open"] is True
    alice_view = PresenceView(hello)

    bob_ws = RoomClient(second, bob_http, room_id)
    bob_hello = await bob_ws.connect()
    # Bob, on the other process, sees Alice and the moderator already there.
    assert aliases(bob_hello) == {alice, "SteadyBeacon"} | {bob}
    # Alice, on the first process, hears of Bob in a delta sent by whichever process's
    # scheduler took the room's change: never a whole member list.
    deltas = []

    def follow(frame):
        deltas.append(frame)
        alice_view.apply(frame)
        return True

    await alice_ws.expect("room.presence", lambda f: follow(f) and bob in alice_view.aliases)
    assert alice_view.aliases == {alice, bob, "SteadyBeacon"} and alice_view.count == 2
    assert all("members" not in frame for frame in deltas)

    for client in (alice_ws, bob_ws):
        await client.send({"type": "room.acknowledge_guideline"})
        await client.expect("room.guideline_acknowledged")
    await bob_ws.send({"type": "room.message.send", "client_id": "b-1", "text": "hi from the other process"})
    created = await alice_ws.expect("room.message.created")
    assert created["message"]["sender_alias"] == bob and created["message"]["seq"] == 1

    # Bob leaves; Alice (other process) sees it.
    await bob_ws.close()
    left = await alice_ws.expect("room.presence", lambda f: follow(f) and bob not in alice_view.aliases)
    assert bob in left["left"] and alice_view.count == 1
    assert alice_view.aliases == {alice, "SteadyBeacon"}

    # A late joiner on the second process gets exactly who is here in the hello, at the same version.
    carol_ws = RoomClient(second, carol_http, room_id)
    carol_hello = await carol_ws.connect()
    assert aliases(carol_hello) == {alice, carol, "SteadyBeacon"}
    assert carol_hello["presence_version"] >= alice_view.version
    await carol_ws.close()

    # The moderator leaves: the room closes for Alice.
    await moderator.close()
    state = await alice_ws.expect("room.state")
    assert state["open"] is False
    await alice_ws.close()


def test_room_presence_and_messages_cross_two_daphne_processes(tmp_path, postgres_url, redis_url):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url) as cluster:
        room_id = int(cluster.manage("shell", "-c", SETUP).strip().splitlines()[-1])
        first, second = cluster.start(), cluster.start()
        asyncio.run(scenario(first, second, room_id))
