"""The per-message path's statements: ORM queries compiled once, and one written out by hand.

Every chat message runs the same statements besides the sequence UPDATE: the
sender's access check (with their mute in force), the nearby messages
(idempotency and safety context) and the INSERT; every connect, sync and
match reads the transcript. Each is an ORM query compiled once per vendor and
run with new values (``support.compiled_query``): building them afresh cost
more Python per message than the database spent answering them.

Written out by hand, because the ORM cannot say it: on PostgreSQL the sequence
UPDATE and the INSERT are one statement (``message_insert_with_next_seq``, a
data-modifying WITH that SQLite lacks), one round trip fewer on every message.

Each read stays index-bounded however long the chat grows
(``tests/chat/test_message_path_plans.py``).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from chat.models import Conversation, Message
from chat.mutes import mute_in_force_ends
from support.compiled_query import CompiledQuery, Insert
from support.rawsql import column, db_datetime, instance, table

#: The conversation fields the message path reads (others load on first access).
SENDER_FIELDS = ("id", "seeker_id", "listener_id", "topic_id", "status", "last_seq", "has_safety_case")
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


def _message_field(attname: str):
    return next(field for field in Message._meta.concrete_fields if field.attname == attname)


def _sender_query(p):
    return (
        Conversation.objects.filter(pk=p.conversation_id)
        .filter(Q(seeker_id=p.user_id) | Q(listener_id=p.user_id))
        .annotate(sender_muted_until=mute_in_force_ends()(user_id=p.user_id, now=p.now))
        .order_by()
        .values_list(*SENDER_FIELDS, "sender_muted_until")
    )


SENDER = CompiledQuery(
    _sender_query,
    conversation_id=Conversation._meta.pk,
    user_id=Conversation._meta.get_field("seeker"),
    now=_message_field("created_at"),
)


def conversation_for_sender(*, user_id: int, conversation_id: int, now: dt.datetime) -> Conversation | None:
    """The conversation if ``user_id`` takes part in it, with ``sender_muted_until`` set; else None.

    ``sender_muted_until`` is when the sender's mute in force ends (the rule is
    safety's, ``chat.mutes``), read in the same statement.

    The instance holds ``SENDER_FIELDS``; any other field loads on first access.
    """
    with connection.cursor() as cursor:
        rows = SENDER.rows(cursor, conversation_id=conversation_id, user_id=user_id, now=now)
    if not rows:
        return None
    (row,) = rows
    conversation = instance(Conversation, SENDER_FIELDS, row[:-1])
    conversation.sender_muted_until = row[-1]
    return conversation


@functools.cache
def _nearby(last: int) -> CompiledQuery:
    def build(p):
        # Two index-bounded reads, not one with an OR: the last few come from the seq index,
        # a re-sent message from the partial client_id index (whose predicate, a non-empty
        # client_id, the literal '' lets the planner prove), and an OR of the two filtered
        # every message of the conversation.
        recent = Message.objects.filter(conversation_id=p.conversation_id).order_by("-seq").values("id")[:last]
        resent = (
            Message.objects.filter(conversation_id=p.conversation_id, sender_id=p.sender_id, client_id=p.client_id)
            .exclude(client_id=RawSQL("''", ()))
            .order_by()
            .values_list(*NEARBY_FIELDS)
        )
        return Message.objects.filter(pk__in=recent).order_by().values_list(*NEARBY_FIELDS).union(resent, all=True)

    return CompiledQuery(
        build,
        conversation_id=_message_field("conversation_id"),
        sender_id=_message_field("sender_id"),
        client_id=_message_field("client_id"),
    )


def messages_nearby(*, conversation_id: int, sender_id: int, client_id: str, last: int) -> list[dict]:
    """The conversation's ``last`` messages plus any of ``sender_id``'s with ``client_id``, in order,
    each once (``NEARBY_FIELDS``)."""
    with connection.cursor() as cursor:
        found = _nearby(last).rows(cursor, conversation_id=conversation_id, sender_id=sender_id, client_id=client_id)
    rows = {row[0]: row for row in found}  # the re-sent one may also be among the last
    seq = NEARBY_FIELDS.index("seq")
    return [dict(zip(NEARBY_FIELDS, row)) for row in sorted(rows.values(), key=lambda row: row[seq])]


@functools.cache
def _transcript(limit: int) -> CompiledQuery:
    def build(p):
        return (
            Message.objects.filter(conversation_id=p.conversation_id, seq__gt=p.after_seq)
            .order_by("seq")
            .values_list(*NEARBY_FIELDS, "sender__alias")[:limit]
        )

    return CompiledQuery(build, conversation_id=_message_field("conversation_id"), after_seq=_message_field("seq"))


def transcript_after(*, conversation_id: int, after_seq: int, limit: int) -> list[Message]:
    """Up to ``limit`` messages after ``after_seq`` in order, each with ``sender_alias`` set.

    The transcript read of every connect, sync and match: the sender's alias
    comes in the same row rather than with the sender's whole user row.
    """
    # The ORM writes a LIMIT into the SQL text, and clients choose their page size: a statement
    # per power of two (at most ten compiled), the rest cut here.
    with connection.cursor() as cursor:
        rows = _transcript(1 << (limit - 1).bit_length()).rows(
            cursor, conversation_id=conversation_id, after_seq=after_seq
        )
    messages = []
    for row in rows[:limit]:
        message = instance(Message, NEARBY_FIELDS, row[:-1])
        message.sender_alias = row[-1] or ""
        messages.append(message)
    return messages


def message_from_row(row: dict) -> Message:
    """A ``Message`` from one ``messages_nearby`` row, as the ORM would have loaded it."""
    return instance(Message, tuple(row), tuple(row.values()))


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
    with connection.cursor() as cursor:
        cursor.execute(_insert_with_next_seq_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"conversation {conversation_id} is gone")
    message_id, seq = row
    return instance(Message, ("id", "seq", *values), (message_id, seq, *values.values()))


INSERT = CompiledQuery(
    lambda p: Insert(Message, {name: getattr(p, name) for name in _INSERT_FIELDS}, returning=("id",)),
    **{name: _message_field(name) for name in _INSERT_FIELDS},
)


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
    with connection.cursor() as cursor:
        ((message_id,),) = INSERT.rows(cursor, **values)
    return instance(Message, ("id", *values), (message_id, *values.values()))
