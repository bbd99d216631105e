"""The request path's read of the chosen topic, written out instead of built by the ORM.

Every seeker asking for a listener names a topic; ``Topic.objects.filter(…).first()``
cost more Python to build (with the model's ordering) than the read itself, on the
path a burst of seekers queues behind (``docs/performance.md``, S3).
"""

from __future__ import annotations

import functools

from django.db import connection

from support.models import Topic
from support.rawsql import column, loaded, prepared_cursor, table

TOPIC_FIELDS = ("id", "slug", "name", "description", "is_active", "display_order")


@functools.cache
def _active_topic_sql(vendor: str) -> str:
    t = functools.partial(column, Topic)
    columns = ", ".join(t(name) for name in TOPIC_FIELDS)
    return f"SELECT {columns} FROM {table(Topic)} WHERE {t('slug')} = %s AND {t('is_active')}"


def active_topic(slug: str) -> Topic | None:
    """The active topic with this slug (slugs are unique), or None."""
    with prepared_cursor() as cursor:
        cursor.execute(_active_topic_sql(connection.vendor), [slug])
        row = cursor.fetchone()
    return loaded(Topic, TOPIC_FIELDS, row) if row is not None else None
