"""Which reports hide a room message: only members with history, never a moderator's or staff message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rooms import selectors, services
from rooms.models import RoomMessage, RoomMessageReport, RoomModerator
from support.models import Role, User
from tests.factories import StaffFactory
from tests.rooms.helpers import frames_until, in_room, make_member, make_moderator, make_room, run_db, send_and_ack

HISTORY_MINUTES = 60
HISTORY_MESSAGES = 2


@pytest.fixture(autouse=True)
def _report_rules(settings):
    settings.SAFETY_ROOM_REPORT_HIDE_THRESHOLD = 3
    settings.SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES = HISTORY_MINUTES
    settings.SAFETY_ROOM_REPORT_MIN_MESSAGES = HISTORY_MESSAGES


def _open_room():
    """A room whose moderator is present, so members may write."""
    room = make_room()
    moderator = make_moderator(room)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=timezone.now())
    return room, moderator


def _with_history(room, *, messages: int = HISTORY_MESSAGES, minutes: int = HISTORY_MINUTES + 1):
    member = make_member(room)
    for n in range(messages):
        services.room_message_send(sender=member, room_id=room.pk, client_id=f"h{member.pk}-{n}", text=f"hello {n}")
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(minutes=minutes))
    member.refresh_from_db()
    return member


def _post(room, sender, text="you are all pathetic") -> RoomMessage:
    return services.room_message_send(sender=sender, room_id=room.pk, client_id="target", text=text).message


def _status(message) -> str:
    return RoomMessage.objects.get(pk=message.pk).status


def _report_all(room, message, reporters):
    for reporter in reporters:
        services.room_message_report(reporter=reporter, room_id=room.pk, seq=message.seq, reason="unkind")


@pytest.mark.django_db
def test_three_throwaway_sessions_cannot_hide_a_message_but_their_reports_are_recorded():
    room, _ = _open_room()
    message = _post(room, make_member(room))
    _report_all(room, message, [make_member(room) for _ in range(3)])
    assert _status(message) == "visible"
    assert RoomMessageReport.objects.filter(message=message).count() == 3
    assert selectors.reporters_counted_toward_hiding(message, now=timezone.now()) == 0


@pytest.mark.django_db
def test_members_with_history_still_hide_a_message():
    room, _ = _open_room()
    message = _post(room, make_member(room))
    _report_all(room, message, [_with_history(room) for _ in range(3)])
    assert _status(message) == "hidden"


@pytest.mark.django_db
def test_old_accounts_without_messages_and_busy_new_accounts_do_not_count():
    room, _ = _open_room()
    message = _post(room, make_member(room))
    old_but_silent = _with_history(room, messages=HISTORY_MESSAGES - 1)
    busy_but_new = _with_history(room, minutes=HISTORY_MINUTES - 5)
    _report_all(room, message, [old_but_silent, busy_but_new, _with_history(room)])
    assert _status(message) == "visible"
    assert selectors.reporters_counted_toward_hiding(message, now=timezone.now()) == 1
    _report_all(room, message, [_with_history(room), _with_history(room)])
    assert _status(message) == "hidden"


@pytest.mark.django_db
def test_a_moderators_message_is_never_hidden_by_reports_but_is_listed_for_review(api_client):
    room, moderator = _open_room()
    reminder = _post(room, moderator, text="If you are in danger tonight, the crisis line is open.")
    _report_all(room, reminder, [_with_history(room) for _ in range(5)])
    assert _status(reminder) == "visible"
    api_client.force_authenticate(StaffFactory())
    listed = api_client.get("/api/v1/staff/room-reports").json()
    assert any(item["seq"] == reminder.seq and item["report_count"] == 5 for item in listed["messages"])


@pytest.mark.django_db
def test_a_message_written_before_its_sender_became_moderator_is_not_hidden_either():
    room, _ = _open_room()
    member = make_member(room)
    message = _post(room, member)
    User.objects.filter(pk=member.pk).update(role=Role.LISTENER)
    RoomModerator.objects.create(room=room, listener_id=member.pk)
    _report_all(room, message, [_with_history(room) for _ in range(3)])
    assert _status(message) == "visible"


@pytest.mark.django_db
def test_a_staff_members_message_is_shielded_from_report_hiding():
    room = make_room()
    message = RoomMessage.objects.create(room=room, seq=1, sender=StaffFactory(), text="hi", created_at=timezone.now())
    assert selectors.message_shielded_from_report_hiding(message)
    member_message = RoomMessage.objects.create(
        room=room, seq=2, sender=make_member(room), text="hi", created_at=timezone.now()
    )
    assert not selectors.message_shielded_from_report_hiding(member_message)


@pytest.mark.django_db(transaction=True)
async def test_three_fresh_sockets_reporting_leave_the_message_visible_and_tell_moderators():
    room = await run_db(make_room)
    moderator = await run_db(make_moderator, room)
    writer = await run_db(make_member, room)
    reporters = [await run_db(make_member, room) for _ in range(3)]
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w:
        await send_and_ack(ws_w, "you are all pathetic", "r1")
        for reporter in reporters:
            async with in_room(reporter, room.pk) as ws:
                await ws.send_json_to({"type": "room.message.report", "seq": 1, "reason": "unkind"})
                await frames_until(ws, "room.message.report.ack")
        reported, _ = await frames_until(ws_mod, "room.message.reported")
        while reported["report_count"] < 3:
            reported, _ = await frames_until(ws_mod, "room.message.reported")
    assert await run_db(lambda: RoomMessage.objects.get(room=room, seq=1).status) == "visible"
