"""The chat message's statements are prepared on PostgreSQL, and stay cheap whatever plan runs them.

``support.rawsql.prepared_cursor`` prepares them once per pooled connection. PostgreSQL
may then run a prepared statement with a *generic* plan, made without knowing the
parameters; a generic plan that cannot use an index for "this conversation" scans the
whole table or the whole chat on every message. Each test here runs the statement as the
message path does (so psycopg prepares it with the parameter types it really sends), then
asks PostgreSQL for the generic plan of exactly that prepared statement, on enough rows
that a scan would show.
"""

from __future__ import annotations

import re
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import message_sql
from chat.models import Conversation, Message, MessageKind
from chat.services.messages import CONTEXT_WINDOW, message_send
from safety.models import Sanction, SanctionKind
from support import rawsql
from support.models import Role, User
from tests.chat.helpers import matched_pair
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="prepared statements and plan shapes are PostgreSQL's"
)


def _as_prepared(sql: str) -> str:
    """The statement text psycopg prepares: ``%s`` placeholders numbered ``$1, $2, …``."""
    numbers = iter(range(1, 100))
    return re.sub("%s", lambda _: f"${next(numbers)}", sql)


def _run_until_prepared(call):
    """Run ``call`` until psycopg has prepared its statements (on the run after ``prepare_threshold``)."""
    for _ in range(connection.connection.prepare_threshold + 1):
        result = call()
    return result


def _prepared_names(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement = %s", [_as_prepared(sql)])
        return [row[0] for row in cursor.fetchall()]


def _generic_plans(sql: str, args: list, *, analyze: bool = True) -> list[dict]:
    """EXPLAIN (ANALYZE) of every prepared variant of ``sql`` (one per parameter types sent), generic plan forced.

    No savepoints around them: psycopg forgets every prepared statement of the connection on a
    ROLLBACK (and deallocates them), so a write is explained without ANALYZE instead.
    """
    names = _prepared_names(sql)
    assert names, f"not prepared: {sql}"
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            for name in names:
                placeholders = ", ".join(["%s"] * len(args))
                options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
                cursor.execute(f"EXPLAIN ({options}) EXECUTE {name}({placeholders})", args)
                plans.append(cursor.fetchone()[0][0]["Plan"])
        finally:
            cursor.execute("RESET plan_cache_mode")
    return plans


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
    """The query guard (tests/bench) and Django's error mapping see the prepared statements too."""
    seeker, _, conversation = matched_pair()
    with CaptureQueriesContext(connection) as queries:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="counted", text="are you there?")
    sent = [query["sql"] for query in queries.captured_queries]
    nearby = message_sql._nearby(CONTEXT_WINDOW).sql()
    assert any(sql.startswith(nearby.split("%s")[0]) for sql in sent), sent
    assert any("INSERT INTO" in sql and Message._meta.db_table in sql for sql in sent), sent


@override_settings(HEARTH_PREPARED_STATEMENTS=False)
def test_turned_off_the_message_path_uses_django_s_own_cursor():
    with rawsql.prepared_cursor() as cursor, connection.cursor() as django_s_own:
        assert type(cursor.cursor) is type(django_s_own.cursor)


@on_postgresql
def test_on_postgresql_the_message_path_binds_on_the_server_where_psycopg_can_prepare():
    """Django's cursors bind on the client, which psycopg never prepares."""
    with rawsql.prepared_cursor() as cursor:
        assert type(cursor.cursor) is psycopg.Cursor


@on_postgresql
def test_a_chat_message_prepares_its_statements_once_per_connection():
    seeker, _, conversation = matched_pair()
    # psycopg prepares a statement on its prepare_threshold-th run on a connection.
    for i in range(connection.connection.prepare_threshold + 1):
        message_send(sender=seeker, conversation_id=conversation.pk, client_id=f"prep-{i}", text=f"still here {i}")
    vendor = connection.vendor
    for sql in (
        message_sql.SENDER.sql(),
        message_sql._nearby(CONTEXT_WINDOW).sql(),
        message_sql._insert_with_next_seq_sql(vendor),
    ):
        assert _prepared_names(sql), f"not prepared: {sql}"


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
    assert (
        _run_until_prepared(
            lambda: message_sql.conversation_for_sender(user_id=seeker.pk, conversation_id=conversation.pk, now=now)
        )
        is not None
    )
    args = message_sql.SENDER.bind(conversation_id=conversation.pk, user_id=seeker.pk, now=now)
    for plan in _generic_plans(message_sql.SENDER.sql(), args):
        assert plan["Actual Rows"] == 1
        assert not [node for node in _nodes(plan) if node["Node Type"] == "Seq Scan"], plan


@on_postgresql
def test_the_nearby_read_stays_bounded_in_a_long_chat_whatever_the_plan():
    """The last few messages and a re-sent client_id, not a scan of the whole conversation."""
    seeker, _, conversation = matched_pair()
    _long_chat(seeker, conversation)
    _run_until_prepared(
        lambda: message_sql.messages_nearby(
            conversation_id=conversation.pk, sender_id=seeker.pk, client_id="long-5", last=8
        )
    )
    nearby = message_sql._nearby(8)
    args = nearby.bind(conversation_id=conversation.pk, sender_id=seeker.pk, client_id="long-5")
    for plan in _generic_plans(nearby.sql(), args):
        assert plan["Actual Rows"] == 9  # the last 8 and the re-sent one
        _assert_index_bounded(plan)


@on_postgresql
def test_the_transcript_read_after_a_sequence_number_stays_bounded_whatever_the_plan():
    seeker, _, conversation = matched_pair()
    _long_chat(seeker, conversation)
    conversation.refresh_from_db()
    after = conversation.last_seq - 5
    transcript = _run_until_prepared(
        lambda: message_sql.transcript_after(conversation_id=conversation.pk, after_seq=after, limit=50)
    )
    assert len(transcript) == 5
    query = message_sql._transcript(64)  # the statement a page of 50 runs: limits go up to a power of two
    args = query.bind(conversation_id=conversation.pk, after_seq=after)
    for plan in _generic_plans(query.sql(), args):
        assert plan["Actual Rows"] == 5
        _assert_index_bounded(plan)


@on_postgresql
def test_the_insert_takes_the_next_sequence_number_by_index_whatever_the_plan():
    seeker, _, conversation = matched_pair()
    Conversation.objects.bulk_create(Conversation(seeker=seeker, topic=conversation.topic) for _ in range(2000))
    now = timezone.now()
    client_ids = iter(range(100))
    message = _run_until_prepared(
        lambda: message_sql.message_insert_with_next_seq(
            conversation_id=conversation.pk,
            kind=MessageKind.TEXT,
            sender_id=seeker.pk,
            sender_role="seeker",
            client_id=f"first-{next(client_ids)}",
            text="hello",
            masked=False,
            risk_level=0,
            created_at=now,
        )
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
    for plan in _generic_plans(message_sql._insert_with_next_seq_sql(connection.vendor), args, analyze=False):
        _assert_index_bounded(plan)
    assert Message.objects.get(conversation=conversation, client_id=message.client_id).seq == message.seq
