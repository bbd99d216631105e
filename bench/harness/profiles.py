"""Run sizes. ``quick`` is the smoke run (small sizes, short phases; see
bench/README.md for how long it takes); ``full`` is the one to quote. Every
field lands in the JSON."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Profile:
    name: str
    payload_bytes: int = 200
    drain_s: float = 2.0  # after a phase, a message is lost once nothing has arrived for this long
    drain_max_s: float = 30.0  # ... or after this long in all (an overload step's backlog drains meanwhile)
    # relay (S1-like)
    # Quick: the 250 pairs only (the S1 target); full adds 50 and 1,000.
    relay_pairs: list[int] = field(default_factory=lambda: [250])
    relay_mean_interval_s: float = 5.0
    relay_base_s: float = 3.0
    # The knee search goes on from the base phase (its first step) when that
    # is within the limit; otherwise it starts here, low enough for any server.
    relay_knee_start_rate: float = 25.0
    # x4 steps plus one geometric bisection step: the same x2 resolution as
    # x2 steps, in 5-6 steps instead of 8-9 from 25 to a baseline's ~1,600.
    relay_knee_factor: float = 4.0
    relay_knee_step_s: float = (
        1.0  # ≥ 400 samples per step: the search steps up from the base phase (~100 msgs/s) to 400 and beyond
    )
    relay_knee_max_steps: int = 5
    relay_knee_p99_ms: float = 100.0
    relay_knee_refine_steps: int = 2  # bisection steps between knee and first step past it: ×4 steps read to ×√2
    # fan-out (S2-like). Quick: a room of 50, growing to 200 (joining is
    # untimed set-up; it was O(N^2) until room presence became deltas and is
    # still ~0.05 s a member on SQLite); full: the 200, growing to 6,400.
    fanout_room: int = 50
    fanout_slow_s: float = 2.0  # 1 msg/s
    fanout_burst_s: float = 2.0  # a burst of 10 msgs every second
    fanout_burst: int = 10
    fanout_grow_sizes: list[int] = field(default_factory=lambda: [50, 100, 200])
    fanout_grow_senders: int = 4
    fanout_grow_sender_rate: float = 1.0  # msgs/s per sender
    fanout_grow_step_s: float = 1.5
    fanout_grow_p95_ms: float = 500.0
    # idle sockets (S4-like)
    idle_step: int = 250
    idle_max: int = 500
    idle_settle_s: float = 0.5
    idle_cpu_window_s: float = 1.0

    # matching (S3, Hearth only)
    matching_listeners: int = 50
    matching_seekers: int = 100
    matching_capacity: int = 3  # seats per listener: 150 for 100 seekers, every request can be served
    matching_timeout_s: float = 45.0
    # reconnect storm (S6, Hearth only)
    reconnect_pairs: int = 50  # 100 sockets
    reconnect_mean_interval_s: float = 2.0  # per socket, during the storm
    reconnect_before_s: float = 1.0  # load before the restart
    reconnect_after_s: float = 4.0  # load after the restart (the clients are coming back)
    reconnect_timeout_s: float = 60.0

    def as_dict(self) -> dict:
        return asdict(self)


QUICK = Profile(name="quick")

FULL = Profile(
    name="full",
    drain_s=10.0,
    drain_max_s=120.0,
    relay_pairs=[50, 250, 1000],
    relay_base_s=30.0,
    relay_knee_start_rate=25.0,
    relay_knee_factor=math.sqrt(2),
    relay_knee_step_s=10.0,
    relay_knee_max_steps=20,
    relay_knee_refine_steps=2,
    fanout_room=200,
    fanout_slow_s=60.0,
    fanout_burst_s=30.0,
    fanout_grow_sizes=[200, 400, 800, 1000, 1200, 1600, 3200, 6400],
    fanout_grow_step_s=15.0,
    idle_step=500,
    idle_max=5000,
    idle_settle_s=3.0,
    idle_cpu_window_s=15.0,
    matching_timeout_s=120.0,
    reconnect_pairs=500,
    reconnect_before_s=10.0,
    reconnect_after_s=30.0,
    reconnect_timeout_s=180.0,
)

PROFILES = {"quick": QUICK, "full": FULL}
