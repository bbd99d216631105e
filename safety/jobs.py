"""Scheduled safety jobs (named in ``HEARTH_SCHEDULED_JOBS``; safe in several processes at once)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from safety.retention import retention_step
from safety.sanctions import sanctions_expire as _sanctions_expire
from safety.services import alerts_renotify as _alerts_renotify

RETENTION_PASS_KEY = "safety:retention:pass"
_RETENTION_SLOT_KEY = "safety:retention:slot:{}"
_ALL = "all"


def alerts_renotify() -> None:
    _alerts_renotify()


def sanctions_expire() -> None:
    _sanctions_expire()


def retention(*, now=None, batch_size: int | None = None) -> bool:
    """Once every ``SAFETY_RETENTION_INTERVAL_SECONDS``, a retention pass: one batch per tick until nothing is due.

    The first process to reach a new interval claims it in the shared cache
    and opens the pass; every process then runs one batch of each rule still
    pending per tick while the pass is open (their row locks keep them
    apart), and the pass closes when no rule filled its batch. A batch per
    tick, not the whole backlog at once, so the other jobs of the tick never
    wait long. A cache that cannot answer lets each process run one step at
    the start of each interval. Returns whether a step ran.
    """
    now = now or timezone.now()
    interval = settings.SAFETY_RETENTION_INTERVAL_SECONDS
    seconds = int(now.timestamp())
    try:
        if cache.add(_RETENTION_SLOT_KEY.format(seconds // interval), 1, timeout=interval * 2):
            cache.set(RETENTION_PASS_KEY, _ALL, timeout=interval)
        pending = cache.get(RETENTION_PASS_KEY)
    except Exception:
        pending = _ALL if seconds % interval == 0 else None
    if pending is None:
        return False
    _, still = retention_step(now=now, batch_size=batch_size, kinds=None if pending == _ALL else pending)
    try:
        if still:
            cache.set(RETENTION_PASS_KEY, still, timeout=interval)
        else:
            cache.delete(RETENTION_PASS_KEY)
    except Exception:
        pass
    return True
