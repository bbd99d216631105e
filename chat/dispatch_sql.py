"""A dispatch round's own statements: ORM queries compiled once (``support.compiled_query``).

Every round takes the dispatch lock and asks whether anyone is waiting before
it reads listeners and the line; a burst of requests runs about a round
each, and building these two small queries afresh would cost more than
running them.
"""

from __future__ import annotations

from django.db import connection

from chat.models import ChatRequest, DispatchLock, RequestStatus
from support.compiled_query import CompiledQuery

LOCK_ROW_ID = 1

_LOCK_ID = DispatchLock._meta.pk


def _lock_row(*, skip_locked: bool):
    # On SQLite the ORM leaves FOR UPDATE out: one writer at a time, nothing to lock.
    return CompiledQuery(
        lambda p: DispatchLock.objects.filter(pk=p.id).select_for_update(skip_locked=skip_locked).values_list("id"),
        id=_LOCK_ID,
    )


_LOCK_ROW = {skip_locked: _lock_row(skip_locked=skip_locked) for skip_locked in (False, True)}
_ROW_EXISTS = CompiledQuery(lambda p: DispatchLock.objects.filter(pk=p.id).values_list("id"), id=_LOCK_ID)
# A request whose seeker is away (no socket) is out of the line until they return.
_WAITING = CompiledQuery(
    lambda p: ChatRequest.objects.filter(status=p.status, away_since__isnull=True).order_by().values_list("id")[:1],
    status=ChatRequest._meta.get_field("status"),
)


def lock_row_take(*, skip_locked: bool) -> bool:
    """Lock the dispatch row until commit; False when it is missing, or held and ``skip_locked``."""
    with connection.cursor() as cursor:
        return bool(_LOCK_ROW[skip_locked].rows(cursor, id=LOCK_ROW_ID))


def lock_row_exists() -> bool:
    """Whether the dispatch row is there (a plain read: it does not wait for the lock)."""
    with connection.cursor() as cursor:
        return bool(_ROW_EXISTS.rows(cursor, id=LOCK_ROW_ID))


def anyone_waiting() -> bool:
    with connection.cursor() as cursor:
        return bool(_WAITING.rows(cursor, status=RequestStatus.WAITING))
