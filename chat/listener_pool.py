"""The seam through which chat reaches the listeners on duty: their shifts, seats and standing.

Matching and offers pick listeners by their shift and profile, count a seat
taken on the shift in the transaction that opens the chat, and keep a
suspended listener off the chat socket and out of every transcript. Profiles
and shifts are the listener program's records, and ``listeners`` sits above
chat, so ``chat`` names here what it needs and ``listeners`` installs its
implementation in ``ListenersConfig.ready()``. There is no default: without
one, matching and the chat socket raise, ``manage.py check`` fails
(``chat.E003``) and the ASGI application refuses to start, rather than
match, seat or let in listeners nobody can vouch for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from support.hooks import RequiredHook

if TYPE_CHECKING:
    from django.db.models import Q

    from chat.matching import Candidate
    from support.models import User

NO_POOL = (
    "No listener pool is installed: chat could neither match listeners nor keep a suspended one out"
    " (listeners' ready() installs it)."
)


class ListenerPool(Protocol):
    def candidates(self, *, now=None) -> list[Candidate]:
        """Every listener on an open shift who is connected, with their load now (the dispatch round's read)."""

    def is_suspended(self, user_id: int) -> bool:
        """Whether ``user_id``'s listener profile is suspended, in one query (the chat socket's connect)."""

    def suspended_q(self, via: str = "") -> Q:
        """Suspension as a filter on profile rows, or through ``via`` from a model that leads to one."""

    def active_listener(self, *, alias: str, direct_requests: bool) -> User | None:
        """The user behind an active listener's ``alias``, in one query; with ``direct_requests`` only
        one who accepts direct requests. None when there is no such listener."""

    def seat_take(self, *, listener_id: int) -> bool:
        """Count one more chat taken on the listener's open shift in one UPDATE, which locks its row;
        False when they have no open shift. Inside the caller's transaction."""

    def idle_mark(self, *, listener_id: int, now) -> None:
        """Mark the listener's open shift idle since ``now`` (no active chat left), inside the caller's transaction."""


LISTENER_POOL: RequiredHook[ListenerPool] = RequiredHook(
    what="listener pool", missing=NO_POOL, check_id="chat.E003", hint="Keep 'listeners' in INSTALLED_APPS."
)
#: Install the pool matching and the chat socket read (listeners' ``ready()``).
listener_pool_register = LISTENER_POOL.install
#: The installed pool; raises ``ImproperlyConfigured`` rather than match or seat without it.
listener_pool = LISTENER_POOL.get
