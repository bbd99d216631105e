"""Room presence: one full list in each hello, then coalesced deltas; what a join costs the others.

Service level, with the room events captured as they leave after commit, so
what every member would receive can be counted and measured without sockets.
The socket side is in test_room_socket.py, two processes in
test_e2e_room_presence.py.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction

from rooms import events, jobs, services
from rooms.events import room_group
from rooms.models import RoomPresence, RoomPresenceChange, RoomPresenceFeed
from rooms.selectors import presence_snapshot
from tests.rooms.helpers import PresenceView, make_member, make_moderator, make_room

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TICK = timedelta(seconds=1)


@pytest.fixture
def sent(monkeypatch):
    """Every room event as it leaves (after commit): a list of (group, frame)."""
    out: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        events,
        "send_event_on_commit",
        lambda group, event: transaction.on_commit(
            lambda: out.append((group, json.loads(event["text"]) if "text" in event else event.get("frame")))
        ),
    )
    return out


def presence_frames(sent, room) -> list[dict]:
    return [frame for group, frame in sent if group == room_group(room.pk) and frame["type"] == "room.presence"]


def to_room(sent, room) -> list[dict]:
    return [frame for group, frame in sent if group == room_group(room.pk)]


def join(user, room, channel, now=T0):
    return services.room_join(user=user, room_id=room.pk, channel_name=channel, now=now)


def hello_view(result) -> PresenceView:
    presence = result.presence
    return PresenceView({"presence_version": presence.version, "members": presence.members})


def test_joins_send_the_room_nothing_until_the_tick_sends_one_delta(sent):
    room = make_room(capacity=100)
    moderator = make_moderator(room)
    join(moderator, room, "mod")
    members = [make_member(room) for _ in range(40)]
    for index, member in enumerate(members):
        join(member, room, f"m{index}")
    # Forty joins: the only thing the room heard was that it opened when the moderator came.
    assert [frame["type"] for frame in to_room(sent, room)] == ["room.state"]
    assert services.room_presence_announce(now=T0 + TICK) == 1
    (delta,) = presence_frames(sent, room)
    assert delta["from_version"] == 0 and delta["version"] == 41 and delta["count"] == 40
    assert {m["alias"] for m in delta["joined"]} == {moderator.alias, *(m.alias for m in members)}
    assert delta["left"] == [] and "members" not in delta
    # Nothing changed since: the next tick sends nothing.
    assert services.room_presence_announce(now=T0 + 2 * TICK, rescan=True) == 0


def test_what_one_join_costs_each_member_does_not_grow_with_the_room(sent):
    """The frame every member gets for one arrival is the same size in a room of 3 and of 60."""

    def one_arrival_delta(size: int, name: str) -> dict:
        room = make_room(capacity=100, name=name)
        join(make_moderator(room), room, f"{name}-mod")
        for index in range(size):
            join(make_member(room), room, f"{name}-{index}")
        services.room_presence_announce(now=T0 + TICK)
        newcomer = make_member(room)
        join(newcomer, room, f"{name}-new", now=T0 + 2 * TICK)
        sent.clear()
        services.room_presence_announce(now=T0 + 3 * TICK)
        (delta,) = presence_frames(sent, room)
        assert delta["joined"] == [{"alias": newcomer.alias, "moderator": False}]
        return delta

    small, large = one_arrival_delta(3, "small"), one_arrival_delta(60, "large")
    assert large["count"] == 61 and small["count"] == 4

    def size_without_numbers(frame):
        # Versions, counts and aliases differ in digits only; the shape must not grow.
        return len(
            json.dumps(
                {
                    **frame,
                    "room": 0,
                    "from_version": 0,
                    "version": 0,
                    "count": 0,
                    "joined": [{**m, "alias": "x"} for m in frame["joined"]],
                }
            )
        )

    assert size_without_numbers(large) == size_without_numbers(small) < 150


def test_a_burst_of_joins_is_one_delta_per_room_per_interval(sent, settings):
    settings.HEARTH_SCHEDULER_INTERVAL = 1.0
    room = make_room(capacity=100)
    join(make_moderator(room), room, "mod")
    assert services.room_presence_announce(now=T0) == 1
    for index in range(5):
        join(make_member(room), room, f"m{index}", now=T0 + timedelta(milliseconds=100 * index))
    # Half a second after the last delta (another process's tick, say): too soon; the flag stays up.
    assert services.room_presence_announce(now=T0 + timedelta(milliseconds=500)) == 0
    assert cache.get(events.PRESENCE_CHANGED_KEY) == 1
    assert services.room_presence_announce(now=T0 + TICK) == 1
    first, second = presence_frames(sent, room)
    assert len(second["joined"]) == 5 and second["from_version"] == first["version"]


def test_the_tick_looks_only_when_the_shared_flag_says_something_changed(sent):
    room = make_room()
    moderator = make_moderator(room)
    join(moderator, room, "mod")
    assert cache.get(events.PRESENCE_CHANGED_KEY) == 1  # set after the join committed
    assert jobs.room_presence_sweep(now=T0 + timedelta(seconds=0.5)) == 0
    assert len(presence_frames(sent, room)) == 1
    assert cache.get(events.PRESENCE_CHANGED_KEY) is None  # taken by the process that sent it
    # A change whose flag was lost (the cache restarted) waits for the periodic rescan.
    member = make_member(room)
    join(member, room, "member", now=T0 + 2 * TICK)
    cache.delete(events.PRESENCE_CHANGED_KEY)
    assert services.room_presence_announce(now=T0 + 3 * TICK) == 0
    jobs.room_presence_sweep(now=T0 + timedelta(seconds=jobs.PRESENCE_RESCAN_SECONDS))
    assert presence_frames(sent, room)[-1]["joined"] == [{"alias": member.alias, "moderator": False}]


def test_a_second_tab_is_no_arrival_and_closing_one_of_two_is_no_departure(sent):
    room = make_room()
    join(make_moderator(room), room, "mod")
    member = make_member(room)
    join(member, room, "tab-1")
    services.room_presence_announce(now=T0 + TICK)
    version = RoomPresenceFeed.objects.get(room=room).version
    join(member, room, "tab-2")
    services.room_leave(channel_name="tab-1")
    assert RoomPresenceFeed.objects.get(room=room).version == version
    assert services.room_presence_announce(now=T0 + 2 * TICK, rescan=True) == 0
    services.room_leave(channel_name="tab-2")
    services.room_presence_announce(now=T0 + 3 * TICK)
    assert presence_frames(sent, room)[-1]["left"] == [member.alias]


def test_removal_and_the_stale_sweep_are_departures(sent):
    room = make_room()
    moderator = make_moderator(room)
    join(moderator, room, "mod")
    removed, stalled = make_member(room), make_member(room)
    join(removed, room, "removed")
    join(stalled, room, "stalled")
    services.room_presence_announce(now=T0)
    later = T0 + timedelta(seconds=90)
    services.room_presence_heartbeat(channel_name="mod", now=later)
    services.room_presence_heartbeat(channel_name="removed", now=later)
    services.room_member_remove(moderator=moderator, room_id=room.pk, alias=removed.alias, now=later)
    assert services.room_presence_sweep_stale(now=later) == 1
    services.room_presence_announce(now=later)
    delta = presence_frames(sent, room)[-1]
    assert sorted(delta["left"]) == sorted([removed.alias, stalled.alias]) and delta["joined"] == []
    assert delta["count"] == 0
    assert not RoomPresenceChange.objects.filter(room=room).exists()


def test_presence_reveals_only_aliases_and_the_moderator_badge(sent):
    room = make_room()
    moderator = make_moderator(room)
    member = make_member(room)
    result = join(moderator, room, "mod")
    join(member, room, "member")
    services.room_leave(channel_name="member")
    join(make_member(room), room, "other")
    services.room_presence_announce(now=T0 + TICK)
    (delta,) = presence_frames(sent, room)
    assert set(delta) == {"type", "room", "from_version", "version", "count", "joined", "left"}
    assert all(set(entry) == {"alias", "moderator"} for entry in delta["joined"])
    assert all(isinstance(alias, str) for alias in delta["left"]) and delta["left"] == [member.alias]
    assert all(set(entry) == {"alias", "moderator"} for entry in result.presence.members)
    assert str(member.pk) not in json.dumps(delta["left"])


def test_a_hello_at_any_moment_plus_the_later_deltas_is_always_exactly_who_is_here(sent):
    """Random arrivals, departures (several tabs each), ticks and hellos in between.

    Whenever a hello was read, applying the deltas after it must give, after
    each delta, exactly who was here at that delta's version: never someone
    who left, never missing someone who came, including a person who came
    and went between two ticks around the hello.
    """
    rng = random.Random(20260302)
    room = make_room(capacity=100)
    moderator = make_moderator(room)
    join(moderator, room, "mod")
    people = [make_member(room) for _ in range(8)]
    sockets: dict[str, int] = {}  # channel -> person index
    views: list[PresenceView] = []
    truth: dict[int, set[str]] = {}  # version -> aliases, after each tick
    now = T0
    for step in range(300):
        now += timedelta(milliseconds=rng.choice([50, 200, 400]))
        roll = rng.random()
        if roll < 0.35:
            index = rng.randrange(len(people))
            channel = f"p{index}-{step}"
            result = join(people[index], room, channel, now=now)
            sockets[channel] = index
            if rng.random() < 0.5:
                views.append(hello_view(result))
        elif roll < 0.65 and sockets:
            channel = rng.choice(sorted(sockets))
            del sockets[channel]
            services.room_leave(channel_name=channel, now=now)
        elif roll < 0.8:
            with transaction.atomic():
                snapshot = presence_snapshot(room.pk)
            views.append(PresenceView({"presence_version": snapshot.version, "members": snapshot.members}))
        else:
            before = len(presence_frames(sent, room))
            services.room_presence_announce(now=now, rescan=True)
            if len(presence_frames(sent, room)) > before:
                with transaction.atomic():
                    snapshot = presence_snapshot(room.pk)
                truth[snapshot.version] = {m["alias"] for m in snapshot.members}
    services.room_presence_announce(now=now + TICK, rescan=True)
    with transaction.atomic():
        final = presence_snapshot(room.pk)
    truth[final.version] = {m["alias"] for m in final.members}
    deltas = presence_frames(sent, room)
    assert len(deltas) > 20 and len(views) > 50
    assert any(d["left"] for d in deltas) and any(len(d["joined"]) > 1 for d in deltas)
    for view in views:
        for delta in deltas:
            if view.apply(delta):
                assert view.aliases == truth[delta["version"]], (view.version, delta)
        assert view.version == final.version and view.aliases == truth[final.version]
    here = {moderator.alias} | {people[index].alias for index in sockets.values()}
    assert truth[final.version] == here


def test_a_person_who_came_and_went_around_a_hello_is_gone_after_the_next_delta(sent):
    room = make_room()
    join(make_moderator(room), room, "mod")
    services.room_presence_announce(now=T0)
    visitor, watcher = make_member(room), make_member(room)
    join(visitor, room, "visitor", now=T0 + timedelta(milliseconds=100))
    view = hello_view(join(watcher, room, "watcher", now=T0 + timedelta(milliseconds=200)))
    assert visitor.alias in view.aliases
    services.room_leave(channel_name="visitor")
    services.room_presence_announce(now=T0 + TICK)
    (delta,) = presence_frames(sent, room)[1:]
    # The list before and after the tick has no visitor either way; the delta still names them.
    assert visitor.alias in delta["left"]
    assert view.apply(delta) and visitor.alias not in view.aliases
    assert not RoomPresence.objects.filter(user=visitor).exists()
