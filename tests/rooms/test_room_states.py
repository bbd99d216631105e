"""The rooms list's live part (open, people here, members against capacity) read for every room
at once, with the same rules as the per-room reads, in a number of queries that does not grow
with the number of rooms."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms import selectors
from rooms.models import Room, RoomPresence
from tests.factories import SeekerFactory
from tests.rooms.helpers import make_member, make_moderator, make_room

pytestmark = pytest.mark.django_db


def _present(room, user, *, moderator=False, seen=None, tab="1"):
    now = timezone.now()
    RoomPresence.objects.create(
        room=room,
        user=user,
        channel_name=f"room.{room.pk}.{user.pk}.{tab}",
        is_moderator=moderator,
        joined_at=now,
        last_seen_at=seen or now,
    )


def test_the_batched_read_agrees_with_the_per_room_rules_on_the_same_rows(settings):
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ROOMS_PRESENCE_STALE_SECONDS + 60)
    empty = make_room(name="Nobody here", hours=[(0, dt.time(20), dt.time(22))])
    moderated = make_room(name="Moderated")
    _present(moderated, make_moderator(moderated), moderator=True)
    two_tabs = make_member(moderated)
    _present(moderated, two_tabs, tab="1")
    _present(moderated, two_tabs, tab="2")
    _present(moderated, make_member(moderated), seen=stale)  # still on the list until the sweep
    unmoderated = make_room(name="Moderator gone quiet")
    _present(unmoderated, make_moderator(unmoderated), moderator=True, seen=stale)
    _present(unmoderated, make_member(unmoderated))
    rooms = list(Room.objects.prefetch_related("hours").filter(pk__in=[empty.pk, moderated.pk, unmoderated.pk]))

    states = selectors.room_states(rooms, now=now)

    for room in rooms:
        state = states[room.pk]
        assert state.open is selectors.moderator_present(room.pk, now=now), room.name
        assert state.member_count == selectors.member_count(room.pk, now=now), room.name
        assert state.here_count == selectors.head_count(room.pk), room.name
        assert state.next_opening == (None if state.open else selectors.next_opening(room, now=now)), room.name
    # The moderator, the member on two tabs and the member gone quiet are on the list; capacity
    # counts only the member present now.
    assert (states[moderated.pk].open, states[moderated.pk].member_count, states[moderated.pk].here_count) == (
        True,
        1,
        3,
    )
    assert states[unmoderated.pk].open is False and states[empty.pk].next_opening is not None


def _list_queries(api_client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/rooms")
    assert response.status_code == 200
    return len(response.json()), len(queries)


def _busy_room(name: str):
    room = make_room(name=name, hours=[(0, dt.time(20), dt.time(22))])
    _present(room, make_moderator(room), moderator=True)
    _present(room, make_member(room))
    return room


def test_the_rooms_list_reads_in_the_same_number_of_queries_however_many_rooms(api_client):
    api_client.force_authenticate(SeekerFactory())
    Room.objects.all().delete()
    _busy_room("First")
    make_room(name="Closed, with hours", hours=[(2, dt.time(9), dt.time(11))])
    _list_queries(api_client)  # the first also fills the user's permission cache (can_manage_rooms)
    listed, with_two = _list_queries(api_client)
    assert listed == 2
    for n in range(6):
        _busy_room(f"More {n}")
        make_room(name=f"Closed {n}", hours=[(3, dt.time(9), dt.time(11))])
    listed, with_fourteen = _list_queries(api_client)
    assert listed == 14
    assert with_fourteen == with_two
