"""Screening one message before it is stored: mask personal information, assess risk.

Pure apart from reading the configured assessor backend, so the chat and
room paths call it inside their transaction without extra queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from safety.classifier import Assessment, AssessmentContext, Category, Level, mask_personal_info
from safety.classifier.backends import get_assessor

MASKED_NOTICE = (
    "We hid contact details or links in your message. Hearth keeps everyone anonymous, "
    "so phone numbers, emails, addresses, handles and links aren't shared."
)


@dataclass(frozen=True)
class Screening:
    text: str  # what is stored and delivered (masked)
    masked: bool
    mask_kinds: frozenset[str]
    assessment: Assessment

    @property
    def level(self) -> int:
        return int(self.assessment.level)

    @property
    def needs_flag(self) -> bool:
        """Elevated or imminent risk, or abuse/exploitation, goes to safety staff."""
        return self.assessment.level >= Level.ELEVATED

    @property
    def notice(self) -> str | None:
        return MASKED_NOTICE if self.masked else None

    @property
    def has_personal_info(self) -> bool:
        return self.masked or Category.PERSONAL_INFO in self.assessment.categories


def screen_message(*, text: str, sender_role: str | None, recent_texts: tuple[str, ...] = (),
                   recent_levels: tuple[int, ...] | None = None) -> Screening:
    """``recent_levels``: the risk level each recent text was stored with (see ``AssessmentContext``)."""
    assessment = get_assessor()(text, AssessmentContext(
        sender_role=sender_role or "seeker", recent_texts=recent_texts, recent_levels=recent_levels))
    masked = mask_personal_info(text)
    return Screening(
        text=masked.text,
        masked=masked.text != text,
        mask_kinds=masked.kinds,
        assessment=assessment,
    )
