"""A lock conflict PostgreSQL broke (deadlock, serialization failure) is run again, and one that
outlasts the attempts is answered ``busy`` with a wait, on a socket and over REST: never as an
internal error, never with anything stored."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError
from rest_framework.test import APIClient

import safety.reports
import safety.services
from chat.models import Conversation, Message
from safety.models import Block, SafetyFlag
from support.conflicts import ATTEMPTS
from tests.safety.helpers import CRISIS, matched_pair
from tests.ws import connected

db = database_sync_to_async


class _Deadlock(Exception):
    sqlstate = "40P01"


def lock_conflict() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock()
    return error


def failing_first(real, times: int):
    calls = []

    def service(**kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise lock_conflict()
        return real(**kwargs)

    return service, calls


async def _send(ws, conversation_id: int, client_id: str, text: str) -> dict:
    await ws.send_json_to(
        {
            "type": "message.send",
            "conversation": conversation_id,
            "client_id": client_id,
            "text": text,
            "ref": client_id,
        }
    )
    for _ in range(20):
        frame = await ws.receive_json_from(timeout=5)
        if frame["type"] in ("message.ack", "error"):
            return frame
    raise AssertionError("no ack or error")


@pytest.mark.django_db(transaction=True)
async def test_a_message_whose_conflict_outlasts_the_attempts_is_answered_busy_and_stored_once_when_sent_again(
    monkeypatch,
):
    seeker, _, conversation = await db(matched_pair)()
    flaky, calls = failing_first(safety.services.flag_create_for_message, times=ATTEMPTS)
    monkeypatch.setattr("safety.services.flag_create_for_message", flaky)
    async with connected(seeker) as ws:
        busy = await _send(ws, conversation.pk, "c1", CRISIS)
        assert busy["type"] == "error" and busy["code"] == "busy" and busy["retry_after"] == 1 and busy["ref"] == "c1"
        assert len(calls) == ATTEMPTS  # run again twice before answering
        assert not await db(Message.objects.filter(conversation=conversation, client_id="c1").exists)()
        ack = await _send(ws, conversation.pk, "c1", CRISIS)
    assert ack["type"] == "message.ack" and ack["duplicate"] is False
    assert await db(Message.objects.filter(conversation=conversation, client_id="c1").count)() == 1
    assert await db(SafetyFlag.objects.filter(conversation=conversation).count)() == 1


@pytest.mark.django_db(transaction=True)
def test_a_block_aborted_for_a_deadlock_runs_again_and_the_chat_ends(monkeypatch):
    seeker, listener, conversation = matched_pair()
    flaky, calls = failing_first(safety.reports.conversation_get_for_participant, times=1)
    monkeypatch.setattr(safety.reports, "conversation_get_for_participant", flaky)
    client = APIClient()
    client.force_login(seeker)
    response = client.post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"blocked": True, "chat_ended": True} and len(calls) == 2
    assert Conversation.objects.get(pk=conversation.pk).status == "ended"
    assert Block.objects.filter(blocker=seeker, blocked=listener).count() == 1


@pytest.mark.django_db
def test_a_conflict_that_outlasts_the_attempts_is_a_503_with_retry_after_not_a_500(monkeypatch):
    seeker, _, conversation = matched_pair()
    flaky, _ = failing_first(safety.reports.conversation_get_for_participant, times=ATTEMPTS)
    monkeypatch.setattr(safety.reports, "conversation_get_for_participant", flaky)
    client = APIClient()
    client.force_login(seeker)
    response = client.post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"] == "busy" and response.json()["retry_after"] == 1
