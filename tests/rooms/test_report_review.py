"""Room report reasons reach the people who review them, and nobody else.

Safety staff read every room's reported messages (``/api/v1/staff/room-reports``)
with each reporter's alias; a room's moderators read their room's
(``/api/v1/rooms/<id>/reports``) with reporters anonymous. Account ids never
appear. Members, other listeners and other rooms' moderators learn nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms import services
from rooms.models import Room, RoomMessage, RoomMessageStatus
from support.errors import DomainError
from support.models import AgeGroup
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory
from tests.rooms.helpers import make_member, make_moderator, make_room, make_room_manager

pytestmark = pytest.mark.django_db

STAFF_URL = "/api/v1/staff/room-reports"


def _message(room: Room, sender, text: str, *, at=None) -> RoomMessage:
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    return RoomMessage.objects.create(
        room=room, seq=room.last_seq, sender=sender, text=text, created_at=at or timezone.now()
    )


def _report(room, message, reason: str, *, at=None):
    reporter = make_member(room)
    services.room_message_report(reporter=reporter, room_id=room.pk, seq=message.seq, reason=reason, now=at)
    return reporter


@pytest.fixture
def reported(settings):
    """One room with a moderator, a message reported twice (reasons given) and an unreported one."""
    settings.SAFETY_ROOM_REPORT_HIDE_THRESHOLD = 3
    # Fresh test members count toward hiding here; tests/rooms/test_report_hiding.py covers history.
    settings.SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES = 0
    settings.SAFETY_ROOM_REPORT_MIN_MESSAGES = 0
    room = make_room()
    moderator = make_moderator(room)
    writer = make_member(room)
    start = timezone.now() - timedelta(minutes=10)
    message = _message(room, writer, "you are all pathetic", at=start)
    _message(room, writer, "an ordinary message", at=start)
    first = _report(room, message, "  insulting people  ", at=start + timedelta(minutes=1))
    second = _report(room, message, "harassment", at=start + timedelta(minutes=2))
    return {"room": room, "moderator": moderator, "writer": writer, "message": message, "reporters": [first, second]}


def _get(api_client, user, url, **params):
    if user is not None:
        api_client.force_authenticate(user)
    return api_client.get(url, params)


def test_safety_staff_see_the_message_room_time_count_and_every_reason_with_reporter_aliases(api_client, reported):
    response = _get(api_client, StaffFactory(), STAFF_URL)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["has_more"] is False
    [item] = body["messages"]
    room, message = reported["room"], reported["message"]
    assert item["room"] == room.pk and item["room_name"] == room.name and item["topic"] == "anxiety"
    assert item["seq"] == message.seq and item["text"] == "you are all pathetic"
    assert item["sender_alias"] == reported["writer"].alias and item["sender_role"] == "member"
    assert item["status"] == "visible" and item["removed"] is False
    assert item["report_count"] == 2
    assert [r["reason"] for r in item["reports"]] == ["insulting people", "harassment"]
    assert [r["reporter"] for r in item["reports"]] == [u.alias for u in reported["reporters"]]
    assert item["created_at"] and item["last_reported_at"] == item["reports"][1]["created_at"]


def test_no_account_id_of_anyone_is_in_the_answer(api_client, reported):
    response = _get(api_client, StaffFactory(), STAFF_URL)
    keys = set()

    def walk(value):
        if isinstance(value, dict):
            keys.update(value)
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(response.json())
    assert not {key for key in keys if key in ("id", "user", "user_id", "reporter_id", "sender_id", "sender")}
    # Reporters appear as their alias, a string, never as a number.
    assert all(isinstance(r["reporter"], str) for r in response.json()["messages"][0]["reports"])


def test_the_rooms_moderator_sees_the_reasons_but_not_who_reported(api_client, reported):
    room = reported["room"]
    response = _get(api_client, reported["moderator"], f"/api/v1/rooms/{room.pk}/reports")
    assert response.status_code == 200, response.json()
    [item] = response.json()["messages"]
    assert [r["reason"] for r in item["reports"]] == ["insulting people", "harassment"]
    assert [r["reporter"] for r in item["reports"]] == [None, None]
    for reporter in reported["reporters"]:
        assert reporter.alias not in json.dumps(response.json())


def test_safety_staff_read_one_room_through_either_address(api_client, reported):
    staff = StaffFactory()
    other = make_room(name="Another room")
    _report(other, _message(other, make_member(other), "elsewhere"), "spam")
    room = reported["room"]
    by_room = _get(api_client, staff, f"/api/v1/rooms/{room.pk}/reports").json()
    filtered = _get(api_client, staff, STAFF_URL, room=room.pk).json()
    assert by_room == filtered
    assert [m["room"] for m in by_room["messages"]] == [room.pk]
    assert by_room["messages"][0]["reports"][0]["reporter"] == reported["reporters"][0].alias
    assert len(_get(api_client, staff, STAFF_URL).json()["messages"]) == 2


@pytest.mark.parametrize("who", ["member", "writer", "reporter", "other_listener", "other_moderator", "teen_listener"])
def test_nobody_else_reads_a_rooms_reports(api_client, reported, who):
    room = reported["room"]
    other_room = make_room(name="Other room")
    user = {
        "member": lambda: make_member(room),
        "writer": lambda: reported["writer"],
        "reporter": lambda: reported["reporters"][0],
        "other_listener": ListenerFactory,
        "other_moderator": lambda: make_moderator(other_room),
        "teen_listener": lambda: ListenerFactory(profile__approved_for_teens=True, profile__approved_for_adults=False),
    }[who]()
    response = _get(api_client, user, f"/api/v1/rooms/{room.pk}/reports")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert "pathetic" not in response.content.decode() and "harassment" not in response.content.decode()
    # The list of every room is for safety staff only.
    everything = _get(api_client, user, STAFF_URL)
    assert everything.status_code == 403 and everything.json()["error"] == "forbidden"


def test_a_missing_room_and_a_forbidden_one_look_the_same(api_client, reported):
    listener = ListenerFactory()
    missing = _get(api_client, listener, "/api/v1/rooms/999999/reports")
    forbidden = _get(api_client, listener, f"/api/v1/rooms/{reported['room'].pk}/reports")
    assert missing.status_code == forbidden.status_code == 404
    assert missing.json() == forbidden.json()
    assert _get(api_client, StaffFactory(), f"/api/v1/rooms/{2**63}/reports").status_code == 404


@pytest.mark.parametrize("user_factory", [None, make_room_manager, SeekerFactory])
def test_the_cross_room_list_refuses_everyone_but_safety_staff(api_client, reported, user_factory, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="hearth.api"):
        response = _get(api_client, user_factory() if user_factory else None, STAFF_URL)
    assert response.status_code == 403
    assert "pathetic" not in response.content.decode()
    assert any(record.getMessage().startswith("denied 403 GET /api/v1/staff/room-reports") for record in caplog.records)


def test_a_message_hidden_by_reports_shows_as_hidden_with_its_count(api_client, reported):
    room, message = reported["room"], reported["message"]
    _report(room, message, "third time")
    message.refresh_from_db()
    assert message.status == RoomMessageStatus.HIDDEN
    body = _get(api_client, StaffFactory(), STAFF_URL, status="hidden").json()
    [item] = body["messages"]
    assert item["status"] == "hidden" and item["report_count"] == 3
    assert item["text"] == "you are all pathetic"
    assert [r["reason"] for r in item["reports"]][-1] == "third time"
    assert _get(api_client, StaffFactory(), STAFF_URL, status="visible").json()["messages"] == []


def test_a_removed_message_shows_the_excerpt_its_removal_kept(api_client, reported):
    room, message = reported["room"], reported["message"]
    services.room_message_remove(moderator=reported["moderator"], room_id=room.pk, seq=message.seq)
    [item] = _get(api_client, StaffFactory(), STAFF_URL).json()["messages"]
    assert item["removed"] is True and item["status"] == "removed"
    assert item["text"] == "you are all pathetic"
    assert len(item["reports"]) == 2


def test_a_report_without_a_reason_is_listed_with_an_empty_reason(api_client, reported):
    room = reported["room"]
    message = _message(room, make_member(room), "another one")
    _report(room, message, "")
    first = _get(api_client, StaffFactory(), STAFF_URL).json()["messages"][0]
    assert first["seq"] == message.seq  # most recently reported first
    assert first["reports"] == [
        {"reason": "", "reporter": first["reports"][0]["reporter"], "created_at": first["reports"][0]["created_at"]}
    ]


def test_the_list_pages_with_a_limit_and_says_when_there_is_more(api_client, reported):
    room = reported["room"]
    for i in range(3):
        _report(room, _message(room, make_member(room), f"message {i}"), f"reason {i}")
    body = _get(api_client, StaffFactory(), STAFF_URL, limit=2).json()
    assert [m["text"] for m in body["messages"]] == ["message 2", "message 1"] and body["has_more"] is True
    body = _get(api_client, StaffFactory(), STAFF_URL, limit=4).json()
    assert len(body["messages"]) == 4 and body["has_more"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "x"},
        {"status": "gone"},
        {"room": "0"},
        {"room": "-1"},
        {"room": str(2**64)},
        {"room": "1e3"},
    ],
)
def test_bad_query_parameters_are_a_clear_400(api_client, reported, params):
    response = _get(api_client, StaffFactory(), STAFF_URL, **params)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid" and set(response.json()["fields"]) == set(params)


def test_reading_costs_the_same_queries_for_one_message_or_many(api_client, reported):
    staff = StaffFactory()
    api_client.force_authenticate(staff)
    api_client.get(STAFF_URL)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        api_client.get(STAFF_URL)
    room = reported["room"]
    for i in range(5):
        message = _message(room, make_member(room), f"message {i}")
        for _ in range(2):
            _report(room, message, "again")
    services.room_message_remove(moderator=reported["moderator"], room_id=room.pk, seq=reported["message"].seq)
    with CaptureQueriesContext(connection) as many:
        body = api_client.get(STAFF_URL).json()
    assert len(body["messages"]) == 6
    # One more query at most: the removal excerpts, only asked for when a removed message is listed.
    assert len(many.captured_queries) <= len(few.captured_queries) + 1, [q["sql"] for q in many.captured_queries]


@pytest.mark.django_db(transaction=True)
async def test_a_reason_sent_through_the_room_socket_reaches_the_staff_list():
    """The path a member takes: the ``room.message.report`` frame, then the reviewer's list."""
    from asgiref.sync import sync_to_async
    from rest_framework.test import APIClient

    from tests.rooms.helpers import frames_until, in_room, run_db, send_and_ack

    def world():
        room = make_room()
        return room, make_moderator(room), make_member(room), make_member(room), StaffFactory()

    room, moderator, writer, reporter, staff = await run_db(world)
    async with in_room(moderator, room.pk), in_room(writer, room.pk) as ws_w, in_room(reporter, room.pk) as ws_r:
        ack = await send_and_ack(ws_w, "mean words", "c1")
        await ws_r.send_json_to({"type": "room.message.report", "seq": ack["seq"], "reason": "<b>mean</b> to me"})
        await frames_until(ws_r, "room.message.report.ack")

    def read():
        client = APIClient()
        client.force_authenticate(staff)
        return client.get(STAFF_URL).json()

    body = await sync_to_async(read)()
    [item] = body["messages"]
    assert item["text"] == "mean words" and item["reports"][0]["reason"] == "<b>mean</b> to me"
    assert item["reports"][0]["reporter"] == reporter.alias


def test_teen_rooms_reports_reach_their_teen_approved_moderator(api_client):
    room = make_room(audience=AgeGroup.TEEN, name="Teen room")
    moderator = make_moderator(room)
    _report(room, _message(room, make_member(room), "teen message"), "unkind")
    [item] = _get(api_client, moderator, f"/api/v1/rooms/{room.pk}/reports").json()["messages"]
    assert item["audience"] == "teen" and item["reports"][0]["reason"] == "unkind"


def test_a_reason_as_long_as_the_page_allows_is_kept_and_a_longer_one_refused():
    room = make_room()
    make_moderator(room)
    message = _message(room, make_member(room), "you are all pathetic")
    longest = "r" * services.REPORT_REASON_MAX_CHARS
    _report(room, message, longest)
    assert message.reports.get().reason == longest
    with pytest.raises(DomainError) as refused:
        _report(room, message, longest + "r")
    assert refused.value.code == "invalid_field"
    assert f"at most {services.REPORT_REASON_MAX_CHARS} characters" in refused.value.message
