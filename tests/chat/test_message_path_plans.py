"""The chat message's statements stay cheap however long the chat and the tables grow.

Every message runs them, so a plan that cannot use an index for "this conversation"
would scan the whole table or the whole chat on every message. Each test runs the
statement as the message path does, then asks PostgreSQL for the plan of the same
SQL with the same values, on enough rows that a scan would show.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import message_sql
from chat.models import Conversation, Message, MessageKind
from chat.services.messages import CONTEXT_WINDOW, message_send
from safety.models import Sanction, SanctionKind
from support.models import Role, User
from tests.chat.helpers import matched_pair
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="plan shapes are PostgreSQL's")


def _plan(sql: str, args: list, *, analyze: bool = True) -> dict:
    """EXPLAIN (ANALYZE) of ``sql`` with ``args``; a write is explained without ANALYZE (it would run)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
        cursor.execute(f"EXPLAIN ({options}) {sql}", args)
        return cursor.fetchone()[0][0]["Plan"]


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _assert_index_bounded(plan: dict) -> None:
    scanned = [node["Relation Name"] for node in _nodes(plan) if node["Node Type"] == "Seq Scan"]
    assert not scanned, f"sequential scan of {scanned}: {plan}"
    assert all(node.get("Rows Removed by Filter", 0) == 0 for node in _nodes(plan)), plan


def _long_chat(seeker, conversation, count=3000):
    """``count`` more messages in ``conversation``, among as many other people (so no table is a page)."""
    User.objects.bulk_create(User(username=f"other-{n}", alias=f"Other {n}", role=Role.SEEKER) for n in range(count))
    first = conversation.last_seq + 1
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=seq,
            kind=MessageKind.TEXT,
            sender=seeker,
            sender_role="seeker",
            client_id=f"long-{seq}",
            text=f"still talking {seq}",
        )
        for seq in range(first, first + count)
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=first + count - 1)


def test_the_message_path_statements_go_through_django_and_are_counted():
    """The query guard (tests/bench) and Django's error mapping see them as any query."""
    seeker, _, conversation = matched_pair()
    with CaptureQueriesContext(connection) as queries:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="counted", text="are you there?")
    sent = [query["sql"] for query in queries.captured_queries]
    nearby = message_sql._nearby(CONTEXT_WINDOW).sql()
    assert any(sql.startswith(nearby.split("%s")[0]) for sql in sent), sent
    assert any("INSERT INTO" in sql and Message._meta.db_table in sql for sql in sent), sent


@on_postgresql
def test_the_sender_check_reads_one_conversation_and_the_sender_s_mutes_by_index():
    seeker, _, conversation = matched_pair()
    staff = StaffFactory()
    now = timezone.now()
    Conversation.objects.bulk_create(Conversation(seeker=seeker, topic=conversation.topic) for _ in range(2000))
    Sanction.objects.bulk_create(
        Sanction(
            subject=seeker,
            kind=SanctionKind.MUTE,
            note="old",
            created_by=staff,
            created_at=now - timedelta(days=day),
            expires_at=now - timedelta(days=day - 1),
        )
        for day in range(2, 2000)
    )
    assert message_sql.conversation_for_sender(user_id=seeker.pk, conversation_id=conversation.pk, now=now) is not None
    args = message_sql.SENDER.bind(conversation_id=conversation.pk, user_id=seeker.pk, now=now)
    plan = _plan(message_sql.SENDER.sql(), args)
    assert plan["Actual Rows"] == 1
    assert not [node for node in _nodes(plan) if node["Node Type"] == "Seq Scan"], plan


@on_postgresql
def test_the_nearby_read_stays_bounded_in_a_long_chat():
    """The last few messages and a re-sent client_id, not a scan of the whole conversation."""
    seeker, _, conversation = matched_pair()
    _long_chat(seeker, conversation)
    found = message_sql.messages_nearby(
        conversation_id=conversation.pk, sender_id=seeker.pk, client_id="long-5", last=8
    )
    assert len(found) == 9  # the last 8 and the re-sent one
    nearby = message_sql._nearby(8)
    args = nearby.bind(conversation_id=conversation.pk, sender_id=seeker.pk, client_id="long-5")
    plan = _plan(nearby.sql(), args)
    assert plan["Actual Rows"] == 9
    _assert_index_bounded(plan)


@on_postgresql
def test_the_transcript_read_after_a_sequence_number_stays_bounded():
    seeker, _, conversation = matched_pair()
    _long_chat(seeker, conversation)
    conversation.refresh_from_db()
    after = conversation.last_seq - 5
    transcript = message_sql.transcript_after(conversation_id=conversation.pk, after_seq=after, limit=50)
    assert len(transcript) == 5
    query = message_sql._transcript(64)  # the statement a page of 50 runs: limits go up to a power of two
    args = query.bind(conversation_id=conversation.pk, after_seq=after)
    plan = _plan(query.sql(), args)
    assert plan["Actual Rows"] == 5
    _assert_index_bounded(plan)


@on_postgresql
def test_the_insert_takes_the_next_sequence_number_by_index():
    seeker, _, conversation = matched_pair()
    Conversation.objects.bulk_create(Conversation(seeker=seeker, topic=conversation.topic) for _ in range(2000))
    now = timezone.now()
    message = message_sql.message_insert_with_next_seq(
        conversation_id=conversation.pk,
        kind=MessageKind.TEXT,
        sender_id=seeker.pk,
        sender_role="seeker",
        client_id="first",
        text="hello",
        masked=False,
        risk_level=0,
        created_at=now,
    )
    args = [
        now,
        conversation.pk,
        conversation.pk,
        MessageKind.TEXT.value,
        seeker.pk,
        "seeker",
        "second",
        "hello again",
        False,
        0,
        "",
        now,
    ]
    _assert_index_bounded(_plan(message_sql._insert_with_next_seq_sql(connection.vendor), args, analyze=False))
    assert Message.objects.get(conversation=conversation, client_id=message.client_id).seq == message.seq
