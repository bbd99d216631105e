"""Real-time events, sent only after the transaction that caused them commits.

Services call ``send_event_on_commit(group, event)``. When the service runs
under ``run_service`` (the websocket path), events are collected and sent by
the caller's event loop right after the sync call returns, which keeps the
database thread free of network round-trips. Anywhere else (REST views, the
scheduler, management commands) they are sent from the on-commit hook.

The layer is at-most-once, so an event is a hint: the database is the truth
and clients resume from it by sequence number.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, transaction

from support.conflicts import call_retrying_conflicts

logger = logging.getLogger("hearth.events")

Event = tuple[str, dict[str, Any]]
_outbox: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar("hearth_outbox", default=None)
AsyncFollowUp = Callable[[], Awaitable[None]]
_frame_follow_ups: contextvars.ContextVar[dict[AsyncFollowUp, None] | None] = contextvars.ContextVar(
    "hearth_frame_follow_ups", default=None
)


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Queue ``event`` for ``group``; it leaves only if the surrounding transaction commits."""
    outbox = _outbox.get()
    if outbox is not None:
        transaction.on_commit(lambda: outbox.append((group, event)))
    else:
        transaction.on_commit(lambda: _send_now(group, event))


def follow_up_on_commit(run_now: Callable[[], None], *, on_socket: AsyncFollowUp) -> None:
    """Inside a transaction: once it commits, run a follow-up of the change (a dispatch round).

    While a socket frame is handled (``frame_follow_ups``), ``on_socket`` is
    awaited once after the frame's handler has replied, however many services
    in that frame asked for it. Anywhere else (REST views, the admin, jobs)
    ``run_now`` runs in the on-commit hook. A rollback runs neither.
    """
    pending = _frame_follow_ups.get()
    if pending is not None:
        transaction.on_commit(lambda: pending.setdefault(on_socket))
    else:
        transaction.on_commit(run_now)


@contextmanager
def frame_follow_ups():
    """Collect, for one socket frame, the follow-ups its services asked for (``follow_up_on_commit``);
    the caller awaits ``follow_ups_run`` on what it yields once the frame has been answered."""
    pending: dict[AsyncFollowUp, None] = {}
    token = _frame_follow_ups.set(pending)
    try:
        yield pending
    finally:
        _frame_follow_ups.reset(token)


async def follow_ups_run(pending: dict[AsyncFollowUp, None]) -> None:
    """Await each follow-up once. Call it after leaving ``frame_follow_ups``: tasks a follow-up
    starts copy the current context and must not collect into a frame that has ended."""
    for follow_up in list(pending):
        try:
            await follow_up()
        except Exception:  # the change is committed; the scheduler's next tick catches up
            logger.exception("follow-up after a committed change failed")


def _send_now(group: str, event: dict[str, Any]) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:  # the layer being down must not undo a committed write
        logger.warning("channel layer send failed for %s event", event.get("type"), exc_info=True)


@contextmanager
def collecting_events():
    outbox: list[Event] = []
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)


async def publish(events: list[Event], *, origin: str | None = None) -> None:
    """Send committed events. ``origin``, the channel of the socket whose frame caused them, is
    stamped on each so that socket can skip what it already answered directly (the layer is
    at most once: the acting socket must not depend on it for its own action's outcome)."""
    layer = get_channel_layer()
    for group, event in events:
        if origin is not None:
            event = {**event, "origin": origin}
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.warning("channel layer send failed for %s event", event.get("type"), exc_info=True)


_service_executor: ThreadPoolExecutor | None = None
_service_executor_lock = threading.Lock()
# Connections a process holds outside the service threads: Channels' database thread and
# the matching dispatch thread (chat.dispatch).
_CONNECTIONS_OUTSIDE_SERVICE_THREADS = 2


def service_threads(*, pool_max: int | None = None, cpus: int | None = None) -> int:
    """How many parallel service threads a process runs: asyncio's default, but fewer than the pool
    holds connections, so a service never waits for one (on a many-core host the default would
    outnumber ``DATABASE_POOL_MAX``)."""
    if pool_max is None:
        pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
        pool_max = pool.get("max_size", 20) if isinstance(pool, dict) else 20
    cpus = cpus or os.cpu_count() or 1
    return max(1, min(cpus + 4, pool_max - _CONNECTIONS_OUTSIDE_SERVICE_THREADS))


def _executor() -> ThreadPoolExecutor:
    global _service_executor
    if _service_executor is None:
        with _service_executor_lock:
            if _service_executor is None:
                _service_executor = ThreadPoolExecutor(
                    max_workers=service_threads(), thread_name_prefix="hearth-service"
                )
    return _service_executor


async def run_service(fn: Callable[..., Any], /, *args, origin: str | None = None, **kwargs) -> Any:
    """Run a sync service in the database thread, then publish the events it committed
    (stamped with ``origin``, the acting socket's channel, when given: see ``publish``)."""

    def call():
        try:
            with collecting_events() as outbox:
                # A rolled-back attempt leaves nothing in the outbox: events join it on commit.
                result = call_retrying_conflicts(fn, *args, **kwargs)
            return result, list(outbox)
        finally:
            # Channels' own clean-up runs outside the context copy the service ran
            # in and can miss this connection: worker threads would keep pooled
            # connections checked out, and threads that end with their event
            # loop would never give them back, until the pool runs dry.
            close_old_connections()

    # HEARTH_DB_PARALLEL runs services in parallel threads (each with its own
    # pooled connection) instead of queueing on Channels' one database thread.
    parallel = settings.HEARTH_DB_PARALLEL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if parallel:
        result, events = await database_sync_to_async(call, thread_sensitive=False, executor=_executor())()
    else:
        result, events = await database_sync_to_async(call)()
    if events:
        await publish(events, origin=origin)
    return result
