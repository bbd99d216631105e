"""The per-message path's statements, written out instead of built by the ORM.

Every chat message runs the same three statements besides the sequence
UPDATE: the sender's access check (with their mute in force), the nearby
messages (idempotency and safety context) and the INSERT. Building them with
the ORM cost ~1.7, ~0.9 and ~0.35 ms of Python per message on this project's
2-core bench machine, most of a message's database-thread time, against a few
tens of microseconds for the statement itself (``tests/bench`` guards the
query count; ``docs/performance.md`` has the profile). The SQL is plain and
portable: it runs unchanged on SQLite (3.35+, for RETURNING) and PostgreSQL;
``support.rawsql`` names tables and columns from the models. One exception:
on PostgreSQL the sequence UPDATE and the INSERT are one statement
(``message_insert_with_next_seq``, a data-modifying WITH that SQLite lacks).
On PostgreSQL these and the transcript read are prepared once per pooled
connection (``support.rawsql.prepared_cursor``), so each must stay
index-bounded under a plan made for any parameter
(``tests/chat/test_prepared_statements.py``).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection

from chat.models import Conversation, Message
from safety.models import Sanction, SanctionKind
from support.rawsql import aware, column, db_datetime, instance, prepared_cursor, table

#: The conversation fields the message path reads (others load on first access).
SENDER_FIELDS = ("id", "seeker_id", "listener_id", "topic_id", "status", "last_seq", "escalated")
#: What the nearby read returns per message: every column, so a re-sent message is answered from it.
NEARBY_FIELDS = (
    "id",
    "conversation_id",
    "seq",
    "kind",
    "sender_id",
    "sender_role",
    "client_id",
    "text",
    "masked",
    "risk_level",
    "for_role",
    "created_at",
)
_INSERT_FIELDS = NEARBY_FIELDS[1:]  # all but the id


@functools.cache
def _conversation_for_sender_sql(vendor: str) -> str:
    c = functools.partial(column, Conversation)
    s = functools.partial(column, Sanction)
    columns = ", ".join(f"c.{c(name)}" for name in SENDER_FIELDS)
    return (
        f"SELECT {columns}, "
        f"(SELECT s.{s('expires_at')} FROM {table(Sanction)} s WHERE s.{s('subject_id')} = %s AND s.{s('kind')} = %s "
        f"AND s.{s('lifted_at')} IS NULL AND s.{s('expires_at')} > %s ORDER BY s.{s('expires_at')} DESC LIMIT 1) "
        f"FROM {table(Conversation)} c WHERE c.{c('id')} = %s AND (c.{c('seeker_id')} = %s OR c.{c('listener_id')} = %s)"
    )


@functools.cache
def _nearby_sql(vendor: str) -> str:
    # Two index-bounded reads, not one with an OR: a plan made for any parameter (a
    # prepared statement's generic plan) cannot use the partial client_id index for
    # "client_id = %s" alone, and scanned every message of the conversation to filter
    # the OR. "<> ''" states the index's predicate; the last few come from the seq index.
    m = functools.partial(column, Message)
    columns = ", ".join(m(name) for name in NEARBY_FIELDS)
    return (
        f"SELECT {columns} FROM (SELECT {columns} FROM {table(Message)} WHERE {m('conversation_id')} = %s "
        f"ORDER BY {m('seq')} DESC LIMIT %s) recent "
        f"UNION ALL SELECT {columns} FROM {table(Message)} WHERE {m('conversation_id')} = %s "
        f"AND {m('sender_id')} = %s AND {m('client_id')} = %s AND {m('client_id')} <> ''"
    )


@functools.cache
def _insert_sql(vendor: str) -> str:
    m = functools.partial(column, Message)
    columns = ", ".join(m(name) for name in _INSERT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_INSERT_FIELDS))
    return f"INSERT INTO {table(Message)} ({columns}) VALUES ({placeholders}) RETURNING {m('id')}"


def conversation_for_sender(*, user_id: int, conversation_id: int, now: dt.datetime) -> Conversation | None:
    """The conversation if ``user_id`` takes part in it, with ``sender_muted_until`` set; else None.

    ``sender_muted_until`` is when ``safety.selectors.sanction_active_mute`` (the
    rule) would end, read in the same statement.

    The instance holds ``SENDER_FIELDS``; any other field loads on first access.
    """
    params = [user_id, SanctionKind.MUTE.value, db_datetime(now), conversation_id, user_id, user_id]
    with prepared_cursor() as cursor:
        cursor.execute(_conversation_for_sender_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    conversation = instance(Conversation, SENDER_FIELDS, row[:-1])
    conversation.escalated = bool(conversation.escalated)
    conversation.sender_muted_until = aware(row[-1])
    return conversation


def messages_nearby(*, conversation_id: int, sender_id: int, client_id: str, last: int) -> list[dict]:
    """The conversation's ``last`` messages plus any of ``sender_id``'s with ``client_id``, in order,
    each once (``NEARBY_FIELDS``)."""
    with prepared_cursor() as cursor:
        cursor.execute(_nearby_sql(connection.vendor), [conversation_id, last, conversation_id, sender_id, client_id])
        rows = {row[0]: row for row in cursor.fetchall()}  # the re-sent one may also be among the last
    seq = NEARBY_FIELDS.index("seq")
    return [dict(zip(NEARBY_FIELDS, row)) for row in sorted(rows.values(), key=lambda row: row[seq])]


@functools.cache
def _transcript_sql(vendor: str) -> str:
    from support.models import User

    m = functools.partial(column, Message)
    u = functools.partial(column, User)
    columns = ", ".join(f"m.{m(name)}" for name in NEARBY_FIELDS)
    return (
        f"SELECT {columns}, u.{u('alias')} FROM {table(Message)} m LEFT JOIN {table(User)} u ON u.{u('id')} = m.{m('sender_id')} "
        f"WHERE m.{m('conversation_id')} = %s AND m.{m('seq')} > %s ORDER BY m.{m('seq')} LIMIT %s"
    )


def transcript_after(*, conversation_id: int, after_seq: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages after ``after_seq`` in order, each with ``sender_alias`` set.

    The transcript read of every connect, sync and match; the ORM's version
    (``select_related("sender")``) built and loaded the sender's whole user
    row for one alias.
    """
    with prepared_cursor() as cursor:
        cursor.execute(_transcript_sql(connection.vendor), [conversation_id, after_seq, limit])
        rows = cursor.fetchall()
    messages = []
    for row in rows:
        message = message_from_row(dict(zip(NEARBY_FIELDS, row[:-1])))
        message.sender_alias = row[-1] or ""
        messages.append(message)
    return messages


