"""Writes for identities."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from support.aliases import generate_alias
from support.errors import DomainError, RateLimited
from support.models import AgeGroup, Role, User
from support.passphrase import passphrase_check
from support.signin import TOO_MANY_ATTEMPTS_MESSAGE, signin_refusal

MINIMUM_AGE = 13
ADULT_AGE = 18
_ALIAS_ATTEMPTS = 12


def age_group_for(age: int) -> str:
    return AgeGroup.ADULT if age >= ADULT_AGE else AgeGroup.TEEN


def seeker_create_anonymous(*, age: int) -> User:
    """Create an anonymous seeker with a fresh unique alias.

    Expects ``age >= MINIMUM_AGE`` (the caller enforces the age gate). Stores
    only the age group, never the age, an email or an address. Alias
    collisions, including between concurrent requests, are retried inside a
    savepoint; the unique constraint on ``alias`` is the arbiter.
    """
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
