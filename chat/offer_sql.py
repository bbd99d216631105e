"""Accepting an offer, written out by hand: three conditional UPDATEs with RETURNING.

Each takes its row lock and writes in one statement where the ORM took a
``SELECT … FOR UPDATE`` and a ``save()``: three statements fewer per accept,
the costliest step of a matching burst, where every round trip waits for a
PostgreSQL backend. Lock order is the one every writer keeps: offer, shift,
request, conversation. The rules are in ``chat.services.offers.offer_accept``.
"""

from __future__ import annotations

import functools

from django.db import connection

from chat.models import ChatRequest, Conversation, Offer, OfferStatus, RequestStatus
from listeners.models import Shift
from support.models import Topic, User
from support.rawsql import column, db_datetime, loaded, prepared_cursor, table

#: What the match reads of the seeker: their alias and age group go to the listener.
SEEKER_FIELDS = ("id", "alias", "age_group")


@functools.cache
def _offer_take_sql(vendor: str) -> str:
    o = functools.partial(column, Offer)
    return (
        f"UPDATE {table(Offer)} SET {o('status')} = %s, {o('answered_at')} = %s "
        f"WHERE {o('id')} = %s AND {o('listener_id')} = %s AND {o('status')} = %s AND {o('expires_at')} > %s "
        f"RETURNING {o('request_id')}"
    )


def offer_take(*, offer_id: int, listener_id: int, now) -> int | None:
    """Mark a pending, unexpired offer to ``listener_id`` accepted; its request id, or None."""
    at = db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(
            _offer_take_sql(connection.vendor),
            [OfferStatus.ACCEPTED.value, at, offer_id, listener_id, OfferStatus.PENDING.value, at],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@functools.cache
def _shift_seat_sql(vendor: str) -> str:
    s = functools.partial(column, Shift)
    return (
        f"UPDATE {table(Shift)} SET {s('chats_taken')} = {s('chats_taken')} + 1 "
        f"WHERE {s('listener_id')} = %s AND {s('ended_at')} IS NULL RETURNING {s('id')}"
    )


def shift_chat_taken(*, listener_id: int) -> bool:
    """Count one more chat on the listener's open shift; False when they have none."""
    with connection.cursor() as cursor:
        cursor.execute(_shift_seat_sql(connection.vendor), [listener_id])
        return cursor.fetchone() is not None


@functools.cache
def _request_matched_sql(vendor: str) -> str:
    r = functools.partial(column, ChatRequest)
    return (
        f"UPDATE {table(ChatRequest)} SET {r('status')} = %s, {r('matched_at')} = %s, {r('closed_at')} = %s "
        f"WHERE {r('id')} = %s RETURNING {r('conversation_id')}"
    )


def request_matched(*, request_id: int, now) -> int:
    """Close the request as matched; its conversation id."""
    at = db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(_request_matched_sql(connection.vendor), [RequestStatus.MATCHED.value, at, at, request_id])
        return cursor.fetchone()[0]


def _attnames(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


@functools.cache
def _conversation_for_match_sql(vendor: str) -> str:
    c, t, u = (functools.partial(column, model) for model in (Conversation, Topic, User))
    columns = ", ".join(
        [f"c.{c(name)}" for name in _attnames(Conversation)]
        + [f"t.{t(name)}" for name in _attnames(Topic)]
        + [f"u.{u(name)}" for name in SEEKER_FIELDS]
    )
    lock = " FOR UPDATE OF c" if vendor == "postgresql" else ""  # SQLite has one writer at a time
    return (
        f"SELECT {columns} FROM {table(Conversation)} c LEFT JOIN {table(Topic)} t ON t.{t('id')} = c.{c('topic_id')} "
        f"JOIN {table(User)} u ON u.{u('id')} = c.{c('seeker_id')} WHERE c.{c('id')} = %s{lock}"
    )


def conversation_for_match(conversation_id: int) -> Conversation:
    """The conversation being matched, its row locked, with its topic and its seeker's alias and age group.

    What ``select_for_update(of=("self",)).select_related("topic", "seeker")`` read, without
    the cost of building that join on every accept.
    """
    with prepared_cursor() as cursor:
        cursor.execute(_conversation_for_match_sql(connection.vendor), [conversation_id])
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"conversation {conversation_id} is gone")
    conversation_names, topic_names = _attnames(Conversation), _attnames(Topic)
    conversation = loaded(Conversation, conversation_names, row[: len(conversation_names)])
    topic_row = row[len(conversation_names) : len(conversation_names) + len(topic_names)]
    conversation.topic = loaded(Topic, topic_names, topic_row) if conversation.topic_id is not None else None
    conversation.seeker = loaded(User, SEEKER_FIELDS, row[-len(SEEKER_FIELDS) :])
    return conversation
