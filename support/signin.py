"""The sign-in throttle: every password check, from the API or /admin/login/, passes here first.

``ThrottledModelBackend`` is the authentication backend (``AUTHENTICATION_BACKENDS``),
so both sign-in paths and anything else calling ``authenticate()`` share it.

**Counted before the password is checked.** Each attempt takes a slot from
two counters in the shared cache with an atomic increment (``cache.add`` then
``incr``; one round trip on Redis): one per client address and one per
account. Only an attempt whose increments stay within the limits
(``HEARTH_LOGIN_RATE_PER_IP``, ``HEARTH_LOGIN_RATE_PER_USERNAME``) reaches the
password hasher, so a burst of concurrent tries checks at most that many
passwords, however it is timed.

**Locks that grow.** The attempt that goes one past a limit locks that
address or account for ``HEARTH_LOGIN_LOCK_SECONDS``, doubled for every
earlier lock within a day (capped at ``HEARTH_LOGIN_LOCK_MAX_SECONDS``); once a
lock ends, a fresh set of attempts is counted. A refused attempt answers
``retry_after`` (the lock's remaining seconds). A successful sign-in clears
the account's counters (not the address's: an attacker could otherwise clear
them with an account of their own) and gives its slot back to the address.

**The real person still gets in.** A successful sign-in marks the browser as a
known device of that account (a signed, HttpOnly cookie holding a random
token and a hash per account, ``HEARTH_LOGIN_KNOWN_DEVICE_DAYS``). From a known
device the account's attempts are counted on a counter of that account *and*
device, so an attacker's failures elsewhere never lock the owner out; the
address counter still applies to everyone.

**Staff are told.** Each lock of an account (one per lock, not per try) sends
``signin_locked``; ``safety`` writes an audit record and e-mails the account's
holder and ``SAFETY_ALERT_EMAILS`` when the account belongs to staff.

Counters live only in the cache; the address is never stored. When the cache
is unreachable sign-in is refused (credentials fail closed), with a short
``retry_after``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import Signal, receiver

from support.client_ip import client_ip_from_meta

logger = logging.getLogger("hearth.signin")

#: Sent once per lock of an account: username (as typed, lower-cased), lock_seconds, level (1 = first lock).
signin_locked = Signal()

TOO_MANY_ATTEMPTS_MESSAGE = "Too many sign-in attempts. Please wait a few minutes before trying again."
KNOWN_DEVICE_COOKIE = "hearth_signin_device"
KNOWN_DEVICE_SALT = "hearth.signin-device"
KNOWN_DEVICE_MAX_ACCOUNTS = 8
LEVEL_MEMORY_SECONDS = 24 * 60 * 60
CACHE_DOWN_RETRY_AFTER = 5
REFUSAL_ATTRIBUTE = "hearth_signin_refused"


@dataclass
class Attempt:
    allowed: bool
    retry_after: int = 0
    #: (kind, identity, level) of each counter this attempt took a slot from.
    counted: list[tuple[str, str, int]] = field(default_factory=list)


def _keys(kind: str, identity: str, level: int) -> tuple[str, str, str]:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    base = f"signin:{kind}:{digest}"
    return f"{base}:level", f"{base}:lock", f"{base}:n{level}"


def _increment(key: str, window: int) -> int:
    count_in_window = getattr(cache, "count_in_window", None)  # support.cache.RedisCache: one round trip
    if count_in_window is not None:
        return count_in_window(key, window)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def lock_seconds(level: int) -> int:
    """How long the ``level``-th lock (0 = the first) lasts."""
    return min(settings.HEARTH_LOGIN_LOCK_SECONDS * 2 ** min(level, 32), settings.HEARTH_LOGIN_LOCK_MAX_SECONDS)


def _take_slot(kind: str, identity: str, limit: int, now: float) -> tuple[bool, int, int]:
    """Count one attempt on (kind, identity): (allowed, retry_after, level counted on)."""
    level_key, lock_key, _ = _keys(kind, identity, 0)
    # The level is read before the lock, and a lock is written before its level:
    # an attempt that sees the new level therefore also sees the lock, so a
    # concurrent burst never starts counting on the next level's fresh counter.
    level = cache.get(level_key) or 0
    until = cache.get(lock_key)
    if until is not None and until > now:
        return False, max(1, math.ceil(until - now)), -1
    count = _increment(_keys(kind, identity, level)[2], settings.HEARTH_LOGIN_WINDOW_SECONDS)
    if count <= limit:
        return True, 0, level
    duration = lock_seconds(level)
    if count == limit + 1:  # exactly one attempt sees the limit pass: it sets the lock
        cache.set(lock_key, now + duration, timeout=duration)
        cache.set(level_key, level + 1, timeout=max(LEVEL_MEMORY_SECONDS, duration * 2))
        logger.info("sign-in locked (%s) for %ss", kind, duration)
        if kind == "account":
            for _, result in signin_locked.send_robust(
                sender=ThrottledModelBackend, username=identity, lock_seconds=duration, level=level + 1
            ):
                if isinstance(result, Exception):  # the lock holds whether or not staff could be told
                    logger.error("sign-in lock notification failed: %s", type(result).__name__)
    return False, duration, -1


def signin_attempt_begin(*, username: str, address: str | None, device_token: str | None) -> Attempt:
    """Count one sign-in attempt before any password is checked; refuse it past a limit.

    ``device_token`` is this browser's known-device token when it is known to
    this account (``known_device_token``): the account is then counted per
    device instead of account-wide.
    """
    now = time.time()
    username = username.lower()
    identities = []
    if address:
        identities.append(("address", address, settings.HEARTH_LOGIN_RATE_PER_IP))
    if device_token:
        identities.append(("device", f"{username}\n{device_token}", settings.HEARTH_LOGIN_RATE_PER_USERNAME))
    else:
        identities.append(("account", username, settings.HEARTH_LOGIN_RATE_PER_USERNAME))
    attempt = Attempt(allowed=True)
    try:
        for kind, identity, limit in identities:
            allowed, retry_after, level = _take_slot(kind, identity, limit, now)
            if not allowed:
                return Attempt(allowed=False, retry_after=retry_after, counted=attempt.counted)
            attempt.counted.append((kind, identity, level))
    except Exception:
        logger.warning("sign-in throttle cache unavailable; refusing sign-in")
        return Attempt(allowed=False, retry_after=CACHE_DOWN_RETRY_AFTER)
    return attempt


def signin_attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: clear the account's count, give the address its slot back."""
    try:
        for kind, identity, level in attempt.counted:
            level_key, _, counter_key = _keys(kind, identity, level)
            if kind == "address":
                try:
                    cache.decr(counter_key)
                except ValueError:  # the window ended meanwhile
                    pass
            else:
                cache.delete_many([counter_key, level_key, _keys(kind, identity, 0)[2]])
    except Exception:
        logger.warning("sign-in throttle cache unavailable while clearing a count")


