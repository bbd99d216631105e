"""Helpers for the statements the ORM cannot say, and for running the hot paths' statements.

Everything is an ORM query; the per-message path's and the dispatch round's
are compiled once (``support.compiled_query``). Written by hand only what the
ORM cannot express: the per-conversation sequence ``UPDATE … RETURNING`` and,
on PostgreSQL, the data-modifying WITH that takes the sequence and inserts the
message in one statement (``chat.message_sql``). These helpers name their
tables and columns from the models (a rename the ORM follows fails the tests
rather than writing the wrong column) and carry datetimes across as the ORM
does.

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


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, attname: str) -> str:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return connection.ops.quote_name(field.column)


def db_datetime(value: dt.datetime | None):
    """``value`` as the ORM stores it in this database (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def instance(model, names, values):
    """A saved ``model`` instance from a read that skipped the ORM's loading: ``values`` for the fields ``names``
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
