"""Passphrases for seekers who keep their account: a generated suggestion, and the strength rule.

A seeker keeps an anonymous account by choosing a passphrase (no e-mail, no
phone): they sign in elsewhere with their alias and it, through the same
throttled path as every password (``support.signin``). The suggestion is
``HEARTH_PASSPHRASE_WORDS`` words drawn with ``secrets`` from a list of common,
gentle English words (``support/data/passphrase_words.txt``); with 616 words
five of them carry about 46 bits, far beyond what the throttle lets anyone
try online.

The strength rule (``passphrase_check``) is the only definition: at least
``HEARTH_PASSPHRASE_MIN_LENGTH`` characters, at least
``PASSPHRASE_MIN_DISTINCT`` different characters, then Django's validators
(not a common password, not only digits, not like the alias).
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

WORD_LIST = Path(__file__).resolve().parent / "data" / "passphrase_words.txt"
PASSPHRASE_MIN_DISTINCT = 6
SEPARATOR = "-"

TOO_SHORT = "Use at least {min_length} characters: a few words are easier to remember than symbols."
TOO_REPETITIVE = "Use more different letters: this one repeats itself too much to be hard to guess."


@cache
def passphrase_words() -> tuple[str, ...]:
    """The word list, read once per process."""
    words = WORD_LIST.read_text(encoding="utf-8").split()
    return tuple(dict.fromkeys(word.strip().lower() for word in words if word.strip()))


def passphrase_generate(*, words: int | None = None) -> str:
    """``words`` random words from the list, joined by hyphens (cryptographic random source)."""
    count = words or settings.HEARTH_PASSPHRASE_WORDS
    pool = passphrase_words()
    return SEPARATOR.join(secrets.choice(pool) for _ in range(count))


def passphrase_rules() -> dict:
    """What the page tells a seeker before they type (``json_script``); checked by ``passphrase_check``."""
    return {"min_length": settings.HEARTH_PASSPHRASE_MIN_LENGTH, "words": settings.HEARTH_PASSPHRASE_WORDS}


def passphrase_check(passphrase: str, user=None) -> None:
    """Raise ``ValidationError`` (every reason, in order) when ``passphrase`` is too weak to keep an account."""
    problems: list[str] = []
    min_length = settings.HEARTH_PASSPHRASE_MIN_LENGTH
    if len(passphrase) < min_length:
        problems.append(TOO_SHORT.format(min_length=min_length))
    elif len(set(passphrase.lower())) < PASSPHRASE_MIN_DISTINCT:
        problems.append(TOO_REPETITIVE)
    try:
        validate_password(passphrase, user)
    except ValidationError as error:
        problems.extend(message for message in error.messages if message not in problems)
    if problems:
        raise ValidationError(problems)
