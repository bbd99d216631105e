"""Scheduled jobs for matching and chat (run by support.scheduler in every process)."""

from __future__ import annotations

import time

from chat.dispatch import queue_positions_notify, requests_dispatch
from chat.services.conversations import conversations_inactivity as _inactivity
from chat.services.offers import offers_expire as _expire


def offers_expire() -> None:
    _expire()


POSITION_REFRESH_SECONDS = 10


def requests_dispatch_job(*, now=None) -> None:
    """Match what can be matched (offers expire and listeners come free with nobody sending a frame);
    every few seconds also refresh places in line: estimates drift, and a seeker requeued by the
    presence sweep needs their new place."""
    now = now or time.time()
    requests_dispatch()
    if int(now) % POSITION_REFRESH_SECONDS == 0:
        queue_positions_notify()


def conversations_inactivity() -> None:
    _inactivity()
