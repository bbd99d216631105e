"""Scheduled jobs for matching and chat (run by support.scheduler in every process)."""

from __future__ import annotations

import time

from chat.dispatch import line_changed_take, queue_positions_notify, requests_dispatch
from chat.services.conversations import conversations_inactivity as _inactivity
from chat.services.offers import offers_expire as _expire


def offers_expire() -> None:
    _expire()


POSITION_REFRESH_SECONDS = 10


def requests_dispatch_job(*, now=None) -> None:
    """Match what can be matched (offers expire and listeners come free with nobody sending a frame),
    then send places in line and queue sizes if the line changed since the last tick, and every
    few seconds anyway (estimates drift)."""
    now = now or time.time()
    # Another process's round in progress runs one more for us (chat.dispatch).
    requests_dispatch(wait=False)
    if line_changed_take() or int(now) % POSITION_REFRESH_SECONDS == 0:
        queue_positions_notify()


def conversations_inactivity() -> None:
    _inactivity()
