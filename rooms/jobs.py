"""Scheduled jobs for rooms (run by support.scheduler in every process)."""

from __future__ import annotations

from django.utils import timezone

from rooms.services import room_presence_announce, room_presence_sweep_stale

PRESENCE_RESCAN_SECONDS = 10


def room_presence_sweep(*, now=None) -> int:
    """Forget room sockets whose heartbeat stopped, then send every room whose presence changed its delta.

    The sweep keeps presence and open state true after a crash; the deltas
    (``room.presence``) are coalesced here, one per room per tick at most.
    Every ``PRESENCE_RESCAN_SECONDS`` the database is asked which rooms
    changed even without the shared-cache flag, in case the cache lost it.
    Returns the rows swept.
    """
    now = now or timezone.now()
    swept = room_presence_sweep_stale(now=now)
    room_presence_announce(now=now, rescan=int(now.timestamp()) % PRESENCE_RESCAN_SECONDS == 0)
    return swept
