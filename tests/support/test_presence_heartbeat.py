"""The process-wide heartbeat (support.presence_heartbeat): one beat for every socket of the process.

Ticks are driven by hand (``process_heartbeat().tick()``); the background task
sleeps ``HEARTH_WS_HEARTBEAT_SECONDS`` (20 s) and never fires in these tests.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from rooms.models import RoomPresence
from support import presence, presence_heartbeat
from support.models import Connection
from support.presence_heartbeat import process_heartbeat
from support.session_events import user_group
from tests.factories import SeekerFactory, StaffFactory
from tests.rooms.helpers import in_room, make_member, make_moderator, make_room
from tests.ws import connected

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = timedelta(hours=1)


def _rows() -> dict[str, Connection]:
    return {row.channel_name: row for row in Connection.objects.all()}


def _age_rows(model, names) -> None:
    model.objects.filter(channel_name__in=names).update(last_seen_at=timezone.now() - LONG_AGO)


async def _sockets(stack: AsyncExitStack, users, path: str = "/ws/v1/chat/") -> list:
    return [await stack.enter_async_context(connected(user, path=path)) for user in users]


async def test_one_tick_refreshes_the_rows_of_every_live_socket_of_the_process():
    seekers = [await sync_to_async(SeekerFactory)() for _ in range(3)]
    staff = await sync_to_async(StaffFactory)()
    async with AsyncExitStack() as stack:
        await _sockets(stack, seekers)
        await _sockets(stack, [staff], path="/ws/v1/staff/")
        heartbeat = process_heartbeat()
        names = list(heartbeat.sockets)
        assert len(names) == 4
        assert set(names) == set(await sync_to_async(_rows)())
        await sync_to_async(_age_rows)(Connection, names)
        before = timezone.now()

        await heartbeat.tick()

        rows = await sync_to_async(_rows)()
        assert {name: rows[name].last_seen_at >= before for name in names} == dict.fromkeys(names, True)


async def test_a_closed_socket_is_forgotten_and_its_row_is_not_written_again():
    first, second = [await sync_to_async(SeekerFactory)() for _ in range(2)]
    async with connected(first):
        heartbeat = process_heartbeat()
        (kept,) = heartbeat.sockets
        async with connected(second):
            (closed,) = set(heartbeat.sockets) - {kept}
        assert set(heartbeat.sockets) == {kept}
        assert set(await sync_to_async(_rows)()) == {kept}

        await heartbeat.tick()

        assert set(await sync_to_async(_rows)()) == {kept}
    # The last socket gone, the heartbeat's task ends with it.
    assert heartbeat.sockets == {} and heartbeat._task is None


async def test_a_socket_whose_row_was_swept_writes_it_again():
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker):
        heartbeat = process_heartbeat()
        (name,) = heartbeat.sockets
        await sync_to_async(Connection.objects.filter(channel_name=name).delete)()

        await heartbeat.tick()

        rows = await sync_to_async(_rows)()
        assert name in rows and rows[name].user_id == seeker.pk


async def test_rows_of_another_process_are_left_to_go_stale_and_the_sweep_removes_them(settings):
    from listeners.jobs import presence_sweep

    seeker, gone = [await sync_to_async(SeekerFactory)() for _ in range(2)]
    stale = timezone.now() - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS * 5 + 60)
    await sync_to_async(Connection.objects.create)(
        user=gone, channel_name="specific.dead-process!1", last_seen_at=stale
    )
    async with connected(seeker):
        await process_heartbeat().tick()
        assert (
            await sync_to_async(Connection.objects.get)(channel_name="specific.dead-process!1")
        ).last_seen_at == stale
        await sync_to_async(presence_sweep)()
        assert set(await sync_to_async(_rows)()) == set(process_heartbeat().sockets)


async def test_room_sockets_are_refreshed_together_and_a_swept_one_joins_again():
    def setup():
        room = make_room()
        return room, make_moderator(room), make_member(room)

    room, moderator, member = await sync_to_async(setup)()
    async with in_room(moderator, room.pk), in_room(member, room.pk):
        heartbeat = process_heartbeat()
        names = list(heartbeat.sockets)
        assert len(names) == 2
        await sync_to_async(_age_rows)(RoomPresence, names)
        before = timezone.now()
        await heartbeat.tick()
        seen = dict(
            await sync_to_async(lambda: list(RoomPresence.objects.values_list("channel_name", "last_seen_at")))()
        )
        assert all(seen[name] >= before for name in names)

        # Swept after a stall: the socket's own on_heartbeat joins the room again.
        await sync_to_async(RoomPresence.objects.filter(channel_name=names[1]).delete)()
        await heartbeat.tick()
        assert await sync_to_async(RoomPresence.objects.filter(channel_name=names[1]).exists)()
        assert set(heartbeat.sockets) == set(names)


async def _deliver_probe(user_id: int, text: str) -> None:
    await get_channel_layer().group_send(
        user_group(user_id), {"type": "deliver", "frame": {"type": "probe", "text": text}}
    )


def _off_slot(heartbeat, name: str, monkeypatch) -> None:
    """Make the next tick one where this socket's groups are not due for their hourly re-add."""
    monkeypatch.setattr(presence_heartbeat, "GROUP_REFRESH_SECONDS", 10**9)
    slots = round(10**9 / 20)
    heartbeat.ticks = presence_heartbeat.slot(name, slots)  # the next tick is slot + 1


