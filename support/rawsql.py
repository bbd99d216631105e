"""Helpers for the few statements written out by hand on hot paths.

Where the ORM took longer to build a statement than the database took to run
it (``chat.message_sql``, ``listeners.candidates_sql``), the statement is
plain SQL that runs unchanged on SQLite and PostgreSQL. These helpers name
tables and columns from the models (a rename the ORM follows fails the tests
rather than reading the wrong column) and carry datetimes across as the ORM
does. Each module builds its statements once, in functions cached on
``connection.vendor`` (the quoting comes from the database backend). Modules:
``chat.message_sql``, ``chat.queue_sql``, ``chat.offer_sql``, ``chat.dispatch_sql``,
``listeners.candidates_sql``, ``safety.flag_sql``.
"""

from __future__ import annotations

import datetime as dt

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
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


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
