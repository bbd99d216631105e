"""Scheduled safety jobs (named in ``HEARTH_SCHEDULED_JOBS``; safe in several processes at once)."""

from __future__ import annotations

from safety.sanctions import sanctions_expire as _sanctions_expire
from safety.services import alerts_renotify as _alerts_renotify


def alerts_renotify() -> None:
    _alerts_renotify()


def sanctions_expire() -> None:
    _sanctions_expire()
