"""Fixed-window rate limits kept in the shared cache.

With ``REDIS_URL`` set the cache is Redis, so a limit holds across every
Daphne process; the embedded default uses the process-local cache, which is
correct there because there is only one process.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from support.errors import RateLimited

logger = logging.getLogger("hearth.ratelimit")


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


def _window_key(scope: str, identity: str, window: int, now: float) -> tuple[str, int]:
    window_start = int(now // window) * window
    return f"rl:{scope}:{identity}:{window_start}", window_start


def hit(
    scope: str, identity: str, *, limit: int, window: int, now: float | None = None, fail_open: bool = True
) -> RateDecision:
    """Count one event and say whether it is within ``limit`` per ``window`` seconds.

    When the cache is unreachable the event is allowed (``fail_open``), so
    people can still reach help during an outage; guarding credentials, pass
    ``fail_open=False`` to refuse instead.
    """
    now = time.time() if now is None else now
    key, window_start = _window_key(scope, identity, window, now)
    try:
        count = _count(key, window)
    except Exception:
        logger.warning("rate limit cache unavailable (%s, fail_open=%s)", scope, fail_open)
        return RateDecision(True, 0) if fail_open else RateDecision(False, 5)
    if count <= limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, int(window_start + window - now + 0.999)))


def _count(key: str, window: int) -> int:
    count_in_window = getattr(cache, "count_in_window", None)  # support.cache.RedisCache: one round trip
    if count_in_window is not None:
        return count_in_window(key, window)
    # add() is atomic: only the first caller in a window creates the counter.
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window + 1)
        return 1


def peek(
    scope: str, identity: str, *, limit: int, window: int, now: float | None = None, fail_open: bool = True
) -> RateDecision:
    """Say whether one more event would be refused, without counting it."""
    now = time.time() if now is None else now
    key, window_start = _window_key(scope, identity, window, now)
    try:
        count = cache.get(key, 0)
    except Exception:
        logger.warning("rate limit cache unavailable (%s, fail_open=%s)", scope, fail_open)
        return RateDecision(True, 0) if fail_open else RateDecision(False, 5)
    if count < limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, int(window_start + window - now + 0.999)))


class LocalWindows:
    """Fixed-window counters in one object's memory, for limits per socket.

    A socket lives in one process and one event loop, so its own frame
    budgets (``typing``, ``conversation.sync``) need no shared cache and no
    lock: the consumer handles one frame at a time.
    """

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, kind: str, *, limit: int, window: int, now: float | None = None) -> RateDecision:
        now = time.monotonic() if now is None else now
        start, count = self._windows.get(kind, (now, 0))
        if now - start >= window:
            start, count = now, 0
        count += 1
        self._windows[kind] = (start, count)
        if count <= limit:
            return RateDecision(True, 0)
        return RateDecision(False, max(1, int(start + window - now + 0.999)))


SOCKET_FRAMES_TOO_FAST = "Too many {kind} frames on this connection. Please wait a moment."


def socket_frame_limit(consumer, kind: str, limit: int) -> None:
    """Count one ``kind`` frame on this socket; raise ``rate_limited`` with ``retry_after`` past ``limit``.

    Typing indicators and transcript reads cost other people work (a group
    send, a database read of up to a whole transcript) and a client needs few
    of them per ``HEARTH_WS_FRAME_WINDOW_SECONDS``.
    """
    windows = getattr(consumer, "frame_windows", None)
    if windows is None:
        windows = consumer.frame_windows = LocalWindows()
    decision = windows.hit(kind, limit=limit, window=settings.HEARTH_WS_FRAME_WINDOW_SECONDS)
    if not decision.allowed:
        raise RateLimited(decision.retry_after, SOCKET_FRAMES_TOO_FAST.format(kind=kind))


def transcript_read_limit(consumer, kind: str, *, key, after_seq: int, limit: int) -> None:
    """``socket_frame_limit`` for a transcript read, except the page the server itself asked for.

    A long transcript comes in pages (``has_more``); reading on from the ``next_after_seq`` this
    socket was just given is part of one read, so a whole transcript costs one count however
    many pages it takes, and a client that re-reads from the start pays for every read.
    """
    continuations = consumer.__dict__.setdefault("page_continuations", {})
    if continuations.pop((kind, key), None) == after_seq:
        return
    socket_frame_limit(consumer, kind, limit)


def transcript_page_sent(consumer, kind: str, *, key, page: dict) -> None:
    """Remember where the page just sent asks the client to continue (see ``transcript_read_limit``)."""
    continuations = consumer.__dict__.setdefault("page_continuations", {})
    if page.get("has_more"):
        continuations[(kind, key)] = page["next_after_seq"]
    else:
        continuations.pop((kind, key), None)
