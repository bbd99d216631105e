"""ORM queries on a hot path, compiled once per database vendor and run with new values.

Building a QuerySet and compiling it costs far more Python than the database
spends answering the small statements of the per-message and dispatch paths.
A ``CompiledQuery`` keeps the query written with the ORM (so field names,
joins, lookups and the database's dialect stay the ORM's) and pays for the
build once: ``build(p)`` returns the QuerySet for the values in ``p``; the
first run on a vendor builds and compiles it through Django's compiler several
times, once with sample values and once more with each parameter changed
alone, and keeps the SQL text with the position of each parameter in its
parameter list. A later run only adapts the real values as their field would
(``Field.get_db_prep_value``) and binds them in those positions; rows come back
through the converters Django itself would apply (``from_db_value``, the
backend's datetime and boolean conversions).

The SQL must not depend on the values: a value that changes the text (a
slice bound, a ``None`` turned into ``IS NULL``, a value Django folds away)
raises ``ImproperlyConfigured`` on first compile. ``compile_with`` compiles
through the ORM for given values, so a test can compare it with what a run
binds (``tests/support/test_compiled_query.py`` and one test per query).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per position in the parameter list: a parameter's name, or None for a constant of the query.
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]
    # (column position, converters) as the compiler's get_converters gives them.
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]


class Insert:
    """An INSERT of one ``model`` row with ``values`` (attname → value), returning ``returning``.

    What ``build`` returns for a compiled insert: the ORM's own ``InsertQuery``
    (the statement ``Model.save()`` and ``bulk_create`` compile), with the values
    taken as given (``raw``: no ``pre_save``, so ``auto_now_add`` does not replace
    a ``created_at`` the caller chose).
    """

    def __init__(self, model, values: dict[str, Any], *, returning: Sequence[str] = ("id",)) -> None:
        self.model = model
        self.values = values
        self.returning = returning

    def compiler(self, using: str):
        fields = [_field(self.model, name) for name in self.values]
        query = InsertQuery(self.model)
        query.insert_values(fields, [self.model(**self.values)], raw=True)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = [_field(self.model, name) for name in self.returning]
        return compiler


def _field(model, attname: str) -> models.Field:
    return next(field for field in model._meta.concrete_fields if field.attname == attname)


def _samples(field: models.Field) -> tuple[Any, Any]:
    """Two different values of ``field``'s type, neither of which Django treats specially."""
    if isinstance(field, models.BooleanField):
        return False, True
    if isinstance(field, models.DateTimeField):
        return dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC), dt.datetime(2002, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    if isinstance(field, (models.IntegerField, models.AutoField, models.ForeignKey)):
        return 3, 5
    if isinstance(field, (models.CharField, models.TextField)):
        return "sample-a", "sample-b"
    raise ImproperlyConfigured(f"No sample values for a {type(field).__name__} parameter.")


class CompiledQuery:
    """``build(p)`` compiled once per vendor; ``params`` names each value ``p`` carries and its field.

    ``build`` must be a pure function of ``p``: every value that varies between
    runs comes from ``p``; everything else (statuses, limits) is part of the
    query's shape.
    """

    def __init__(self, build: Callable[[SimpleNamespace], Any], **params: models.Field) -> None:
        self.build = build
        self.params = params
        self._by_vendor: dict[str, _Compiled] = {}

    # --- compiling ---

    def _compiler(self, values: dict[str, Any]):
        built = self.build(SimpleNamespace(**values))
        if isinstance(built, Insert):
            return built.compiler(connection.alias)
        return built.query.get_compiler(using=connection.alias)

    def compile_with(self, **values) -> tuple[str, list]:
        """The SQL and parameters Django's compiler gives for these values (the query built afresh)."""
        return self._as_sql(self._compiler(values))[:2]

    @staticmethod
    def _as_sql(compiler):
        compiled = compiler.as_sql()
        if isinstance(compiled, list):  # an insert compiler: one statement per batch, one batch here
            (compiled,) = compiled
        sql, params = compiled
        return sql, list(params), compiler

    def _compile(self) -> _Compiled:
        first = {name: _samples(field)[0] for name, field in self.params.items()}
        sql, base, compiler = self._as_sql(self._compiler(first))
        slots: list[str | None] = [None] * len(base)
        for name, field in self.params.items():
            changed_sql, changed, _ = self._as_sql(self._compiler({**first, name: _samples(field)[1]}))
            if changed_sql != sql or len(changed) != len(base):
                raise ImproperlyConfigured(f"The SQL of this query depends on the value of {name!r}:\n{sql}")
            moved = [i for i, (a, b) in enumerate(zip(base, changed, strict=True)) if a != b]
            if not moved:
                raise ImproperlyConfigured(f"{name!r} is not a parameter of this query:\n{sql}")
            for i in moved:
                slots[i] = name
        converters: tuple = ()
        if not isinstance(compiler.query, InsertQuery):
            columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
            converters = tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in compiler.get_converters(columns).items()
            )
        constants = tuple(None if slot else value for slot, value in zip(slots, base, strict=True))
        return _Compiled(sql=sql, slots=tuple(slots), constants=constants, converters=converters)

    def _compiled(self) -> _Compiled:
        compiled = self._by_vendor.get(connection.vendor)
        if compiled is None:
            compiled = self._by_vendor[connection.vendor] = self._compile()
        return compiled

    # --- running ---

    def sql(self) -> str:
        return self._compiled().sql

    def bind(self, **values) -> list:
        """The parameter list for ``values``, each adapted as its field adapts it for this database."""
        compiled = self._compiled()
        adapted = {
            name: field.get_db_prep_value(values[name], connection, prepared=False)
            for name, field in self.params.items()
        }
        return [
            adapted[slot] if slot is not None else constant
            for slot, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]

    def rows(self, cursor, **values) -> list[tuple]:
        """Run on ``cursor``; every row, its values converted as the ORM converts them."""
        compiled = self._compiled()
        cursor.execute(compiled.sql, self.bind(**values))
        rows = cursor.fetchall()
        if not compiled.converters or not rows:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in compiled.converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted
