"""What every compiled query is tested for (``support.compiled_query``)."""

from __future__ import annotations

from support.compiled_query import CompiledQuery


def assert_sql_independent_of_values(query: CompiledQuery, first: dict, second: dict) -> None:
    """Compiled by the ORM for two different sets of values, ``query`` is one SQL text, the one it
    runs; and what it binds for each set is what the ORM's compiler gives for it."""
    assert first != second
    first_sql, first_params = query.compile_with(**first)
    second_sql, second_params = query.compile_with(**second)
    assert first_sql == second_sql == query.sql()
    assert first_params != second_params
    assert query.bind(**first) == first_params
    assert query.bind(**second) == second_params
