"""Helpers for the few statements written out by hand: the per-message path and the dispatch read.

Everything else goes through the ORM. Where building a statement with the ORM
took longer than the database took to run it, measured above the bench's noise
(``docs/performance.md``): the chat message's statements (``chat.message_sql``),
the dispatch round's read of listeners on shift (``listeners.candidates_sql``)
and its cheap checks (``chat.dispatch_sql``). The SQL is plain and runs
unchanged on SQLite and PostgreSQL. These helpers name tables and columns from
the models (a rename the ORM follows fails the tests rather than reading the
wrong column) and carry datetimes across as the ORM does; each module builds its
statements once, in functions cached on ``connection.vendor``.

On PostgreSQL the message path's statements go through ``prepared_cursor``: each
is parsed and planned once per pooled connection instead of every time
(``DATABASE_PREPARED_STATEMENTS``, on by default). A prepared statement may be run
with a *generic* plan, made without knowing the parameters, so a statement joins
that cursor only with a test showing its generic plan index-bounded
(``tests/chat/test_prepared_statements.py``).
"""

from __future__ import annotations

import datetime as dt

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import DEFERRED
from django.utils.dateparse import parse_datetime


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, attname: str) -> str:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return connection.ops.quote_name(field.column)


def aware(value) -> dt.datetime | None:
    """A datetime read by hand as the ORM would return it: aware, in UTC.

    SQLite hands back a table column as a naive datetime and a computed one
    (a subquery's) as text; PostgreSQL an aware datetime.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    # Stored in UTC (USE_TZ): attaching the zone is all make_aware would do, at a fraction of the cost.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def db_datetime(value: dt.datetime | None):
    """``value`` as the ORM stores it in this database (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def instance(model, names, values):
    """A saved ``model`` instance from a hand-written read: ``values`` for the fields ``names``
    (attnames, in any order), every other field deferred (it loads on first access)."""
    by_name = dict(zip(names, values))
    # from_db takes the values in the model's field order; a list that long is used as it is.
    ordered = [by_name.get(field.attname, DEFERRED) for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, tuple(by_name), ordered)


def prepared_cursor():
    """A cursor whose statements PostgreSQL prepares once per connection (see the module's notes).

    Elsewhere, or with ``DATABASE_PREPARED_STATEMENTS=0``, the ordinary cursor. Django's own
    cursors bind parameters on the client, which psycopg never prepares; this one is psycopg's
    server-binding ``Cursor``, which prepares a statement once the connection has run it
    ``prepare_threshold`` times (set in ``support.settings``, psycopg's documented mechanism).
    It is wrapped as Django wraps its own (``make_cursor`` / ``make_debug_cursor``), so the
    hot-path query guard counts its statements and database errors are mapped as for any cursor.
    Django's query log reads the statement text from psycopg's last unprepared execution, so
    once a statement is prepared the log records it without its text.
    """
    if connection.vendor != "postgresql" or not settings.HEARTH_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        server_binding = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(server_binding)
    return connection.make_cursor(server_binding)
