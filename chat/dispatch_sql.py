"""A dispatch round's own statements, written out by hand (``support.rawsql``).

Every round takes the dispatch lock and asks whether anyone is waiting before
it reads listeners and the line; a burst of requests runs about a round
each, and building these two small queries with the ORM would cost more than
running them.
"""

from __future__ import annotations

import functools

from django.db import connection

from chat.models import ChatRequest, DispatchLock, RequestStatus
from support.rawsql import column, table

LOCK_ROW_ID = 1


@functools.cache
def _lock_sql(vendor: str, skip_locked: bool) -> str:
    pk = column(DispatchLock, "id")
    sql = f"SELECT {pk} FROM {table(DispatchLock)} WHERE {pk} = %s"
    if vendor == "postgresql":  # SQLite has one writer at a time: nothing to lock
        sql += " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"
    return sql


def lock_row_take(*, skip_locked: bool) -> bool:
    """Lock the dispatch row until commit; False when it is missing, or held and ``skip_locked``."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(connection.vendor, skip_locked), [LOCK_ROW_ID])
        return cursor.fetchone() is not None


@functools.cache
def _row_exists_sql(vendor: str) -> str:
    pk = column(DispatchLock, "id")
    return f"SELECT 1 FROM {table(DispatchLock)} WHERE {pk} = %s"


def lock_row_exists() -> bool:
    """Whether the dispatch row is there (a plain read: it does not wait for the lock)."""
    with connection.cursor() as cursor:
        cursor.execute(_row_exists_sql(connection.vendor), [LOCK_ROW_ID])
        return cursor.fetchone() is not None


@functools.cache
def _waiting_sql(vendor: str) -> str:
    # A request whose seeker is away (no socket) is out of the line until they return.
    return (
        f"SELECT 1 FROM {table(ChatRequest)} WHERE {column(ChatRequest, 'status')} = %s "
        f"AND {column(ChatRequest, 'away_since')} IS NULL LIMIT 1"
    )


def anyone_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_waiting_sql(connection.vendor), [RequestStatus.WAITING.value])
        return cursor.fetchone() is not None
