"""The seam through which every chat message and request note is screened (and, from the apps
above chat, what is screened like one: practice replies, bios, rating comments).

``chat`` sits below ``safety`` (safety's staff desk reads and acts on
conversations), yet every message and request note must be screened, and its
flag raised, inside the transaction that stores it: persist first, then deliver. So ``chat`` names
here what it needs from a screener, and ``safety`` registers its own in
``SafetyConfig.ready()``. There is no default and no way to skip it: asking for
the screener before one is registered raises, and the ASGI application and
``manage.py check`` refuse to start without one. A crisis must never go
unscreened.
"""

from __future__ import annotations

from typing import Any, Protocol

from support.hooks import RequiredHook

NO_SCREENER = "No message screener is registered: chat messages would go unscreened (safety's ready() registers it)."


class Screening(Protocol):
    """What ``chat`` reads of a screened text."""

    text: str  # what is stored and delivered (personal information masked)
    masked: bool
    level: int
    notice: str | None
    at_risk: bool
    needs_flag: bool  # risk, or a text nobody could screen


class Verdict(Protocol):
    """What a screened text leads to: ``hold`` (stored for review, never delivered) or ``flag``."""

    hold: bool
    flag: bool
    notice: str


class MessageScreener(Protocol):
    def screen(
        self,
        *,
        text: str,
        sender_role: str,
        recent_texts: tuple[str, ...] = (),
        recent_levels: tuple[int, ...] | None = None,
        quoted_from: tuple[str, ...] = (),
    ) -> Screening:
        """Mask and assess ``text`` with the last few messages as context. Pure: writes nothing."""

    def verdict(self, screening: Screening, *, author_role: str, to_minor: bool = False) -> Verdict:
        """The one rule for what a screened text leads to."""

    def hold(
        self, *, conversation, sender, sender_role: str, client_id: str, screening: Screening, verdict: Verdict
    ) -> tuple[Any, bool]:
        """Store a held message for review and raise its flag, in the caller's transaction: ``(held, created)``."""

    def flag(self, *, message, conversation, screening: Screening, verdict: Verdict) -> Any:
        """Raise the flag of a stored message, in the message's transaction."""

    def note_flag(self, *, request, screening: Screening, now) -> None:
        """Raise the case of a request note that needs a flag, in the request's transaction."""

    def at_risk_recently(self, *, subject_id: int, since) -> bool:
        """Whether an unresolved flag at elevated risk or worse about ``subject_id`` was raised since ``since``."""

    def seeker_gone(self, *, conversation, seeker_id: int, now) -> None:
        """Raise the case of an at-risk seeker who lost every connection while waiting, in the caller's transaction."""

    def rating_comment_flag(self, *, rating, conversation, screening: Screening) -> None:
        """Raise a seeker's at-risk comment on a conversation they rated, in the rating's transaction."""

    async def after_flagged_message(self, consumer, *, conversation_id: int, screening: Screening) -> None:
        """What the sender's socket and the conversation hear after an at-risk message was delivered."""


MESSAGE_SCREENER: RequiredHook[MessageScreener] = RequiredHook(
    what="message screener", missing=NO_SCREENER, check_id="chat.E001", hint="Keep 'safety' in INSTALLED_APPS."
)
#: Install the screener every chat message goes through (safety's ``ready()``).
message_screener_register = MESSAGE_SCREENER.install
#: The installed screener; raises ``ImproperlyConfigured`` rather than let a message through unscreened.
message_screener = MESSAGE_SCREENER.get
