"""Writes for identities."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from support.aliases import generate_alias
from support.models import AgeGroup, Role, User
from support.passphrase import passphrase_check

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


def seeker_set_password(*, user: User, password: str) -> None:
    """Let a seeker keep their account: they sign in elsewhere with alias + passphrase.

    Raises ``django.core.exceptions.ValidationError`` (every reason) when the
    passphrase fails ``support.passphrase.passphrase_check``. A kept account
    falls under ``SAFETY_RETENTION_KEPT_ACCOUNT_DAYS`` instead of the anonymous period.
    """
    passphrase_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
