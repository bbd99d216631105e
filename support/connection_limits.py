"""Limits on websocket handshakes and concurrent sockets, per client IP and per user.

A flood of handshakes (or of open sockets) from one address or one account
must not crowd out everyone else. Every socket passes ``connection_admit``
before its consumer runs; a refusal is answered with an ``error`` frame
(``too_many_connections``, ``retry_after``) and close code 4429.

* Handshakes: fixed windows in the shared cache (``support.ratelimit``), per IP
  and per signed-in user.
* Concurrent sockets: counters in the shared cache, incremented on admission
  and decremented on disconnect. A process killed with sockets open cannot
  decrement; its counts expire ``HEARTH_WS_CONCURRENCY_TTL_SECONDS`` after the
  last admission for that key, so a crash never locks anybody out for long.

Everything fails open: with the cache (Redis) unreachable, sockets are
admitted, because during an outage people must still reach help. The IP is
only ever used as a cache key, never stored with a user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from support import ratelimit
from support.client_ip import client_ip_from_scope

logger = logging.getLogger("hearth.ws")

TOO_MANY_CONNECTIONS_MESSAGE = "Too many connections. Please wait a moment before reconnecting."
HANDSHAKE_WINDOW = 60


@dataclass
class Admission:
    allowed: bool
    retry_after: int = 0
    reason: str = ""
    # Concurrency counters this socket holds; released on disconnect.
    held: list[str] = field(default_factory=list)


def _concurrency_key(kind: str, identity: str) -> str:
    return f"wsconn:{kind}:{identity}"


def _acquire(key: str, limit: int) -> bool:
    """Take one slot of ``key``; False (and nothing taken) when ``limit`` are held."""
    ttl = settings.HEARTH_WS_CONCURRENCY_TTL_SECONDS
    if cache.add(key, 1, timeout=ttl):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=ttl)
        return True
    cache.touch(key, ttl)
    if count > limit:
        _release(key)
        return False
    return True


def _release(key: str) -> None:
    try:
        count = cache.decr(key)
    except ValueError:  # expired (a crash healed) or never counted (admitted during an outage)
        return
    if count < 0:
        cache.set(key, 0, timeout=settings.HEARTH_WS_CONCURRENCY_TTL_SECONDS)


def connection_admit(*, scope: dict) -> Admission:
    """Decide whether this websocket may open; on success the caller must ``connection_release``.

    Expects the scope after authentication (``scope["user"]`` resolved). Sync:
    call through ``sync_to_async``.
    """
    ip = client_ip_from_scope(scope)
    user = scope.get("user")
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    try:
        decision = ratelimit.hit(
            "ws-handshake-ip", ip, limit=settings.HEARTH_WS_HANDSHAKES_PER_IP, window=HANDSHAKE_WINDOW
        )
        if not decision.allowed:
            return Admission(False, decision.retry_after, "handshakes_per_ip")
        if user_id is not None:
            decision = ratelimit.hit(
                "ws-handshake-user", str(user_id), limit=settings.HEARTH_WS_HANDSHAKES_PER_USER, window=HANDSHAKE_WINDOW
            )
            if not decision.allowed:
                return Admission(False, decision.retry_after, "handshakes_per_user")
        held: list[str] = []
        ip_key = _concurrency_key("ip", ip)
        if not _acquire(ip_key, settings.HEARTH_WS_SOCKETS_PER_IP):
            return Admission(False, 5, "sockets_per_ip")
        held.append(ip_key)
        if user_id is not None:
            user_key = _concurrency_key("user", str(user_id))
            if not _acquire(user_key, settings.HEARTH_WS_SOCKETS_PER_USER):
                _release(ip_key)
                return Admission(False, 5, "sockets_per_user")
            held.append(user_key)
        return Admission(True, held=held)
    except Exception:
        logger.warning("connection limits unavailable (cache unreachable); admitting the socket")
        return Admission(True)


def connection_release(admission: Admission) -> None:
    """Give back the concurrency slots an admitted socket held. Never raises."""
    for key in admission.held:
        try:
            _release(key)
        except Exception:
            logger.warning("could not release a connection slot (cache unreachable)")
    admission.held = []
