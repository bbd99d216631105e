"""Room test helpers: rooms, moderators, members and socket helpers."""

from __future__ import annotations

from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.utils import timezone

from rooms.models import Room, RoomMembership, RoomModerator, RoomOpeningHours
from support.models import AgeGroup
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, TeenSeekerFactory, topic
from tests.ws import connected

GUIDELINE = "Be kind. No contact details. Moderators may remove messages."


def make_room(
    *,
    audience: str = AgeGroup.ADULT,
    topic_slug: str = "anxiety",
    name: str = "Evening anxiety circle",
    capacity: int = 30,
    hours=(),
) -> Room:
    room = Room.objects.create(
        topic=topic(topic_slug), audience=audience, name=name, guideline=GUIDELINE, capacity=capacity
    )
    for weekday, opens, closes in hours:
        RoomOpeningHours.objects.create(room=room, weekday=weekday, opens_at=opens, closes_at=closes)
    return room


def make_moderator(room: Room):
    teen = room.audience == AgeGroup.TEEN
    listener = ListenerFactory(profile__approved_for_teens=teen)
    RoomModerator.objects.create(room=room, listener=listener)
    return listener


def make_member(room: Room, *, acknowledged: bool = True, teen: bool | None = None):
    """A seeker of the room's audience who already joined once (and accepted the guideline)."""
    teen = room.audience == AgeGroup.TEEN if teen is None else teen
    seeker = TeenSeekerFactory() if teen else SeekerFactory()
    RoomMembership.objects.create(
        room=room,
        user=seeker,
        joined_at=timezone.now(),
        guideline_acknowledged_at=timezone.now() if acknowledged else None,
    )
    return seeker


def make_room_manager():
    user = StaffFactory()
    user.groups.set([Group.objects.get(name="Room managers")])
    return user


def room_path(room_id) -> str:
    return f"/ws/v1/rooms/{room_id}/"


@asynccontextmanager
async def in_room(user, room_id, *, expect_hello: bool = True):
    """A socket in a room, logged in as ``user``; ``.hello`` holds ``room.hello``. Always disconnects."""
    async with connected(user, path=room_path(room_id), expect_hello=expect_hello) as ws:
        if expect_hello:
            assert ws.hello["type"] == "room.hello", ws.hello
        yield ws


async def run_db(fn, *args, **kwargs):
    return await sync_to_async(fn)(*args, **kwargs)


async def frames_until(ws, frame_type: str, *, timeout: float = 5, skip: int = 100) -> tuple[dict, list[dict]]:
    """Receive until a frame of ``frame_type``; returns it and the frames seen before it."""
    seen = []
    for _ in range(skip):
        frame = await ws.receive_json_from(timeout=timeout)
        if frame.get("type") == frame_type:
            return frame, seen
        if frame.get("type") == "error":
            raise AssertionError(f"error while waiting for {frame_type}: {frame!r}")
        seen.append(frame)
    raise AssertionError(f"no {frame_type} frame in {seen!r}")


async def send_and_ack(ws, text: str, client_id: str) -> dict:
    await ws.send_json_to({"type": "room.message.send", "client_id": client_id, "text": text, "ref": client_id})
    frame, _ = await frames_until(ws, "room.message.ack")
    return frame


def announce_presence_now() -> int:
    """Run the coalesced presence tick now, as the scheduler would (tests run no scheduler).

    Forgets when each room was last told so the once-per-interval limit does
    not hold a test's next delta back (test_presence.py tests that limit).
    """
    from rooms.models import RoomPresenceFeed
    from rooms.services import room_presence_announce

    RoomPresenceFeed.objects.update(sent_at=None)
    return room_presence_announce(rescan=True)


async def announce_presence() -> int:
    return await run_db(announce_presence_now)


class PresenceView:
    """What a client keeps: the member list from ``room.hello``, kept current by ``room.presence`` deltas.

    Follows docs/protocol.md: a delta whose ``version`` is not newer is
    ignored; one that starts after our version means one was missed.
    """

    def __init__(self, hello: dict):
        self.version = hello["presence_version"]
        self.members = {m["alias"]: m["moderator"] for m in hello["members"]}
        self.count = sum(1 for m in hello["members"] if not m["moderator"])

    def apply(self, frame: dict) -> bool:
        """Apply a delta; False if it was stale. Raises if one was missed."""
        if frame["version"] <= self.version:
            return False
        if frame["from_version"] > self.version:
            raise AssertionError(f"missed a presence delta: have {self.version}, got {frame}")
        for alias in frame["left"]:
            self.members.pop(alias, None)
        for member in frame["joined"]:
            self.members[member["alias"]] = member["moderator"]
        self.version, self.count = frame["version"], frame["count"]
        return True

    @property
    def aliases(self) -> set[str]:
        return set(self.members)


async def presence_until(ws, predicate, *, attempts: int = 20) -> dict:
    """Receive ``room.presence`` frames until one satisfies ``predicate`` (earlier ones may be stale)."""
    for _ in range(attempts):
        frame, _ = await frames_until(ws, "room.presence")
        if predicate(frame):
            return frame
    raise AssertionError("presence never matched")
