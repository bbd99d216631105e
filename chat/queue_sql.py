"""The line's per-request read, written out by hand: place in line.

It runs for every ``request.create`` (the answer carries the place) and for
every seeker's socket hello, so in a burst of requests building it with the ORM
would cost more than running it. The rule is ``chat.matching.line_places``;
``tests/chat/test_one_rule.py`` checks the two agree.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection

from chat.models import ChatRequest, RequestStatus
from support.rawsql import column, db_datetime, table

_OPEN = (RequestStatus.WAITING.value, RequestStatus.OFFERED.value)


@functools.cache
def _ahead_sql(vendor: str, same_topic: bool) -> str:
    r = functools.partial(column, ChatRequest)
    topic = f" AND (r.{r('topic_id')} = %s OR r.{r('topic_id')} IS NULL)" if same_topic else ""
    return (
        f"SELECT COUNT(*) FROM {table(ChatRequest)} r WHERE r.{r('status')} IN (%s, %s) AND r.{r('away_since')} IS NULL "
        f"AND (r.{r('priority')} > %s OR (r.{r('priority')} = %s AND r.{r('queued_at')} < %s)){topic}"
    )


def requests_ahead(*, priority: int, queued_at: dt.datetime, topic_id: int | None) -> int:
    """Open requests in line (their seeker not away) that sort ahead of one with this priority, queue time and topic."""
    params = [*_OPEN, priority, priority, db_datetime(queued_at)]
    if topic_id is not None:
        params.append(topic_id)
    with connection.cursor() as cursor:
        cursor.execute(_ahead_sql(connection.vendor, topic_id is not None), params)
        return cursor.fetchone()[0]
