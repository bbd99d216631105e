"""Value types of the classifier's public API (no Django, no I/O)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "Level",
    "Category",
    "Span",
    "AssessmentContext",
    "Assessment",
    "MaskResult",
    "RuleFileError",
]


class Level(enum.IntEnum):
    """Risk level of a message, ordered so that comparisons work."""

    NONE = 0
    DISTRESS = 1
    ELEVATED = 2  # thoughts of suicide or self-harm, abuse of a minor, intent to harm others
    IMMINENT = 3  # plan, means, timing, intent, goodbye, attempt in progress

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: "str | int | Level") -> "Level":
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        key = str(value).strip().upper()
        try:
            return cls[key]
        except KeyError:
            raise ValueError(
                f"unknown level {value!r}; expected one of " + ", ".join(level.label for level in cls)
            ) from None


class Category(str, enum.Enum):
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    ABUSE = "abuse"  # abuse or exploitation, including a minor at risk
    PERSONAL_INFO = "personal_info"
    LISTENER_MISCONDUCT = "listener_misconduct"
    HARASSMENT = "harassment"  # harassment and hate

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


@dataclass(frozen=True)
class Span:
    """A flagged stretch of the ORIGINAL text: ``text[start:end]``."""

    start: int
    end: int
    category: Category
    rule: str


@dataclass(frozen=True)
class AssessmentContext:
    sender_role: str = "seeker"  # "seeker" | "listener" | "member"
    recent_texts: tuple[str, ...] = ()  # last few messages, oldest first, both sides
    # "en", "es", ... or "auto". Messages are also screened in the language they are clearly
    # written in; English rules always run.
    language: str = "en"
    # The risk level each of ``recent_texts`` was stored with, same order, when the caller
    # has them. The rule engine then looks for a plan, means or timing named after earlier
    # ideation only when one of them was elevated or worse: ideation is always scored so,
    # and most chats have none, so most messages skip that check and the earlier messages'
    # analyses. None (or a tuple of another length): re-analyse the earlier texts (rooms,
    # evaluation sets).
    recent_levels: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Assessment:
    level: Level
    categories: frozenset[Category]
    spans: tuple[Span, ...]
    reason: str
    third_person: bool = False
    # True when the message is in a language with no rule file of its own: it was screened
    # with the English rules only, so a low level means little. ``language`` is the
    # language the rules screened it in (or the unscreened language's guessed code).
    unscreened: bool = False
    language: str = "en"

    @property
    def at_risk(self) -> bool:
        """Elevated or imminent risk of harm: the level at which screening alerts the safety team."""
        return self.level >= Level.ELEVATED


@dataclass(frozen=True)
class MaskResult:
    text: str
    spans: tuple[Span, ...]  # offsets into the ORIGINAL text
    kinds: frozenset[str]  # "phone", "email", "address", "handle", "link"


class RuleFileError(ValueError):
    """A rule file could not be loaded; the message names the file and entry."""