def message_from_row(row: dict) -> Message:
    """A ``Message`` from one ``messages_nearby`` row, as the ORM would have loaded it."""
    values = {**row, "masked": bool(row["masked"]), "created_at": aware(row["created_at"])}
    return instance(Message, tuple(values), tuple(values.values()))


@functools.cache
def _insert_with_next_seq_sql(vendor: str) -> str:
    c = functools.partial(column, Conversation)
    m = functools.partial(column, Message)
    columns = ", ".join(m(name) for name in _INSERT_FIELDS)
    values = ", ".join("s.seq" if name == "seq" else "%s" for name in _INSERT_FIELDS)
    return (
        f"WITH s AS (UPDATE {table(Conversation)} SET {c('last_seq')} = {c('last_seq')} + 1, "
        f"{c('last_activity_at')} = %s, {c('inactivity_warned_at')} = NULL WHERE {c('id')} = %s "
        f"RETURNING {c('last_seq')} AS seq) "
        f"INSERT INTO {table(Message)} ({columns}) SELECT {values} FROM s RETURNING {m('id')}, {m('seq')}"
    )


def message_insert_with_next_seq(
    *,
    conversation_id: int,
    kind: str,
    sender_id: int | None,
    sender_role: str,
    client_id: str,
    text: str,
    masked: bool,
    risk_level: int,
    created_at: dt.datetime,
    for_role: str = "",
) -> Message:
    """PostgreSQL: take the conversation's next ``seq`` and insert the message in one statement.

    The same two writes as ``next_seq`` then ``message_insert`` (the UPDATE
    locks the conversation row until commit, so numbers stay gap-free), one
    round trip fewer on every message. SQLite has no UPDATE inside WITH.
    """
    values = dict(
        conversation_id=conversation_id,
        kind=kind,
        sender_id=sender_id,
        sender_role=sender_role,
        client_id=client_id,
        text=text,
        masked=masked,
        risk_level=risk_level,
        for_role=for_role,
        created_at=created_at,
    )
    at = db_datetime(created_at)
    params = [at, conversation_id] + [
        at if name == "created_at" else values[name] for name in _INSERT_FIELDS if name != "seq"
    ]
    with prepared_cursor() as cursor:
        cursor.execute(_insert_with_next_seq_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"conversation {conversation_id} is gone")
    message_id, seq = row
    return instance(Message, ("id", "seq", *values), (message_id, seq, *values.values()))


def message_insert(
    *,
    conversation_id: int,
    seq: int,
    kind: str,
    sender_id: int | None,
    sender_role: str,
    client_id: str,
    text: str,
    masked: bool,
    risk_level: int,
    created_at: dt.datetime,
    for_role: str = "",
) -> Message:
    """Insert one message row; returns the saved instance (as ``Message.objects.create`` would)."""
    values = dict(
        conversation_id=conversation_id,
        seq=seq,
        kind=kind,
        sender_id=sender_id,
        sender_role=sender_role,
        client_id=client_id,
        text=text,
        masked=masked,
        risk_level=risk_level,
        for_role=for_role,
        created_at=created_at,
    )
    params = [db_datetime(created_at) if name == "created_at" else values[name] for name in _INSERT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)
        message_id = cursor.fetchone()[0]
    return instance(Message, ("id", *values), (message_id, *values.values()))
