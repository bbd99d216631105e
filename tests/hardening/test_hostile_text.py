"""Text no one can store and JSON nested without end: typed refusals, never a 500 or a traceback.

Also the per-socket limits on ``typing`` and transcript reads.
"""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import sync_to_async

from chat.models import ChatRequest, Message
from support.text_input import INVALID_TEXT, TOO_DEEP, json_problem
from tests.chat.helpers import matched_pair
from tests.factories import SeekerFactory, topic
from tests.ws import connected, receive_until

pytestmark = [pytest.mark.security]

BAD_TEXTS = [
    "nul \x00 byte",
    "lone \ud800 surrogate",
    "trailing \udfff",
    "bell \x07",
    "escape \x1b[31m",
    "vertical \x0b tab",
]
GOOD_TEXTS = ["tabs\tand\nnew lines\r\n", "emoji 🙂 and ünïcödé", 'quote " and backslash \\']


def _nested(depth: int) -> str:
    return '{"topic": "anxiety", "note": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [33, 200, 5000, 100_000])
@pytest.mark.django_db
def test_rest_bodies_nested_too_deeply_are_a_400_with_a_code(api_client, depth, caplog):
    api_client.force_authenticate(SeekerFactory())
    with caplog.at_level(logging.WARNING):
        response = api_client.post("/api/v1/requests/mine", _nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == TOO_DEEP
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db
def test_rest_bodies_within_the_depth_are_parsed(api_client):
    api_client.force_authenticate(SeekerFactory())
    response = api_client.post("/api/v1/requests/mine", _nested(31), content_type="application/json")
    assert response.json()["error"] == "invalid"  # an ordinary validation error: note is not text


@pytest.mark.parametrize("text", BAD_TEXTS)
@pytest.mark.django_db
def test_rest_text_with_nul_controls_or_lone_surrogates_is_refused_and_not_stored(api_client, text, caplog):
    topic()
    api_client.force_authenticate(SeekerFactory())
    body = json.dumps({"topic": "anxiety", "note": text})  # ensure_ascii: lone surrogates travel as \ud800
    with caplog.at_level(logging.WARNING):
        response = api_client.post("/api/v1/requests/mine", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == INVALID_TEXT
    assert ChatRequest.objects.count() == 0
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db
def test_rest_object_keys_are_held_to_the_same_rule(api_client):
    response = api_client.post(
        "/api/v1/session/login", json.dumps({"user\x00name": "a", "password": "b"}), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"] == INVALID_TEXT


@pytest.mark.parametrize("query", ["topic=%00", "topic=a%0Bb", "audience=a%07b", "%00=1", "status=%1B"])
@pytest.mark.django_db
def test_query_strings_with_unstorable_text_are_a_400_with_a_code(api_client, query):
    api_client.force_authenticate(SeekerFactory())
    for path in ("/api/v1/rooms", "/api/v1/conversations"):
        response = api_client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert response.json()["error"] == INVALID_TEXT


@pytest.mark.parametrize("text", GOOD_TEXTS)
@pytest.mark.django_db
def test_ordinary_text_with_tabs_new_lines_and_unicode_is_accepted(api_client, text):
    topic()
    api_client.force_authenticate(SeekerFactory())
    response = api_client.post("/api/v1/requests/mine", {"topic": "anxiety", "note": text}, format="json")
    assert response.status_code == 201
    assert ChatRequest.objects.get().note == text.strip()


def test_the_depth_walk_needs_no_recursion():
    value: object = []
    for _ in range(200_000):
        value = [value]
    assert json_problem(value, max_depth=32)[0] == TOO_DEEP
    assert json_problem({"a": [1, {"b": "ok"}]}, max_depth=3) is None
    assert json_problem({"a": [1, {"b": "ok"}]}, max_depth=2)[0] == TOO_DEEP


@pytest.mark.django_db(transaction=True)
async def test_socket_frames_with_unstorable_text_get_invalid_text_and_nothing_is_stored(caplog):
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as socket:
        with caplog.at_level(logging.WARNING):
            for index, text in enumerate(BAD_TEXTS):
                frame = json.dumps(
                    {
                        "type": "message.send",
                        "conversation": conversation.pk,
                        "client_id": f"bad{index}",
                        "text": text,
                        "ref": index,
                    }
                )
                await socket.send_to(text_data=frame)
                error = await receive_until(socket, "error")
                assert (error["code"], error["ref"]) == (INVALID_TEXT, index)
        await socket.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "good", "text": GOOD_TEXTS[0]}
        )
        ack = await receive_until(socket, "message.ack", timeout=30)  # the first screening of a process loads its rules
    stored = await sync_to_async(list)(
        Message.objects.filter(conversation=conversation, sender=seeker).values_list("text", flat=True)
    )
    assert stored == [GOOD_TEXTS[0].strip()] or stored == [GOOD_TEXTS[0]]
    assert ack["conversation"] == conversation.pk
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db(transaction=True)
async def test_typing_is_limited_per_socket_with_retry_after(settings):
    settings.HEARTH_WS_TYPING_PER_SOCKET = 5
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as socket, connected(listener) as other:
        for _ in range(5):
            await socket.send_json_to({"type": "typing", "conversation": conversation.pk, "active": True})
        await socket.send_json_to({"type": "typing", "conversation": conversation.pk, "active": True, "ref": "t6"})
        error = await receive_until(socket, "error")
        assert error["code"] == "rate_limited" and error["ref"] == "t6" and error["retry_after"] >= 1
        # The listener's own socket is not affected by the seeker's.
        await other.send_json_to({"type": "typing", "conversation": conversation.pk, "active": True})
        await other.send_json_to({"type": "ping", "ref": "p"})
        assert (await receive_until(other, "pong"))["ref"] == "p"


@pytest.mark.django_db(transaction=True)
async def test_transcript_syncs_are_limited_per_socket_with_retry_after(settings):
    settings.HEARTH_WS_SYNC_PER_SOCKET = 4
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    async with connected(seeker) as socket:
        for index in range(4):
            await socket.send_json_to({"type": "conversation.sync", "conversation": conversation.pk, "ref": index})
            assert (await receive_until(socket, "conversation.messages"))["ref"] == index
        await socket.send_json_to({"type": "conversation.sync", "conversation": conversation.pk, "ref": "over"})
        error = await receive_until(socket, "error")
        assert error["code"] == "rate_limited" and error["ref"] == "over" and error["retry_after"] >= 1
    async with connected(seeker) as fresh:  # another socket has its own budget
        await fresh.send_json_to({"type": "conversation.sync", "conversation": conversation.pk, "ref": "new"})
        assert (await receive_until(fresh, "conversation.messages"))["ref"] == "new"


@pytest.mark.django_db(transaction=True)
async def test_staff_syncs_are_limited_per_socket_too(settings):
    from tests.factories import StaffFactory

    settings.HEARTH_WS_SYNC_PER_SOCKET = 2
    staff = await sync_to_async(StaffFactory)()
    async with connected(staff, path="/ws/v1/staff/") as socket:
        codes = []
        for index in range(3):
            await socket.send_json_to({"type": "conversation.sync", "conversation": 12345, "ref": index})
            error = await receive_until(socket, "error")
            codes.append(error["code"])
        assert codes == ["not_joined", "not_joined", "rate_limited"]
        assert error["retry_after"] >= 1
