"""The seam through which matching learns who must never be paired: blocks, which safety keeps.

A seeker and a listener where either blocked the other are never matched
again, and a block follows the seeker's browser to their other accounts.
Blocks are safety's records, and safety sits above chat, so ``chat`` names
here what matching needs and ``safety`` registers its reader in
``SafetyConfig.ready()``. There is no default: without a reader, matching
raises, ``manage.py check`` fails (``chat.E002``) and the ASGI application
refuses to start, rather than pair a seeker with someone they blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

NO_READER = (
    "No block reader is registered: matching could pair people who blocked each other (safety's ready() registers it)."
)


class BlockReader(Protocol):
    def blocked_pairs(self, seeker_ids: Iterable[int]) -> set[tuple[int, int]]:
        """(seeker, other) pairs, both ways round, where either blocked the other."""

    def blocked_for_seeker(self, seeker_id: int) -> set[int]:
        """The users blocked by or blocking ``seeker_id`` (the request path: one seeker)."""


_reader: BlockReader | None = None


def block_reader_register(reader: BlockReader) -> None:
    """Install the reader matching consults; called once, from the registering app's ``ready()``."""
    global _reader
    if _reader is not None and _reader is not reader:
        raise ImproperlyConfigured("A second block reader was registered; matching has exactly one.")
    _reader = reader


def block_reader() -> BlockReader:
    """The registered reader; raises ``ImproperlyConfigured`` rather than match without blocks."""
    if _reader is None:
        raise ImproperlyConfigured(NO_READER)
    return _reader


@register()
def block_reader_registered(app_configs, **kwargs):
    if _reader is None:
        return [Error(NO_READER, hint="Keep 'safety' in INSTALLED_APPS.", id="chat.E002")]
    return []
