"""Scheduled jobs for rooms (run by support.scheduler in every process)."""

from __future__ import annotations

from django.utils import timezone

from rooms.services import room_presence_sweep_stale


def room_presence_sweep(*, now=None) -> int:
    """Forget room sockets whose heartbeat stopped, so presence and open state stay true after a crash."""
    return room_presence_sweep_stale(now=now or timezone.now())
