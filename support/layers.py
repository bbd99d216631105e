"""The embedded default's channel layer: Channels' in-memory layer with a cheaper expiry sweep.

Channels sweeps every channel queue and every group membership for expired
entries on each ``receive`` and ``group_send``. A Hearth socket is in three
groups or more (user, session, each conversation), so that sweep grows with
sockets × messages and comes to dominate the embedded server's CPU. Messages
expire after a minute and memberships after a day, so sweeping at most once a
second changes nothing anyone can observe.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    sweep_interval_seconds = 1.0
    _last_sweep = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval_seconds:
            return
        self._last_sweep = now
        super()._clean_expired()
