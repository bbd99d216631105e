"""The seam through which a sender's mute in force reaches the per-message access check.

A mute is a safety sanction, and safety sits above chat, yet every chat
message must be refused while its sender is muted, read in the same
statement as the sender's access check so a message costs one read before
its writes. So ``chat`` names here what it needs, an ORM expression for when
the mute in force ends, and ``safety`` installs the one rule for it
(``safety.selectors.mute_in_force_ends``) in ``SafetyConfig.ready()``. Like the
screener it is required: without it the sender check raises, ``manage.py
check`` fails (``chat.E004``) and the ASGI application refuses to start,
rather than let a muted sender through.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Expression

from support.hooks import RequiredHook

NO_MUTE_RULE = "No mute rule is registered: muted senders could send chat messages (safety's ready() registers it)."


class MuteInForceEnds(Protocol):
    def __call__(self, *, user_id, now) -> Expression:
        """A subquery: when ``user_id``'s mute in force at ``now`` ends, or NULL when none is.

        ``user_id`` and ``now`` may be expressions or plain values; the result fits a
        ``CompiledQuery`` (its SQL does not depend on them)."""


MUTE_IN_FORCE_ENDS: RequiredHook[MuteInForceEnds] = RequiredHook(
    what="mute rule", missing=NO_MUTE_RULE, check_id="chat.E004", hint="Keep 'safety' in INSTALLED_APPS."
)
#: Install the mute rule the sender check reads (safety's ``ready()``).
mute_rule_register = MUTE_IN_FORCE_ENDS.install
#: The installed rule; raises ``ImproperlyConfigured`` rather than let a muted sender through.
mute_in_force_ends = MUTE_IN_FORCE_ENDS.get
