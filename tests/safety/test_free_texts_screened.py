"""Every free text a person writes is screened like a chat message: notes, reports, bios."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from chat.models import ChatRequest, RequestPriority
from chat.services.requests import request_create
from listeners.models import ListenerProfile
from rooms.services import room_join, room_message_report, room_message_send
from safety.classifier import Level
from safety.models import FlagSource, Report, SafetyFlag
from tests.factories import SeekerFactory
from tests.rooms.helpers import make_member, make_moderator, make_room
from tests.safety.helpers import matched_pair
from tests.ws import connected, receive_until

PLAN_TONIGHT = "i have the pills saved up and tonight is the night, i just want someone to know"


@pytest.mark.django_db
def test_a_request_note_stating_a_plan_makes_the_request_urgent_and_opens_an_imminent_case():
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety", note=PLAN_TONIGHT)
    assert ChatRequest.objects.get(pk=request.pk).priority == RequestPriority.URGENT
    case = SafetyFlag.objects.get(conversation=request.conversation)
    assert case.level == Level.IMMINENT and case.subject == seeker and case.reason.startswith("In the request note")


@pytest.mark.django_db
def test_contact_details_in_a_request_note_are_masked_before_any_listener_sees_it():
    request = request_create(
        seeker=SeekerFactory(), topic_slug="anxiety", note="text me on 07700 900123 or jo.doe@example.com"
    )
    note = ChatRequest.objects.get(pk=request.pk).note
    assert "07700" not in note and "example.com" not in note and "[phone removed]" in note


@pytest.mark.django_db(transaction=True)
async def test_a_seeker_whose_note_states_a_plan_is_shown_crisis_resources_at_once():
    seeker = await database_sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        await ws.send_json_to({"type": "request.create", "topic": "anxiety", "note": PLAN_TONIGHT, "ref": "r"})
        resources = await receive_until(ws, "safety.resources")
        assert resources["helplines"]


@pytest.mark.django_db
def test_a_report_whose_text_describes_imminent_risk_is_an_imminent_case():
    seeker, listener, conversation = matched_pair()
    client = APIClient()
    client.force_login(listener)
    response = client.post(
        "/api/v1/reports",
        {
            "conversation": conversation.pk,
            "reason": "other",
            "text": "she told me she is on the bridge right now and going to jump",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    case = Report.objects.get().flag
    assert case.level == Level.IMMINENT and case.source == FlagSource.REPORT


@pytest.mark.django_db
def test_a_room_report_reason_describing_risk_reaches_the_safety_team():
    room = make_room()
    room_join(user=make_moderator(room), room_id=room.pk, channel_name="mod-socket")
    writer, reporter = make_member(room), make_member(room)
    sent = room_message_send(sender=writer, room_id=room.pk, client_id="1", text="nobody here gets it")
    room_message_report(
        reporter=reporter,
        room_id=room.pk,
        seq=sent.message.seq,
        reason="they told me in dms they took a bottle of pills an hour ago",
    )
    case = SafetyFlag.objects.get(subject=writer)
    assert case.level == Level.IMMINENT and case.source == FlagSource.REPORT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bio", ["Add me on snap after our chats, happy to talk anytime", "dm me on insta luna.listens"]
)
def test_a_listener_bio_inviting_contact_is_refused(bio):
    seeker, listener, _ = matched_pair()
    client = APIClient()
    client.force_login(listener)
    response = client.patch("/api/v1/listeners/me", {"bio": bio}, format="json")
    assert response.status_code == 400, response.json()
    assert "bio" in response.json()["fields"]
    assert ListenerProfile.objects.get(user=listener).bio != bio
