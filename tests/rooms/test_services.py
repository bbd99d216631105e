"""Room services with controlled time: slow mode, mutes, removal for the day, hours, presence sweep, fan-out cost."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rooms import selectors, services
from rooms.models import RoomMembership, RoomMessage, RoomPresence
from support.errors import DomainError
from tests.rooms.helpers import make_member, make_moderator, make_room

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _open_room(now, **kwargs):
    room = make_room(**kwargs)
    moderator = make_moderator(room)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=now)
    return room, moderator


def test_slow_mode_refuses_until_the_period_has_passed_then_allows():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    services.room_slow_mode_set(moderator=moderator, room_id=room.pk, seconds=30, now=MONDAY_NOON)
    services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="one", now=MONDAY_NOON)
    with pytest.raises(DomainError) as error:
        services.room_message_send(
            sender=member, room_id=room.pk, client_id="2", text="two", now=MONDAY_NOON + timedelta(seconds=10)
        )
    assert error.value.code == "slow_mode" and error.value.extra["retry_after"] == 20
    later = MONDAY_NOON + timedelta(seconds=30)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=later)
    assert (
        services.room_message_send(sender=member, room_id=room.pk, client_id="2", text="two", now=later).message.seq
        == 2
    )


def test_mute_ends_by_itself():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    services.room_member_mute(moderator=moderator, room_id=room.pk, alias=member.alias, seconds=300, now=MONDAY_NOON)
    almost = MONDAY_NOON + timedelta(seconds=299)
    services.room_presence_heartbeat(channel_name="mod-socket", now=almost)
    with pytest.raises(DomainError) as error:
        services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="hi", now=almost)
    assert error.value.code == "muted"
    later = MONDAY_NOON + timedelta(seconds=301)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=later)
    assert (
        services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="hi", now=later).message.status
        == "visible"
    )


def test_removal_lasts_for_the_rest_of_the_day_only():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    services.room_member_remove(moderator=moderator, room_id=room.pk, alias=member.alias, now=MONDAY_NOON)
    with pytest.raises(DomainError) as error:
        services.room_join(
            user=member, room_id=room.pk, channel_name="m", now=MONDAY_NOON + timedelta(hours=11, minutes=59)
        )
    assert error.value.code == "removed_from_room"
    tomorrow = datetime(2026, 3, 3, 0, 1, tzinfo=UTC)
    assert services.room_join(user=member, room_id=room.pk, channel_name="m", now=tomorrow).moderator is False


def test_mute_and_slow_mode_values_are_validated():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    for seconds in (-1, 10**9, True, "60"):
        with pytest.raises(DomainError) as error:
            services.room_member_mute(
                moderator=moderator, room_id=room.pk, alias=member.alias, seconds=seconds, now=MONDAY_NOON
            )
        assert error.value.code == "invalid_field"
        with pytest.raises(DomainError):
            services.room_slow_mode_set(moderator=moderator, room_id=room.pk, seconds=seconds, now=MONDAY_NOON)


def test_next_opening_is_the_next_scheduled_start_in_utc():
    room = make_room(hours=[(0, time(18, 0), time(20, 0)), (2, time(9, 0), time(10, 0))])
    assert selectors.next_opening(room, now=MONDAY_NOON) == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    monday_evening = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    assert selectors.next_opening(room, now=monday_evening) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert selectors.next_opening(make_room(name="No hours"), now=MONDAY_NOON) is None


def test_room_closes_when_the_last_moderator_heartbeat_goes_stale_and_the_sweep_tells_members():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    services.room_join(user=member, room_id=room.pk, channel_name="member-socket", now=MONDAY_NOON)
    later = MONDAY_NOON + timedelta(seconds=90)
    services.room_presence_heartbeat(channel_name="member-socket", now=later)
    assert selectors.room_state(room, now=later).open is False
    with pytest.raises(DomainError) as error:
        services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="hi", now=later)
    assert error.value.code == "room_closed"
    assert services.room_presence_sweep_stale(now=later) == 1
    assert list(RoomPresence.objects.values_list("channel_name", flat=True)) == ["member-socket"]


def test_capacity_is_checked_under_the_room_lock_and_a_second_socket_does_not_count():
    room, _ = _open_room(MONDAY_NOON, capacity=1)
    first, second = make_member(room), make_member(room)
    services.room_join(user=first, room_id=room.pk, channel_name="a1", now=MONDAY_NOON)
    services.room_join(user=first, room_id=room.pk, channel_name="a2", now=MONDAY_NOON)
    with pytest.raises(DomainError) as error:
        services.room_join(user=second, room_id=room.pk, channel_name="b1", now=MONDAY_NOON)
    assert error.value.code == "room_full" and error.value.extra["alternatives"]["one_to_one"] == {"topic": "anxiety"}
    # A refused join leaves no trace.
    assert not RoomPresence.objects.filter(user=second).exists()


def test_a_room_message_is_one_row_and_its_cost_does_not_grow_with_members():
    room, moderator = _open_room(MONDAY_NOON)
    sender = make_member(room)

    def cost(client_id):
        with CaptureQueriesContext(connection) as queries:
            services.room_message_send(
                sender=sender, room_id=room.pk, client_id=client_id, text="hello", now=MONDAY_NOON
            )
        return len(queries)

    few = cost("a")
    for index in range(25):
        member = make_member(room)
        services.room_join(user=member, room_id=room.pk, channel_name=f"s{index}", now=MONDAY_NOON)
    many = cost("b")
    assert many == few
    assert RoomMessage.objects.filter(room=room).count() == 2


def test_sequence_numbers_are_gap_free_and_a_refused_message_takes_none():
    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="one", now=MONDAY_NOON)
    with pytest.raises(DomainError):
        services.room_message_send(sender=member, room_id=room.pk, client_id="2", text="x" * 2001, now=MONDAY_NOON)
    services.room_message_send(
        sender=member, room_id=room.pk, client_id="3", text="I want to kill myself", now=MONDAY_NOON
    )
    services.room_message_send(sender=member, room_id=room.pk, client_id="4", text="four", now=MONDAY_NOON)
    assert list(RoomMessage.objects.filter(room=room).values_list("seq", "status")) == [
        (1, "visible"),
        (2, "held"),
        (3, "visible"),
    ]
    assert RoomMembership.objects.get(room=room, user=member).last_message_at == MONDAY_NOON


def test_a_safety_team_mute_also_silences_the_member_in_rooms():
    from safety.models import Sanction, SanctionKind
    from tests.safety.helpers import staff_member

    room, moderator = _open_room(MONDAY_NOON)
    member = make_member(room)
    Sanction.objects.create(
        subject=member,
        kind=SanctionKind.MUTE,
        note="harassment in a chat",
        created_by=staff_member(),
        created_at=MONDAY_NOON,
        expires_at=MONDAY_NOON + timedelta(hours=2),
    )
    with pytest.raises(DomainError) as refused:
        services.room_message_send(sender=member, room_id=room.pk, client_id="1", text="hello all", now=MONDAY_NOON)
    assert refused.value.code == "muted" and refused.value.extra["until"].startswith("2026-03-02T14:00")
    assert not RoomMessage.objects.filter(room=room, sender=member).exists()
    later = MONDAY_NOON + timedelta(hours=2, minutes=1)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=later)
    assert (
        services.room_message_send(sender=member, room_id=room.pk, client_id="2", text="hello all", now=later).duplicate
        is False
    )
