"""Running a service again when PostgreSQL aborted it to break a lock conflict.

Two people acting on the same rows at the same moment can take their row
locks in opposite orders: a seeker leaving the line (conversation, then
request, then offers) while a listener accepts the offer (offer, then
request, then conversation). PostgreSQL then aborts one of them after
``deadlock_timeout`` (1 s) with a deadlock error. Nothing was written, so the
service can simply run again: this time it sees the other's outcome and
answers with it ("you're no longer in line", "that offer is gone") instead
of an internal error. A service that can meet such a conflict is decorated
with ``retrying_conflicts``, so every transport (socket frame, REST view,
admin action) gets the same retry; the socket path also runs every service
through ``call_retrying_conflicts``, and a loop already running makes a
nested one call straight through, so attempts never multiply. A conflict that outlasts the attempts, or one in a
service not run through here, is answered as ``busy`` (REST 503 with
``Retry-After``, an ``error`` frame with ``retry_after`` on a socket), never
as an internal error.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger("hearth.db")

#: deadlock_detected, serialization_failure
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


#: What a person is told when a conflict outlasted the attempts (REST 503 / socket ``busy``).
BUSY_MESSAGE = "Someone else changed this at the same moment. Please try again."
#: Seconds to wait before sending it again.
BUSY_RETRY_AFTER = 1

_retry_loop_running: contextvars.ContextVar[bool] = contextvars.ContextVar("hearth_retry_loop", default=False)
F = TypeVar("F", bound=Callable[..., Any])


def is_lock_conflict(exc: BaseException) -> bool:
    """PostgreSQL aborted the transaction to break a deadlock or a serialization failure:
    nothing it wrote is kept, and the same action can simply be tried again."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES


def call_retrying_conflicts(fn: Callable[..., Any], /, *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)``, run again (up to ``ATTEMPTS`` in all) when PostgreSQL aborted
    its transaction for a deadlock or a serialization failure.

    Only where ``fn`` owns its transactions: inside a caller's transaction the
    whole transaction is lost, and the error goes up unchanged. Called while
    another call's loop is running (a decorated service under ``run_service``),
    ``fn`` runs once and the outer loop decides.
    """
    if _retry_loop_running.get():
        return fn(*args, **kwargs)
    token = _retry_loop_running.set(True)
    try:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not is_lock_conflict(exc) or attempt == ATTEMPTS or connection.in_atomic_block:
                    raise
                logger.info(
                    "%s: lock conflict (attempt %d of %d), running it again",
                    getattr(fn, "__qualname__", fn),
                    attempt,
                    ATTEMPTS,
                )
    finally:
        _retry_loop_running.reset(token)


def retrying_conflicts(service: F) -> F:
    """Decorate a service that owns its transactions and can lose a lock conflict:
    every caller, whatever the transport, gets ``call_retrying_conflicts``."""

    @functools.wraps(service)
    def run(*args, **kwargs):
        return call_retrying_conflicts(service, *args, **kwargs)

    return run  # type: ignore[return-value]
