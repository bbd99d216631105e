"""Screening one text a person wrote, before anyone else sees it: mask contact
details, assess risk and conduct, and decide what happens to it.

``screen_message`` is the one entry point for every free text (chat and room
messages, request notes, reports, rating comments, bios, aliases, application
answers). ``verdict_for`` is the one rule for what a screened text leads to,
by who wrote it and to whom. Both are pure apart from reading the configured
assessor backend, so callers run them inside their transaction without extra
queries.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from safety.classifier import Assessment, AssessmentContext, Category, Level, mask_personal_info
from safety.classifier.backends import get_assessor

logger = logging.getLogger("hearth.safety")

MASKED_NOTICE = (
    "We hid contact details or links in your message. Hearth keeps everyone anonymous, "
    "so phone numbers, emails, addresses, handles and links aren't shared."
)
HELD_NOTICE = (
    "Your message was not delivered. It looks like it asks for or shares personal contact, a meeting, photos "
    "or private details, keeps secrets from others, or could hurt the person you're supporting, which Hearth "
    "listeners must never do. The safety team will review it."
)
HELD_UNSCREENED_NOTICE = (
    "Your message was not delivered: our safety check could not read it just now, so the safety team will "
    "review it first. Please try rephrasing."
)
HELD_MEMBER_NOTICE = (
    "Your message was not shown to the room: it looks like it could hurt someone. A moderator will review it."
)
UNSCREENED_REASON = "unscreened: the assessor failed"

# Rule ids (docs/safety-rules.md) that mean urging someone to hurt or kill themselves.
ENCOURAGEMENT_RULE = re.compile(r"(?:^|\.)encourage")


@dataclass(frozen=True)
class Screening:
    text: str  # what is stored and delivered (masked)
    masked: bool
    mask_kinds: frozenset[str]
    assessment: Assessment
    unscreened: bool = False  # the assessor failed: nobody could judge this text

    @property
    def level(self) -> int:
        return int(self.assessment.level)

    @property
    def at_risk(self) -> bool:
        """Elevated or imminent risk of harm: staff are alerted."""
        return self.assessment.at_risk

    @property
    def needs_flag(self) -> bool:
        """Risk, or a text nobody could screen, goes to safety staff."""
        return self.at_risk or self.unscreened

    @property
    def misconduct(self) -> bool:
        """Contact, meeting, photos, location, identity, secrecy or sexual content solicited or offered."""
        return Category.LISTENER_MISCONDUCT in self.assessment.categories

    @property
    def harassment(self) -> bool:
        return Category.HARASSMENT in self.assessment.categories

    @property
    def encourages_self_harm(self) -> bool:
        return any(ENCOURAGEMENT_RULE.search(span.rule) for span in self.assessment.spans)

    @property
    def notice(self) -> str | None:
        return MASKED_NOTICE if self.masked else None

    @property
    def has_personal_info(self) -> bool:
        return self.masked or Category.PERSONAL_INFO in self.assessment.categories


@dataclass(frozen=True)
class Verdict:
    """What a screened text leads to. ``hold``: stored for review, never delivered."""

    hold: bool = False
    flag: bool = False
    flag_level: int = 0
    pause_author: bool = False  # a listener's offers pause until a reviewer decides
    notice: str | None = None  # told to the author when the text is held

    @property
    def delivered(self) -> bool:
        return not self.hold


NOTHING = Verdict()


def verdict_for(screening: Screening, *, author_role: str, to_minor: bool = False, to_group: bool = False) -> Verdict:
    """The one rule for what a screened text leads to, by who wrote it and to whom.

    - A listener's (or moderator's) words to a seeker that solicit contact, a meeting, photos, location,
      identity or secrecy, sexual content, insults or encouragement of self-harm are held and flagged at
      alert level; to a teen, the listener's offers also pause until a reviewer decides. A listener's text
      nobody could screen is held too.
    - A seeker's text nobody could screen is delivered (a person in crisis must reach their listener) and
      flagged. Risk is flagged and alerted; harassment and hate are flagged for review.
    - In a group (``to_group``), encouragement of self-harm aimed at another member is held and alerted.
    """
    risk_level = screening.level if screening.at_risk else 0
    if author_role == "listener":
        if screening.misconduct or screening.harassment or screening.encourages_self_harm or screening.unscreened:
            return Verdict(
                hold=True,
                flag=True,
                flag_level=max(risk_level, int(Level.ELEVATED)),
                pause_author=to_minor,
                notice=HELD_UNSCREENED_NOTICE if screening.unscreened and not screening.misconduct else HELD_NOTICE,
            )
    elif to_group and screening.encourages_self_harm:
        return Verdict(hold=True, flag=True, flag_level=max(risk_level, int(Level.ELEVATED)), notice=HELD_MEMBER_NOTICE)
    if screening.at_risk:
        return Verdict(flag=True, flag_level=risk_level)
    if screening.unscreened:
        return Verdict(flag=True, flag_level=int(Level.ELEVATED))
    if screening.harassment or screening.encourages_self_harm:
        return Verdict(flag=True, flag_level=int(Level.DISTRESS))
    return NOTHING


_WORD = re.compile(r"[a-z0-9']+")
QUOTE_MIN_WORDS = 3


def unquoted(text: str, quoted_from: tuple[str, ...]) -> str:
    """``text`` without the runs of words it repeats from ``quoted_from``.

    A listener who reflects a seeker's words back ("you said you took the pills?") is not at risk
    themselves; what a listener's message adds is judged, not what it quotes. A run counts when at
    least ``QUOTE_MIN_WORDS`` words in a row appear in that order in one of the quoted texts.
    """
    if not quoted_from or not text:
        return text
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text.lower())]
    if len(words) < QUOTE_MIN_WORDS:
        return text
    grams: set[tuple[str, ...]] = set()
    for source in quoted_from:
        source_words = _WORD.findall(source.lower())
        for i in range(len(source_words) - QUOTE_MIN_WORDS + 1):
            grams.add(tuple(source_words[i : i + QUOTE_MIN_WORDS]))
    if not grams:
        return text
    drop = [False] * len(words)
    for i in range(len(words) - QUOTE_MIN_WORDS + 1):
        if tuple(w for w, _, _ in words[i : i + QUOTE_MIN_WORDS]) in grams:
            for j in range(i, i + QUOTE_MIN_WORDS):
                drop[j] = True
    if not any(drop):
        return text
    # Blanked to spaces of the same length, so the assessment's spans still point into ``text``.
    chars = list(text)
    for (_, start, end), dropped in zip(words, drop):
        if dropped:
            chars[start:end] = " " * (end - start)
    return "".join(chars)


def screen_message(
    *,
    text: str,
    sender_role: str | None,
    recent_texts: tuple[str, ...] = (),
    recent_levels: tuple[int, ...] | None = None,
    quoted_from: tuple[str, ...] = (),
) -> Screening:
    """Mask and assess one text. Never raises.

    ``recent_levels``: the risk level each recent text was stored with (see ``AssessmentContext``).
    ``quoted_from``: the other side's recent words; a listener's text is assessed without the runs it
    quotes from them (``unquoted``), and with only the listener's own earlier texts as context: a
    listener's "now" after the seeker's ideation is not the listener's plan. If masking fails the text is held back by the caller's verdict
    (unscreened); if the assessor fails, the text is marked unscreened with level none.
    """
    role = sender_role or "seeker"
    unscreened = False
    try:
        masked = mask_personal_info(text)
        stored, mask_kinds = masked.text, masked.kinds
    except Exception:
        logger.exception("masking failed; the text is treated as unscreened")
        stored, mask_kinds, unscreened = text, frozenset(), True
    judged = unquoted(text, quoted_from) if role == "listener" else text
    try:
        assessment = get_assessor()(
            judged, AssessmentContext(sender_role=role, recent_texts=recent_texts, recent_levels=recent_levels)
        )
    except Exception:
        logger.exception("the safety assessor failed; the text is flagged as unscreened")
        assessment = Assessment(level=Level.NONE, categories=frozenset(), spans=(), reason=UNSCREENED_REASON)
        unscreened = True
    if getattr(assessment, "unscreened", False):
        unscreened = True
    return Screening(
        text=stored, masked=stored != text, mask_kinds=mask_kinds, assessment=assessment, unscreened=unscreened
    )
