"""Helpers for the statements the ORM cannot say.

Everything is an ORM query; the per-message path's and the dispatch round's
are compiled once (``support.compiled_query``). Written by hand only what the
ORM cannot express: the per-conversation sequence ``UPDATE … RETURNING`` and,
on PostgreSQL, the data-modifying WITH that takes the sequence and inserts the
message in one statement (``chat.message_sql``). These helpers name their
tables and columns from the models (a rename the ORM follows fails the tests
rather than writing the wrong column) and carry datetimes across as the ORM
does.
"""

from __future__ import annotations

import datetime as dt

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
