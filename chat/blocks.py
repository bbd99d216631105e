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

from support.hooks import RequiredHook

NO_READER = (
    "No block reader is registered: matching could pair people who blocked each other (safety's ready() registers it)."
)


class BlockReader(Protocol):
    def blocked_pairs(self, seeker_ids: Iterable[int]) -> set[tuple[int, int]]:
        """(seeker, other) pairs, both ways round, where either blocked the other."""

    def blocked_for_seeker(self, seeker_id: int) -> set[int]:
        """The users blocked by or blocking ``seeker_id`` (the request path: one seeker)."""


BLOCK_READER: RequiredHook[BlockReader] = RequiredHook(
    what="block reader", missing=NO_READER, check_id="chat.E002", hint="Keep 'safety' in INSTALLED_APPS."
)
#: Install the reader matching consults (safety's ``ready()``).
block_reader_register = BLOCK_READER.install
#: The installed reader; raises ``ImproperlyConfigured`` rather than match without blocks.
block_reader = BLOCK_READER.get
