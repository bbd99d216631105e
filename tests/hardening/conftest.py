"""Shared pieces for the hardening tests (issue 9).

``size(quick, full)`` picks the CI size, or the full size when
``HEARTH_FULL_RUNS=1`` (``make test-reliability``). Figures reached are
written in docs/reliability.md.
"""

from __future__ import annotations

import os

FULL = os.environ.get("HEARTH_FULL_RUNS") == "1"


def size(quick, full):
    return full if FULL else quick


def dead_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clear_of_window_edge(window: int = 3600, margin: float = 90) -> None:
    """Wait past the next fixed rate-limit window boundary if it is under ``margin`` seconds away.

    ``support.ratelimit.hit`` counts in windows aligned to the clock (hourly for
    new sessions and requests): a test that counts to a limit across the hour
    would see a fresh window halfway through.
    """
    import time

    remaining = window - time.time() % window
    if remaining < margin:
        time.sleep(remaining + 1)
