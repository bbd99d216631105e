"""Scheduled jobs for matching and chat (run by support.scheduler in every process)."""

from __future__ import annotations

import time

from django.core.cache import cache

from chat.dispatch import line_changed_take, queue_positions_notify, requests_dispatch
from chat.services.conversations import conversations_inactivity as _inactivity
from chat.services.offers import offers_expire as _expire
from chat.services.requests import requests_presence_sweep as _presence_sweep


def offers_expire() -> None:
    _expire()


POSITION_REFRESH_SECONDS = 10
_REFRESH_SLOT_KEY = "chat:positions-refresh:{}"


def requests_dispatch_job(*, now=None) -> None:
    """Match what can be matched (offers expire and listeners come free with nobody sending a frame),
    then send places in line and queue sizes if the line changed since the last tick, and every
    few seconds anyway (estimates drift)."""
    now = now or time.time()
    # Another process's round in progress runs one more for us (chat.dispatch).
    requests_dispatch(wait=False)
    if line_changed_take() or _periodic_refresh_claimed(now):
        queue_positions_notify()


def _periodic_refresh_claimed(now: float) -> bool:
    """True in one process per ``POSITION_REFRESH_SECONDS`` slot.

    Every process runs this job each second; without a claim each of them sent
    every waiting seeker their place (N frames for one change) and read every
    listener's shift at the same tick. The shared cache's ``add`` lets the first
    process through; a cache that cannot answer lets this one through.
    """
    if int(now) % POSITION_REFRESH_SECONDS != 0:
        return False
    slot = int(now) // POSITION_REFRESH_SECONDS
    try:
        return bool(cache.add(_REFRESH_SLOT_KEY.format(slot), 1, timeout=POSITION_REFRESH_SECONDS * 2))
    except Exception:
        return True


def requests_presence_sweep() -> None:
    """Seekers gone from the line leave it (keeping their place for a while); alerts for urgent ones."""
    _presence_sweep()


def conversations_inactivity() -> None:
    _inactivity()
