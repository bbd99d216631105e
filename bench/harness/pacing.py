"""Open-loop pacing: send times are fixed in advance, never by replies.

Latency is measured from the *scheduled* time, so a sender that falls behind
(client or server overload) shows up as latency instead of being hidden by
coordinated omission.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator


def now_ns() -> int:
    return time.monotonic_ns()


def poisson_schedule(
    start_ns: int, end_ns: int, mean_interval_s: float, rng: random.Random, limit: int = 1_000_000
) -> Iterator[int]:
    """Send times with exponential gaps (a Poisson process), in [start, end)."""
    t = start_ns
    for _ in range(limit):
        t += int(rng.expovariate(1.0 / mean_interval_s) * 1e9)
        if t >= end_ns:
            return
        yield t


def burst_schedule(start_ns: int, end_ns: int, period_s: float, burst: int, limit: int = 1_000_000) -> Iterator[int]:
    """``burst`` sends due at the same instant, once every ``period_s``."""
    t = start_ns
    emitted = 0
    while t < end_ns and emitted < limit:
        for _ in range(burst):
            yield t
            emitted += 1
        t += int(period_s * 1e9)


async def sleep_until(t_ns: int) -> None:
    delay = (t_ns - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)
