"""Socket presence rows (see ``support.models.Connection``).

One row per open socket, keyed by its channel name. The rows are kept fresh
by the process-wide heartbeat (``support.presence_heartbeat``), which refreshes
every socket of the process with :func:`presence_rows_refresh` — a few
statements per tick, not one per socket.
"""

from __future__ import annotations

from django.db import connections, router
from django.utils import timezone

from support.models import Connection

#: Channel names per UPDATE when the backend names no parameter limit (PostgreSQL).
REFRESH_CHUNK = 5000


def connection_open(*, user_id: int, channel_name: str) -> None:
    Connection.objects.update_or_create(
        channel_name=channel_name, defaults={"user_id": user_id, "last_seen_at": timezone.now()}
    )


def connection_close(*, channel_name: str) -> None:
    Connection.objects.filter(channel_name=channel_name).delete()


def presence_rows_refresh(model, channel_names: list[str], *, now=None) -> set[str]:
    """Set ``last_seen_at`` on the rows of ``model`` for ``channel_names``; return the names that have no row.

    ``model`` is any presence table keyed by a unique ``channel_name`` with a
    ``last_seen_at`` (``Connection``, ``rooms.RoomPresence``). One UPDATE per
    chunk of names (the whole list on PostgreSQL, 998 on SQLite); a second
    query only for a chunk where some row was missing, to say which.
    """
    now = now or timezone.now()
    limit = connections[router.db_for_write(model)].features.max_query_params
    chunk = (limit - 1) if limit else REFRESH_CHUNK
    missing: set[str] = set()
    for start in range(0, len(channel_names), chunk):
        names = channel_names[start : start + chunk]
        updated = model.objects.filter(channel_name__in=names).update(last_seen_at=now)
        if updated < len(set(names)):
            found = set(model.objects.filter(channel_name__in=names).values_list("channel_name", flat=True))
            missing.update(name for name in names if name not in found)
    return missing
