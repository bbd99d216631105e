"""Writes for identities."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from support import ratelimit
from support.aliases import generate_alias
from support.devices import device_hash
from support.errors import DomainError, RateLimited
from support.models import AgeGroup, Role, User
from support.passphrase import passphrase_check
from support.signin import TOO_MANY_ATTEMPTS_MESSAGE, signin_refusal

MINIMUM_AGE = 13
ADULT_AGE = 18
_ALIAS_ATTEMPTS = 12
NEW_SESSIONS_TOO_FAST = "Too many new sessions from this network. Please wait a little."
NEW_SESSIONS_TOO_FAST_HERE = "Too many new sessions from this browser. Please wait a little."


def age_group_for(age: int) -> str:
    return AgeGroup.ADULT if age >= ADULT_AGE else AgeGroup.TEEN


def seeker_create_anonymous(*, age: int, address: str = "", device_id: str | None = None) -> User:
    """Create an anonymous seeker with a fresh unique alias.

    Expects ``age >= MINIMUM_AGE`` (the caller enforces the age gate). New
    sessions are counted per browser (``device_id``, its device cookie, when it
    has one: ``HEARTH_ANON_SESSIONS_PER_DEVICE``) and per network ``address``
    (``HEARTH_ANON_SESSIONS_PER_IP``) an hour; past either, ``RateLimited``
    and nothing is created. Stores only the age group, never the age, an
    email or an address. Alias collisions, including between concurrent
    requests, are retried inside a savepoint; the unique constraint on
    ``alias`` is the arbiter.
    """
    _anonymous_session_rate_check(address=address, device_id=device_id)
    group = age_group_for(age)
    for attempt in range(_ALIAS_ATTEMPTS):
        alias = generate_alias()
        if attempt >= 3:  # a crowded namespace: widen it rather than loop
            alias = f"{alias}{attempt}"
        try:
            with transaction.atomic():
                user = User(username=alias.lower(), alias=alias, role=Role.SEEKER, age_group=group)
                user.set_unusable_password()
                user.save()
                return user
        except IntegrityError:
            continue
    raise RuntimeError("Could not find a free alias; the alias word lists need to grow.")


def _anonymous_session_rate_check(*, address: str, device_id: str | None) -> None:
    """Atomic counters in the shared cache (``support.ratelimit.hit``): a concurrent burst gets
    at most the limit through. The browser is counted first, so its own message wins."""
    limits = (
        (
            "anon-session-device",
            device_hash(device_id) if device_id else "",
            settings.HEARTH_ANON_SESSIONS_PER_DEVICE,
            NEW_SESSIONS_TOO_FAST_HERE,
        ),
        ("anon-session", address, settings.HEARTH_ANON_SESSIONS_PER_IP, NEW_SESSIONS_TOO_FAST),
    )
    for scope, identity, limit, message in limits:
        if not identity:
            continue
        decision = ratelimit.hit(scope, identity, limit=limit, window=3600)
        if not decision.allowed:
            raise RateLimited(decision.retry_after, message)


CURRENT_PASSPHRASE_NEEDED = "Please enter your current passphrase to change it."
CURRENT_PASSPHRASE_WRONG = "That isn't your current passphrase."


def seeker_set_password(*, user: User, password: str, current_password: str | None = None, request=None) -> None:
    """Let a seeker keep their account: they sign in elsewhere with alias + passphrase.

    Changing a passphrase already set needs the current one, checked through
    the sign-in throttle (``authenticate`` with ``request``, counted like any
    sign-in), so a browser left signed in cannot be used to take the account
    over. Raises ``DomainError`` (``current_passphrase_required``,
    ``wrong_passphrase``), ``RateLimited`` when the throttle refuses, and
    ``django.core.exceptions.ValidationError`` (every reason) when the new
    passphrase fails ``support.passphrase.passphrase_check``. A kept account
    falls under ``SAFETY_RETENTION_KEPT_ACCOUNT_DAYS`` instead of the anonymous period.
    """
    if user.has_usable_password():
        if not current_password:
            raise DomainError("current_passphrase_required", CURRENT_PASSPHRASE_NEEDED)
        if authenticate(request, username=user.get_username(), password=current_password) is None:
            refusal = signin_refusal(request)
            if refusal is not None:
                raise RateLimited(refusal.retry_after, TOO_MANY_ATTEMPTS_MESSAGE)
            raise DomainError("wrong_passphrase", CURRENT_PASSPHRASE_WRONG)
    passphrase_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