async def test_groups_are_re_added_after_layer_trouble_but_not_on_a_quiet_tick(settings, monkeypatch):
    settings.HEARTH_WS_HEARTBEAT_SECONDS = 20
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        heartbeat = process_heartbeat()
        (name,) = heartbeat.sockets
        layer = get_channel_layer()
        layer.groups.clear()  # the layer came back empty (a Redis restart)

        _off_slot(heartbeat, name, monkeypatch)
        await heartbeat.tick()
        await _deliver_probe(seeker.pk, "quiet")
        assert await ws.receive_nothing(timeout=0.3)

        presence_heartbeat.layer_trouble()
        await heartbeat.tick()
        await _deliver_probe(seeker.pk, "after trouble")
        assert await ws.receive_json_from(timeout=5) == {"type": "probe", "text": "after trouble"}
        assert heartbeat.reasserted == heartbeat.trouble


async def test_a_failed_re_add_is_retried_on_the_next_tick(settings, monkeypatch):
    settings.HEARTH_WS_HEARTBEAT_SECONDS = 20
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        heartbeat = process_heartbeat()
        (name,) = heartbeat.sockets
        layer = get_channel_layer()
        layer.groups.clear()
        real_group_add = layer.group_add

        async def down(group, channel):
            raise ConnectionError("redis is down")

        monkeypatch.setattr(layer, "group_add", down)
        presence_heartbeat.layer_trouble()
        await heartbeat.tick()
        assert heartbeat.reasserted != heartbeat.trouble

        monkeypatch.setattr(layer, "group_add", real_group_add)
        _off_slot(heartbeat, name, monkeypatch)
        await heartbeat.tick()
        assert heartbeat.reasserted == heartbeat.trouble
        await _deliver_probe(seeker.pk, "back")
        assert await ws.receive_json_from(timeout=5) == {"type": "probe", "text": "back"}


async def test_every_socket_s_groups_are_re_added_once_per_refresh_period_without_trouble(settings, monkeypatch):
    # One slot per period: every quiet tick is every socket's turn (the layer's group expiry never drops one).
    settings.HEARTH_WS_HEARTBEAT_SECONDS = 20
    monkeypatch.setattr(presence_heartbeat, "GROUP_REFRESH_SECONDS", 20)
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        get_channel_layer().groups.clear()
        await process_heartbeat().tick()
        await _deliver_probe(seeker.pk, "refreshed")
        assert await ws.receive_json_from(timeout=5) == {"type": "probe", "text": "refreshed"}


async def test_a_join_that_fails_marks_layer_trouble_and_the_next_tick_joins(settings, monkeypatch):
    settings.HEARTH_WS_HEARTBEAT_SECONDS = 20
    seeker = await sync_to_async(SeekerFactory)()
    layer = get_channel_layer()
    real_group_add = layer.group_add

    async def down(group, channel):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_add", down)
    async with connected(seeker) as ws:  # opens during the outage
        heartbeat = process_heartbeat()
        assert heartbeat.trouble > heartbeat.reasserted
        monkeypatch.setattr(layer, "group_add", real_group_add)
        await heartbeat.tick()
        await _deliver_probe(seeker.pk, "joined")
        assert await ws.receive_json_from(timeout=5) == {"type": "probe", "text": "joined"}


async def test_a_failed_layer_receive_marks_layer_trouble():
    from support.ws import _receive_retrying

    class FlakyLayer:
        calls = 0

        async def receive(self, channel_name):
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("redis is down")
            return {"type": "ok"}

    heartbeat = process_heartbeat()
    before = heartbeat.trouble
    assert await _receive_retrying(FlakyLayer(), "specific.x") == {"type": "ok"}
    assert heartbeat.trouble == before + 1


def test_presence_rows_refresh_is_one_update_and_names_the_missing_rows(django_assert_num_queries):
    users = [SeekerFactory() for _ in range(3)]
    old = timezone.now() - LONG_AGO
    for i, user in enumerate(users):
        Connection.objects.create(user=user, channel_name=f"c{i}", last_seen_at=old)
    now = timezone.now()
    with django_assert_num_queries(1):
        assert presence.presence_rows_refresh(Connection, ["c0", "c1", "c2"], now=now) == set()
    assert set(Connection.objects.values_list("last_seen_at", flat=True)) == {now}
    with django_assert_num_queries(2):
        assert presence.presence_rows_refresh(Connection, ["c0", "gone", "c2"], now=now) == {"gone"}
