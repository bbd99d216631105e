"""Compiling the safety rules when a server process starts, without holding up the start.

The rules take about a second to compile (large phrase alternations). Compiled
inline at import, every Daphne start and restart would wait for them before
accepting a connection, and so would seekers reconnecting after a deploy.
They compile in a thread of their own while the server comes up; a message
screened before they are ready waits for that compile
(``safety.classifier.rules`` holds a lock), so none is screened without them.

A rule file that does not compile still stops the process: the error is
logged as critical and the process exits with status 3, for its supervisor
to report.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings

from safety.classifier import get_rules
from safety.classifier.backends import get_assessor
from safety.classifier.rules import lazy_patterns

logger = logging.getLogger("hearth.safety")

RULES_BROKEN_EXIT_STATUS = 3


def _stop_process() -> None:
    logging.shutdown()
    os._exit(RULES_BROKEN_EXIT_STATUS)


def _prepare_assessor() -> None:
    """Let the configured assessor load what it needs (the combined backend: its model) now
    rather than on the first message. A failure is logged, never fatal: the backend
    falls back to the rules and says so."""
    try:
        warm = getattr(get_assessor(), "warm", None)
        if warm is not None:
            warm()
    except Exception:
        logger.warning("the safety assessor could not prepare at start-up", exc_info=True)


# The start-up thread sleeps this many times as long as each pattern took to compile, so
# it holds the GIL at most a third of the time: compiling all of them takes seconds of CPU,
# and while it held the GIL throughout, a burst of sockets opening at start-up (clients
# reconnecting after a deploy) waited so long that Daphne dropped their handshakes
# (its websocket connect timeout, 5 s).
COMPILE_PACE = 2.0


def _compile_every_pattern(
    language: str, *, pace: float = COMPILE_PACE, clock: Callable[[], float] = time.perf_counter, sleep=time.sleep
) -> None:
    """Compile the rules' lazily compiled patterns now, in this thread, so no seeker's message
    pays for one (a first compile takes up to a few tenths of a second). A message screened
    meanwhile compiles what it needs itself; compiling twice is harmless."""
    if not settings.SAFETY_PRECOMPILE_PATTERNS:
        return
    try:
        for pattern in lazy_patterns(get_rules(language)):
            started = clock()
            pattern.compiled()
            if pace:
                sleep((clock() - started) * pace)
    except Exception:
        logger.warning("compiling the safety rules' patterns ahead of use failed", exc_info=True)


def compile_rules_at_start(language: str = "en", *, on_failure: Callable[[], None] = _stop_process) -> threading.Thread:
    """Compile ``language``'s rules in a daemon thread; ``on_failure`` runs if they don't compile."""

    def compile_rules() -> None:
        try:
            get_rules(language)
        except Exception:
            logger.critical(
                "the safety rules (%s) do not compile; this process cannot screen messages and stops",
                language,
                exc_info=True,
            )
            on_failure()
            return
        # the model first: it loads in under a second, while compiling every pattern takes
        # many seconds at its gentle pace, and a message arriving meanwhile needs both
        _prepare_assessor()
        _compile_every_pattern(language)
        # Long-lived like the rest of start-up: keep them out of the cyclic collector's full passes.
        gc.freeze()

    thread = threading.Thread(target=compile_rules, name="hearth-safety-rules", daemon=True)
    thread.start()
    return thread
