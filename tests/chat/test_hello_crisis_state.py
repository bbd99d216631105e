"""A reloaded page shows the crisis state again because the server says it in ``hello.risk``; the
listener's chat keeps the seeker's opening note; ``safety.resources`` says how urgent it is."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.dispatch import requests_dispatch
from chat.selectors import socket_state_for_user
from chat.services.messages import message_send
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from safety.frames import GUIDANCE_ELEVATED, GUIDANCE_IMMINENT
from safety.models import FlagStatus, SafetyFlag
from safety.services import resources_share_by_listener
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for
from tests.factories import SeekerFactory
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)
IMMINENT = "i took all my pills an hour ago"
ELEVATED = "i dont want to be alive anymore"


def flagged_pair(text):
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c1", text=text)
    return seeker, listener, conversation


@pytest.mark.asyncio
async def test_a_seeker_who_wrote_of_imminent_risk_is_told_again_after_a_reload():
    seeker, listener, conversation = await sync_to_async(flagged_pair)(IMMINENT)
    async with connected(seeker) as socket:
        assert socket.hello["risk"] == [
            {"conversation": conversation.pk, "level": 3, "level_label": "imminent", "urgent": True}
        ]


@pytest.mark.asyncio
async def test_a_listener_gets_the_guidance_for_the_level_again_after_a_reload():
    seeker, listener, conversation = await sync_to_async(flagged_pair)(IMMINENT)
    async with connected(listener) as socket:
        [risk] = socket.hello["risk"]
        assert (risk["conversation"], risk["level_label"], risk["guidance"]) == (
            conversation.pk,
            "imminent",
            GUIDANCE_IMMINENT,
        )


@pytest.mark.asyncio
async def test_elevated_risk_comes_back_as_elevated_guidance():
    seeker, listener, conversation = await sync_to_async(flagged_pair)(ELEVATED)
    async with connected(listener) as socket:
        assert [(r["level_label"], r["guidance"]) for r in socket.hello["risk"]] == [("elevated", GUIDANCE_ELEVATED)]


@pytest.mark.asyncio
async def test_once_the_safety_team_resolved_the_case_a_reload_shows_no_crisis_state():
    seeker, listener, conversation = await sync_to_async(flagged_pair)(IMMINENT)
    await sync_to_async(SafetyFlag.objects.filter(conversation=conversation).update)(status=FlagStatus.RESOLVED)
    async with connected(seeker) as socket:
        assert socket.hello["risk"] == []


@pytest.mark.asyncio
async def test_a_quiet_chat_says_no_risk():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as socket:
        assert socket.hello["risk"] == []


def test_a_waiting_seeker_whose_note_spoke_of_risk_is_told_again_after_a_reload():
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug=None, note=IMMINENT)
    state = socket_state_for_user(seeker)
    assert [(r["conversation"], r["level"]) for r in state.risk] == [(request.conversation_id, 3)]


def test_the_risk_of_all_open_chats_costs_one_query():
    seeker, listener, conversation = flagged_pair(ELEVATED)
    with CaptureQueriesContext(connection) as queries:
        socket_state_for_user(listener)
    assert sum("safety_safetyflag" in q["sql"] for q in queries.captured_queries) == 1


def lines_shared_without_a_case():
    seeker, listener, conversation = matched_pair()
    resources_share_by_listener(listener=listener, conversation_id=conversation.pk)
    assert not SafetyFlag.objects.filter(conversation=conversation).exists()
    return seeker, listener, conversation


@pytest.mark.asyncio
async def test_lines_the_listener_sent_without_a_case_come_back_to_the_seeker_after_a_reload():
    seeker, listener, conversation = await sync_to_async(lines_shared_without_a_case)()
    async with connected(seeker) as socket:
        assert socket.hello["risk"] == [
            {
                "conversation": conversation.pk,
                "level": 2,
                "level_label": "elevated",
                "urgent": False,
                "shared_by": "listener",
            }
        ]


@pytest.mark.asyncio
async def test_a_listener_who_sent_the_lines_without_a_case_is_told_so_after_a_reload_but_gets_no_guidance():
    seeker, listener, conversation = await sync_to_async(lines_shared_without_a_case)()
    async with connected(listener) as socket:
        [risk] = socket.hello["risk"]
    assert (risk["conversation"], risk["shared_by"]) == (conversation.pk, "listener")
    assert "guidance" not in risk


def test_lines_sent_during_a_case_keep_the_cases_level_and_guidance():
    seeker, listener, conversation = flagged_pair(IMMINENT)
    resources_share_by_listener(listener=listener, conversation_id=conversation.pk)
    [risk] = socket_state_for_user(listener).risk
    assert (risk["level"], risk["guidance"], risk["shared_by"]) == (3, GUIDANCE_IMMINENT, "listener")


def test_whether_lines_were_sent_costs_one_query_for_all_open_chats():
    seeker, listener, conversation = lines_shared_without_a_case()
    with CaptureQueriesContext(connection) as queries:
        socket_state_for_user(listener)
    assert sum('"chat_message"' in q["sql"] for q in queries.captured_queries) == 1


def test_a_listener_still_sees_the_seekers_opening_note_after_accepting():
    listener = listener_on_shift(topics=("anxiety",))
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety", note="Exams are crushing me")
    requests_dispatch()
    conversation = offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    [payload] = socket_state_for_user(listener).conversations
    assert (payload["id"], payload["note"]) == (conversation.pk, "Exams are crushing me")
    [seen_by_seeker] = socket_state_for_user(seeker).conversations
    assert "note" not in seen_by_seeker


@pytest.mark.asyncio
async def test_crisis_resources_for_imminent_risk_put_emergency_services_first():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as socket:
        await socket.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "x1", "text": IMMINENT}
        )
        frame = await receive_until(socket, "safety.resources")
    assert (frame["level"], frame["level_label"], frame["urgent"]) == (3, "imminent", True)
    assert frame["helplines"][0]["kind"] == "emergency"
    assert frame["helplines"][0]["links"][0]["href"].startswith("tel:")
    assert all(line["audience"] != "teen" for line in frame["helplines"])  # an adult seeker
