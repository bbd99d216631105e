"""Services that can lose a lock conflict run again themselves, so a call from any transport
(socket frame, REST view, admin action, job) gets the retry; under ``run_service`` the
attempts do not multiply."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError

import chat.services.conversations
import safety.reports
from chat.dispatch import requests_dispatch
from chat.models import ConversationStatus, RequestStatus
from chat.services.requests import request_cancel, request_create
from safety.models import Block
from safety.retention import account_delete_for_seeker
from support.conflicts import ATTEMPTS
from support.events import run_service
from tests.factories import SeekerFactory
from tests.safety.helpers import listener_on_shift, matched_pair
from tests.support.test_lock_conflicts_answered import failing_first

# Not inside a test transaction: a conflict inside a caller's transaction is never retried.
pytestmark = pytest.mark.django_db(transaction=True)


def _close_fails_first(monkeypatch, times: int) -> list:
    flaky, calls = failing_first(chat.services.conversations.conversation_close, times=times)
    flaky_close = lambda conversation, **kwargs: flaky(conversation=conversation, **kwargs)  # noqa: E731
    monkeypatch.setattr(chat.services.conversations, "conversation_close", flaky_close)
    return calls


def test_leaving_the_line_aborted_for_a_deadlock_runs_again_and_the_seeker_is_out_of_line(monkeypatch):
    listener_on_shift()
    seeker = SeekerFactory()
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    calls = _close_fails_first(monkeypatch, times=1)
    request = request_cancel(seeker=seeker)
    assert len(calls) == 2
    assert request.status == RequestStatus.CANCELLED
    assert request.conversation.status == ConversationStatus.ENDED


def test_a_block_aborted_for_a_deadlock_runs_again_when_the_service_is_called_directly(monkeypatch):
    seeker, listener, conversation = matched_pair()
    flaky, calls = failing_first(safety.reports.conversation_get_for_participant, times=1)
    monkeypatch.setattr(safety.reports, "conversation_get_for_participant", flaky)
    assert safety.reports.block_create(user=seeker, conversation_id=conversation.pk) == (True, True)
    assert len(calls) == 2
    assert Block.objects.filter(blocker=seeker, blocked=listener).count() == 1


def test_an_account_deletion_aborted_for_a_deadlock_runs_again_and_ends_the_open_chat(monkeypatch):
    seeker, _, conversation = matched_pair()
    calls = _close_fails_first(monkeypatch, times=1)
    result = account_delete_for_seeker(seeker=seeker)
    assert len(calls) == 2
    assert result["ended_open_chats"] == 1


async def test_on_a_socket_a_retrying_service_is_tried_attempts_times_in_all_not_attempts_squared(monkeypatch):
    def waiting_seeker():
        listener_on_shift()
        seeker = SeekerFactory()
        request_create(seeker=seeker, topic_slug="anxiety")
        return seeker

    seeker = await database_sync_to_async(waiting_seeker)()
    calls = _close_fails_first(monkeypatch, times=ATTEMPTS * ATTEMPTS)
    with pytest.raises(OperationalError):
        await run_service(request_cancel, seeker=seeker)
    assert len(calls) == ATTEMPTS