# --- known devices ------------------------------------------------------------


def _account_mark(username: str, token: str) -> str:
    return hashlib.sha256(f"{token}\n{username.lower()}".encode()).hexdigest()[:20]


def _known_device(request) -> tuple[str, list[str]] | None:
    """(token, account marks) from this browser's signed cookie, or None."""
    if request is None:
        return None
    try:
        value = signing.loads(
            request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""),
            salt=KNOWN_DEVICE_SALT,
            max_age=settings.HEARTH_LOGIN_KNOWN_DEVICE_DAYS * 86400,
        )
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("t"), str) or not isinstance(value.get("a"), list):
        return None
    return value["t"], [mark for mark in value["a"] if isinstance(mark, str)][:KNOWN_DEVICE_MAX_ACCOUNTS]


def known_device_token(request, username: str) -> str | None:
    """This browser's token when it signed in to ``username`` before, else None."""
    known = _known_device(request)
    if known is None:
        return None
    token, marks = known
    return token if _account_mark(username, token) in marks else None


@receiver(user_logged_in)
def _remember_device(sender, request, user, **kwargs) -> None:
    """Mark the browser as a known device of this account; ``KnownDeviceMiddleware`` writes the cookie."""
    if request is None:
        return
    request = getattr(request, "_request", request)  # DRF's Request wraps the one the middleware sees
    token, marks = _known_device(request) or (secrets.token_urlsafe(24), [])
    mark = _account_mark(user.get_username(), token)
    marks = [mark] + [m for m in marks if m != mark]
    request.hearth_known_device = signing.dumps(
        {"t": token, "a": marks[:KNOWN_DEVICE_MAX_ACCOUNTS]}, salt=KNOWN_DEVICE_SALT
    )


class KnownDeviceMiddleware:
    """Sets the known-device cookie on the response of a successful sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "hearth_known_device", None)
        if value is not None:
            response.set_cookie(
                KNOWN_DEVICE_COOKIE,
                value,
                max_age=settings.HEARTH_LOGIN_KNOWN_DEVICE_DAYS * 86400,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


# --- the backend ----------------------------------------------------------------


class ThrottledModelBackend(ModelBackend):
    """``ModelBackend`` with the throttle in front of the password check.

    A refused or failed attempt raises ``PermissionDenied``, which makes
    ``authenticate()`` stop (no later backend checks the password again) and
    return None. A refusal is recorded on the request
    (``signin_refusal(request)``) so the caller can answer ``retry_after``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        address = client_ip_from_meta(request.META) if request is not None else None
        attempt = signin_attempt_begin(
            username=str(username), address=address, device_token=known_device_token(request, str(username))
        )
        if not attempt.allowed:
            if request is not None:
                setattr(request, REFUSAL_ATTRIBUTE, attempt)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied
        signin_attempt_succeeded(attempt)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model  # the user model is only ready after app loading

        return get_user_model().USERNAME_FIELD


def signin_refusal(request) -> Attempt | None:
    """The throttle's refusal of this request's last sign-in attempt, if it refused one."""
    return getattr(getattr(request, "_request", request), REFUSAL_ATTRIBUTE, None)
