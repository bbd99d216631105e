"""Periodic jobs (offer expiry, presence sweeps, inactivity, alert re-notify).

Each Daphne process runs the jobs named in ``HEARTH_SCHEDULED_JOBS`` about
once per ``HEARTH_SCHEDULER_INTERVAL``. Jobs are safe to run in several
processes at once: each claims its rows with ``select_for_update(skip_locked=True)``
(or an equivalent conditional UPDATE), so two processes never act on the same
row and a dead process's work is picked up by the others. No state lives in
one process's memory. ``manage.py run_scheduler`` runs the same loop on its own
for deployments that prefer a dedicated process
(``HEARTH_SCHEDULER_IN_PROCESS=0`` on the web processes then).
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from support.events import run_service

logger = logging.getLogger("hearth.scheduler")

_started_loops: set[int] = set()


@lru_cache(maxsize=1)
def scheduled_jobs():
    return tuple(import_string(path) for path in settings.HEARTH_SCHEDULED_JOBS)


async def run_jobs_once() -> None:
    for job in scheduled_jobs():
        try:
            await run_service(job)
        except Exception:
            logger.exception("scheduled job %s failed", getattr(job, "__name__", job))


async def run_forever(stop: asyncio.Event | None = None) -> None:
    interval = settings.HEARTH_SCHEDULER_INTERVAL
    while stop is None or not stop.is_set():
        await run_jobs_once()
        await asyncio.sleep(interval)


def ensure_started() -> None:
    """Start the job loop once per event loop (that is, once per Daphne process)."""
    loop = asyncio.get_running_loop()
    if id(loop) in _started_loops:
        return
    _started_loops.add(id(loop))
    task = loop.create_task(run_forever())
    task.add_done_callback(
        lambda t: t.cancelled() or t.exception() and logger.error("scheduler stopped: %r", t.exception())
    )


def with_scheduler(app):
    async def application(scope, receive, send):
        if settings.HEARTH_SCHEDULER_IN_PROCESS and scope["type"] in ("http", "websocket"):
            ensure_started()
        return await app(scope, receive, send)

    return application
