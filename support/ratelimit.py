"""Fixed-window rate limits kept in the shared cache.

With ``REDIS_URL`` set the cache is Redis, so a limit holds across every
Daphne process; the embedded default uses the process-local cache, which is
correct there because there is only one process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


def _window_key(scope: str, identity: str, window: int, now: float) -> tuple[str, int]:
    window_start = int(now // window) * window
    return f"rl:{scope}:{identity}:{window_start}", window_start


def hit(scope: str, identity: str, *, limit: int, window: int, now: float | None = None) -> RateDecision:
    """Count one event and say whether it is within ``limit`` per ``window`` seconds."""
    now = time.time() if now is None else now
    key, window_start = _window_key(scope, identity, window, now)
    # add() is atomic: only the first caller in a window creates the counter.
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window + 1)
            count = 1
    if count <= limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, int(window_start + window - now + 0.999)))


def peek(scope: str, identity: str, *, limit: int, window: int, now: float | None = None) -> RateDecision:
    """Say whether one more event would be refused, without counting it."""
    now = time.time() if now is None else now
    key, window_start = _window_key(scope, identity, window, now)
    count = cache.get(key, 0)
    if count < limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, int(window_start + window - now + 0.999)))


def reset(scope: str, identity: str, *, window: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    key, _ = _window_key(scope, identity, window, now)
    cache.delete(key)
