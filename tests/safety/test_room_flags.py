"""A safety flag raised in a group room tells the reviewer which room, every time, and lets them read around it.

The flag has no conversation: its room comes through the held message. The
first alert, every re-notify round and the review queue name the room and
the message's ``seq``; the flag's transcript is the room messages around the
flagged one (in full, held text included), audited; nobody else reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rooms import services as room_services
from rooms.models import RoomMessage
from rooms.selectors import ROOM_CONTEXT_BEFORE, room_flag_context_for_staff
from safety import selectors as safety_selectors
from safety.audit import AuditRecord
from safety.models import SafetyFlag
from safety.services import alerts_renotify
from support.events import collecting_events
from tests.factories import ListenerFactory, StaffFactory
from tests.rooms.helpers import make_member, make_moderator, make_room

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CRISIS = "I want to kill myself tonight"


@pytest.fixture
def room_flag():
    room = make_room(name="Night owls")
    moderator = make_moderator(room)
    room_services.room_join(user=moderator, room_id=room.pk, channel_name="mod-socket", now=MONDAY_NOON)
    writer = make_member(room)
    for index in range(ROOM_CONTEXT_BEFORE + 5):  # more history than a reviewer is shown
        room.last_seq += 1
        RoomMessage.objects.create(
            room=room,
            seq=room.last_seq,
            sender=moderator,
            sender_is_moderator=True,
            text=f"welcome note {index}",
            created_at=MONDAY_NOON,
        )
    room.save(update_fields=["last_seq"])
    held = room_services.room_message_send(
        sender=writer, room_id=room.pk, client_id="c1", text=CRISIS, now=MONDAY_NOON
    ).message
    room_services.room_message_send(
        sender=moderator, room_id=room.pk, client_id="after", text="We're here with you.", now=MONDAY_NOON
    )
    flag = SafetyFlag.objects.get()
    assert flag.conversation_id is None and held.status == "held"
    return {"room": room, "held": held, "flag": flag, "writer": writer, "moderator": moderator}


def test_every_re_notify_round_names_the_room_and_the_message(room_flag, settings, django_capture_on_commit_callbacks):
    room, held = room_flag["room"], room_flag["held"]
    settings.SAFETY_ALERT_RENOTIFY_SECONDS = 60
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        assert alerts_renotify(now=room_flag["flag"].last_notified_at + timedelta(seconds=61)) == 1
    renotified = [
        event["frame"]["alert"] for _, event in outbox if event.get("frame", {}).get("type") == "alert.renotify"
    ]
    assert len(renotified) == 1
    assert renotified[0]["room"] == {"id": room.pk, "name": "Night owls", "audience": room.audience, "seq": held.seq}
    assert renotified[0]["topic"] == "anxiety" and renotified[0]["conversation"] is None


def test_the_review_queue_names_the_room(room_flag, api_client):
    api_client.force_authenticate(StaffFactory())
    response = api_client.get("/api/v1/staff/queue")
    assert response.status_code == 200, response.content
    body = response.json()
    items = body if isinstance(body, list) else body.get("items", body.get("results"))
    (item,) = [item for item in items if item["id"] == room_flag["flag"].pk]
    assert item["room"]["name"] == "Night owls" and item["room"]["seq"] == room_flag["held"].seq


def test_safety_staff_read_the_room_around_the_flag_in_full_and_the_read_is_audited(room_flag, api_client):
    staff = StaffFactory()
    api_client.force_authenticate(staff)
    flag, held = room_flag["flag"], room_flag["held"]
    response = api_client.get(f"/api/v1/staff/flags/{flag.pk}/transcript")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["room"]["name"] == "Night owls" and body["flag"]["id"] == flag.pk
    seqs = [message["seq"] for message in body["messages"]]
    assert seqs == list(range(held.seq - ROOM_CONTEXT_BEFORE, held.seq + 2))  # the neighbourhood, not the whole room
    (flagged,) = [message for message in body["messages"] if message["flagged"]]
    assert flagged["seq"] == held.seq and flagged["text"] == CRISIS and flagged["status"] == "held"
    assert flagged["sender_alias"] == room_flag["writer"].alias
    record = AuditRecord.objects.get(action="room.transcript")
    assert record.actor_id == staff.pk and record.flag_id == flag.pk and record.target_id == room_flag["room"].pk


@pytest.mark.parametrize("who", ["member", "moderator", "listener"])
def test_nobody_but_safety_staff_reads_it(room_flag, api_client, who):
    user = {"member": room_flag["writer"], "moderator": room_flag["moderator"], "listener": ListenerFactory()}[who]
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/staff/flags/{room_flag['flag'].pk}/transcript")
    assert response.status_code in (403, 404)
    assert CRISIS not in response.content.decode()
    assert not AuditRecord.objects.filter(action="room.transcript").exists()


def test_the_review_queue_reads_a_room_flags_context_through_the_rooms_app():
    assert safety_selectors._room_context_reader is room_flag_context_for_staff
