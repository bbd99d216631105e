"""What the person concerned sees of the safety team's work: a warning (live and again after a
reload, in ``hello.warnings``), crisis lines their listener sends in one action, and the outcome of
their own reports (never anyone else's, never the reviewer or their notes)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Message
from chat.services.messages import message_send
from safety.frames import WARNING_TEXT
from safety.models import SafetyFlag, Sanction
from safety.sanctions import sanction_warn
from safety.services import RESOURCES_SHARED, flag_resolve
from tests.factories import SeekerFactory
from tests.safety.helpers import matched_pair, staff_member
from tests.ws import connected, receive_until

IMMINENT = "i took all my pills an hour ago"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _warned_seeker():
    seeker, listener, conversation = matched_pair()
    client_for(listener).post(
        "/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json"
    )
    staff = staff_member()
    flag = SafetyFlag.objects.get(conversation=conversation)
    sanction = sanction_warn(staff=staff, flag_id=flag.pk, target="seeker", note="staff-only note: rude")
    return seeker, listener, sanction


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_warning_reaches_the_person_live_and_again_after_a_reload_without_the_staff_note():
    seeker, listener, sanction = await sync_to_async(_warned_seeker)()
    async with connected(seeker) as socket:
        [warning] = socket.hello["warnings"]
        assert warning == {
            "id": sanction.pk,
            "text": WARNING_TEXT,
            "given_at": sanction.created_at.isoformat().replace("+00:00", "Z"),
            "until": sanction.expires_at.isoformat().replace("+00:00", "Z"),
        }
        assert "staff-only" not in json.dumps(socket.hello)
    async with connected(listener) as socket:
        assert socket.hello["warnings"] == []  # the listener was not warned


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_lifted_or_expired_warning_is_no_longer_in_hello():
    seeker, _, sanction = await sync_to_async(_warned_seeker)()
    await sync_to_async(Sanction.objects.filter(pk=sanction.pk).update)(expires_at=timezone.now() - timedelta(days=1))
    async with connected(seeker) as socket:
        assert socket.hello["warnings"] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_live_warning_frame_carries_its_id_so_the_page_can_remember_a_dismissal():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    staff = await sync_to_async(staff_member)()

    def warn():
        client_for(listener).post("/api/v1/reports", {"conversation": conversation.pk, "reason": "spam"}, format="json")
        flag = SafetyFlag.objects.get(conversation=conversation)
        return sanction_warn(staff=staff, flag_id=flag.pk, target="seeker", note="n")

    async with connected(seeker) as socket:
        sanction = await sync_to_async(warn)()
        frame = await receive_until(socket, "safety.warning")
        assert frame["id"] == sanction.pk and frame["text"] == WARNING_TEXT and frame["until"]


# --- crisis lines sent by the listener ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_listener_sends_the_seeker_crisis_lines_in_one_action():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    await sync_to_async(message_send)(sender=seeker, conversation_id=conversation.pk, client_id="c1", text=IMMINENT)
    async with connected(seeker) as seeker_ws, connected(listener) as listener_ws:
        await listener_ws.send_json_to({"type": "resources.send", "conversation": conversation.pk, "ref": "r1"})
        reply = await receive_until(listener_ws, "resources.sent")
        assert reply == {
            "type": "resources.sent",
            "conversation": conversation.pk,
            "level": 3,
            "urgent": True,
            "ref": "r1",
        }
        frame = await receive_until(seeker_ws, "safety.resources")
        assert frame["shared_by"] == "listener" and frame["urgent"] is True
        assert frame["helplines"][0]["kind"] == "emergency"
    line = await sync_to_async(Message.objects.filter(conversation=conversation, kind="system").last)()
    assert line.text == RESOURCES_SHARED and line.for_role == "seeker"


@pytest.mark.django_db
def test_sharing_the_lines_again_at_once_adds_no_second_line_to_the_transcript():
    from safety.services import resources_share_by_listener

    seeker, listener, conversation = matched_pair()
    first = resources_share_by_listener(listener=listener, conversation_id=conversation.pk)
    again = resources_share_by_listener(listener=listener, conversation_id=conversation.pk)
    assert first["level"] == again["level"] == 2 and again["urgent"] is False
    assert Message.objects.filter(conversation=conversation, text=RESOURCES_SHARED).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("who", "frame", "code"),
    [
        ("seeker", {"conversation": "own"}, "forbidden"),
        ("listener", {}, "missing_field"),
        ("listener", {"conversation": "x"}, "invalid_field"),
        ("listener", {"conversation": "own", "text": "hi"}, "unknown_field"),
        ("stranger", {"conversation": "own"}, "not_found"),
    ],
)
async def test_sending_crisis_lines_is_refused_with_a_code(who, frame, code):
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    stranger = (await sync_to_async(matched_pair)(topic="stress"))[1]
    user = {"seeker": seeker, "listener": listener, "stranger": stranger}[who]
    if frame.get("conversation") == "own":
        frame = {**frame, "conversation": conversation.pk}
    async with connected(user) as socket:
        await socket.send_json_to({"type": "resources.send", **frame})
        error = await receive_until(socket, "error")
        assert error["code"] == code


# --- my reports ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reporter_sees_only_their_own_reports_with_the_outcome_in_words():
    seeker, listener, conversation = matched_pair()
    other_seeker, other_listener, other_conversation = matched_pair(topic="stress")
    client_for(seeker).post("/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json")
    client_for(other_seeker).post(
        "/api/v1/reports", {"conversation": other_conversation.pk, "reason": "spam"}, format="json"
    )
    flag_resolve(staff=staff_member(), flag_id=SafetyFlag.objects.get(conversation=conversation).pk, note="secret note")

    mine = client_for(seeker).get("/api/v1/reports/mine").json()
    assert [(r["reason_label"], r["outcome_text"]) for r in mine] == [("Harassment", "Reviewed — no action needed")]
    assert "secret note" not in json.dumps(mine) and "resolved_by" not in json.dumps(mine)
    assert client_for(listener).get("/api/v1/reports/mine").json() == []  # reported about, not a reporter
    others = client_for(other_seeker).get("/api/v1/reports/mine").json()
    assert [r["outcome_text"] for r in others] == ["Under review"]


@pytest.mark.django_db
def test_my_reports_needs_a_session_and_takes_no_writes():
    response = APIClient().get("/api/v1/reports/mine")
    assert response.status_code == 403 and response.json()["error"] == "not_authenticated"
    response = client_for(SeekerFactory()).post("/api/v1/reports/mine", {}, format="json")
    assert response.status_code == 405 and "error" in response.json()
