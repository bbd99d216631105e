"""The dispatch round's read of listeners on shift compiles once (``support.compiled_query``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listeners import candidates_sql
from tests.compiled_queries import assert_sql_independent_of_values

pytestmark = pytest.mark.django_db


def test_the_open_shifts_read_compiles_once():
    now = timezone.now()
    assert_sql_independent_of_values(
        candidates_sql._OPEN_SHIFTS,
        {"present_since": now, "day_start": now - dt.timedelta(hours=3)},
        {"present_since": now - dt.timedelta(minutes=1), "day_start": now - dt.timedelta(hours=4)},
    )


def test_the_open_shifts_topics_read_has_no_values_to_bind():
    query = candidates_sql._OPEN_SHIFT_TOPICS
    assert query.bind() == query.compile_with()[1] == []
