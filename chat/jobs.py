"""Scheduled jobs for matching and chat (run by support.scheduler in every process)."""

from __future__ import annotations

from chat.dispatch import queue_positions_notify, requests_dispatch
from chat.services.conversations import conversations_inactivity as _inactivity
from chat.services.offers import offers_expire as _expire


def offers_expire() -> None:
    _expire()


def requests_dispatch_job() -> None:
    if requests_dispatch():
        queue_positions_notify()


def conversations_inactivity() -> None:
    _inactivity()
