"""The message path's and the dispatch round's ORM queries: each compiled once, its SQL the same
whatever the values (``support.compiled_query``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from chat import dispatch_sql, message_sql
from chat.models import RequestStatus
from chat.services.messages import CONTEXT_WINDOW, message_send
from tests.chat.helpers import matched_pair
from tests.compiled_queries import assert_sql_independent_of_values

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def test_the_sender_check_compiles_once():
    assert_sql_independent_of_values(
        message_sql.SENDER,
        {"conversation_id": 1, "user_id": 2, "now": NOW},
        {"conversation_id": 3, "user_id": 4, "now": NOW + dt.timedelta(minutes=1)},
    )


def test_the_nearby_read_compiles_once():
    assert_sql_independent_of_values(
        message_sql._nearby(CONTEXT_WINDOW),
        {"conversation_id": 1, "sender_id": 2, "client_id": "a"},
        {"conversation_id": 3, "sender_id": 4, "client_id": "b"},
    )


def test_the_transcript_read_compiles_once():
    assert_sql_independent_of_values(
        message_sql._transcript(50), {"conversation_id": 1, "after_seq": 0}, {"conversation_id": 2, "after_seq": 9}
    )


def test_a_transcript_page_holds_exactly_the_messages_asked_for_in_order():
    seeker, _, conversation = matched_pair()
    for i in range(6):
        message_send(sender=seeker, conversation_id=conversation.pk, client_id=f"page-{i}", text=f"line {i}")
    texts = [m.text for m in message_sql.transcript_after(conversation_id=conversation.pk, after_seq=0, limit=100)]
    page = message_sql.transcript_after(conversation_id=conversation.pk, after_seq=0, limit=3)
    assert [m.text for m in page] == texts[:3]
    assert [m.seq for m in page] == sorted(m.seq for m in page)


def test_the_insert_compiles_once():
    first = {
        "conversation_id": 1,
        "seq": 1,
        "kind": "text",
        "sender_id": 2,
        "sender_role": "seeker",
        "client_id": "a",
        "text": "hello",
        "masked": False,
        "risk_level": 0,
        "for_role": "",
        "created_at": NOW,
    }
    second = {**first, "seq": 2, "sender_id": None, "text": "again", "masked": True, "created_at": NOW}
    assert_sql_independent_of_values(message_sql.INSERT, first, second)


@pytest.mark.parametrize("skip_locked", [False, True])
def test_the_dispatch_lock_compiles_once(skip_locked):
    with transaction.atomic():  # the ORM compiles FOR UPDATE only inside a transaction
        assert_sql_independent_of_values(dispatch_sql._LOCK_ROW[skip_locked], {"id": 1}, {"id": 2})


def test_the_dispatch_checks_compile_once():
    assert_sql_independent_of_values(dispatch_sql._ROW_EXISTS, {"id": 1}, {"id": 2})
    assert_sql_independent_of_values(
        dispatch_sql._WAITING, {"status": RequestStatus.WAITING}, {"status": RequestStatus.OFFERED}
    )
