"""The one safety read on the matching path, written out by hand (``support.rawsql``).

Every ``request.create`` asks whether the seeker was flagged at elevated risk
in the last day (such a request goes to the front of the line), so a burst of
requests runs it once each; written out it skips the ORM's query building and
becomes a prepared statement after a few runs.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection

from safety.classifier import Level
from safety.models import FlagStatus, SafetyFlag
from support.rawsql import column, db_datetime, table


@functools.cache
def _unresolved_flag_sql(vendor: str) -> str:
    f = functools.partial(column, SafetyFlag)
    return (
        f"SELECT 1 FROM {table(SafetyFlag)} f WHERE f.{f('subject_id')} = %s AND f.{f('created_at')} >= %s "
        f"AND f.{f('level')} >= %s AND f.{f('status')} <> %s LIMIT 1"
    )


def flagged_at_risk_since(*, subject_id: int, since: dt.datetime) -> bool:
    """Whether a flag about ``subject_id`` at elevated risk or worse, raised since ``since``, is unresolved."""
    with connection.cursor() as cursor:
        cursor.execute(
            _unresolved_flag_sql(connection.vendor),
            [subject_id, db_datetime(since), int(Level.ELEVATED), FlagStatus.RESOLVED.value],
        )
        return cursor.fetchone() is not None
