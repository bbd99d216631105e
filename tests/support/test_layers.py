"""The embedded layer sweeps expired entries at most once a second, and still sweeps them."""

from __future__ import annotations

import time

from support import layers
from support.layers import InMemoryChannelLayer


class Clock:
    def __init__(self):
        self.wall = 1_000_000.0
        self.mono = 500.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


async def test_the_sweep_runs_at_most_once_a_second_yet_expired_messages_still_go(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(time, "time", lambda: clock.wall)
    monkeypatch.setattr(layers.time, "monotonic", lambda: clock.mono)
    layer = InMemoryChannelLayer(expiry=60)
    sweeps = []
    real_sweep = layers.ChannelsInMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        layers.ChannelsInMemoryChannelLayer,
        "_clean_expired",
        lambda self: (sweeps.append(clock.mono), real_sweep(self)),
    )

    await layer.group_add("room", "specific.dead")
    await layer.group_add("room", "specific.alive")
    await layer.send("specific.dead", {"type": "hello"})  # never received: its consumer is gone
    for _ in range(50):
        await layer.group_send("other", {"type": "noise"})
    assert len(sweeps) == 1  # fifty operations within a second: one sweep

    clock.advance(61)  # past the message expiry
    await layer.group_send("other", {"type": "noise"})
    assert len(sweeps) == 2
    assert "specific.dead" not in layer.channels  # the stale message went ...
    assert "specific.dead" not in layer.groups["room"]  # ... and so did the dead channel's membership
    assert "specific.alive" in layer.groups["room"]
