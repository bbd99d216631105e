"""Helpers for the few statements written out by hand on hot paths.

Where the ORM took longer to build a statement than the database took to run
it (``chat.message_sql``, ``listeners.candidates_sql``), the statement is
plain SQL that runs unchanged on SQLite and PostgreSQL. These helpers name
tables and columns from the models (a rename the ORM follows fails the tests
rather than reading the wrong column) and carry datetimes across as the ORM
does. Each module builds its statements once, in functions cached on
``connection.vendor`` (the quoting comes from the database backend). Modules:
``chat.message_sql``, ``chat.request_sql``, ``chat.queue_sql``, ``chat.offer_sql``,
``chat.dispatch_sql``, ``listeners.candidates_sql``, ``safety.flag_sql``; ``insert_instance``
writes a new row of any model as ``create()`` would.

On PostgreSQL the hot paths' statements (a chat message's, a request's, an
accept's) go through ``prepared_cursor``: each is parsed and planned once per
pooled connection instead of every time (``DATABASE_PREPARED_STATEMENTS``, on
by default).
A prepared statement may be run with a *generic* plan, made without knowing
the parameters, so a statement that reads or updates rows joins that cursor
only with a test showing its generic plan index-bounded
(``tests/chat/test_prepared_statements.py``); ``insert_instance``'s INSERT …
VALUES has no plan to go wrong.
"""

from __future__ import annotations

import datetime as dt
import functools

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import DEFERRED
from django.db.models.signals import post_save, pre_save
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


def loaded(model, names, values):
    """``instance`` with each value converted as the ORM converts what it reads (SQLite's
    integers to booleans, its text to aware datetimes, …), for reads of many fields at once."""
    converters = _converters(model, tuple(names), connection.vendor)
    values = list(values)
    for index, expression, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], expression, connection)
    return instance(model, names, values)


@functools.cache
def _converters(model, names: tuple, vendor: str) -> tuple:
    # Kept across threads: a backend's converters depend on settings (time zone), not on the
    # state of the connection they were first looked up on.
    converters = []
    for index, name in enumerate(names):
        field = next(f for f in model._meta.concrete_fields if f.attname == name)
        expression = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            converters.append((index, expression, tuple(functions)))
    return tuple(converters)


def insert_instance(obj):
    """Save the new, unsaved ``obj`` in one INSERT … RETURNING its id, as ``Model.objects.create`` would.

    The values are the ones ``save()`` would write (field defaults from the constructor,
    ``auto_now_add`` stamped by ``pre_save``, each prepared for this database); what is
    left out is the ORM's building of the statement, a few tenths of a millisecond a row on
    the matching path. A model with save signal receivers (or a parent table) is saved by
    ``save()`` instead, so a receiver added later is never skipped.
    """
    model = type(obj)
    if model._meta.parents or pre_save.has_listeners(model) or post_save.has_listeners(model):
        obj.save(force_insert=True)
        return obj
    fields = _insert_fields(model)
    params = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    with prepared_cursor() as cursor:
        cursor.execute(_insert_instance_sql(model, connection.vendor), params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@functools.cache
def _insert_fields(model) -> tuple:
    return tuple(field for field in model._meta.local_concrete_fields if not field.db_returning and not field.generated)


@functools.cache
def _insert_instance_sql(model, vendor: str) -> str:
    fields = _insert_fields(model)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table(model)} ({columns}) VALUES ({placeholders}) RETURNING {column(model, model._meta.pk.attname)}"


def prepared_cursor():
    """A cursor whose statements PostgreSQL prepares once per connection (see the module's notes).

    Elsewhere, or with ``DATABASE_PREPARED_STATEMENTS=0``, the ordinary cursor. Django binds
    parameters on the client and never prepares; this cursor binds them on the server and asks
    psycopg to prepare every statement it runs, while Django's wrapper around it still logs and
    counts them (the hot-path query guard) and maps errors as for any cursor.
    """
    if connection.vendor != "postgresql" or not settings.HEARTH_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # What connection.cursor() does, with our cursor class instead of the connection's factory.
        return connection._prepare_cursor(_PreparingCursor(connection.connection))


class _PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, preparing every statement it runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg records the statement it ran only when it runs one unprepared; Django's query
        # log (debug logging, the tests' query capture) reads it from there.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)
