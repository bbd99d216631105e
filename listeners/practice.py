"""The practice chat an applicant has with a scripted seeker, for the staff member who decides.

The script is fixed and short: a few seeker turns that ask for listening, a
risk to recognise and a boundary to hold. The applicant writes one reply to
each, with the application (``listeners.services.listener_apply``). Each reply
goes through the same screening as a listener's message to a seeker (the
screener safety registers with ``chat.screener``): it is stored masked,
with whether a real message like it would have been held. A reply the
screening would hold is kept, not refused: how an applicant answers a seeker
asking for their Instagram is exactly what the reviewer needs to see, and a
refusal would teach the applicant to get past the screen instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.screener import message_screener
from support.errors import DomainError
from support.text_input import INVALID_TEXT, INVALID_TEXT_MESSAGE, is_valid_text

#: The scripted seeker's turns, in order. Changing them changes what new applicants see;
#: stored replies keep the turn they answered.
PRACTICE_SCRIPT: tuple[str, ...] = (
    "hi. i'm not really sure how this works, i just needed to talk to someone",
    "my exams start next week and i can't sleep. everyone else seems to be coping fine",
    "honestly sometimes i think everyone would be better off if i just wasn't here",
    "thank you for listening. can i add you on instagram so we can keep talking?",
)
MAX_REPLY_CHARS = 1000

PRACTICE_INCOMPLETE = "Write a reply to each message in the practice chat."
PRACTICE_REPLY_TOO_LONG = f"Keep each practice reply to {MAX_REPLY_CHARS} characters."


@dataclass(frozen=True)
class ScreenedReply:
    turn: int
    seeker_text: str
    text: str
    masked: bool
    would_hold: bool
    risk_level: int


def practice_script_payload() -> dict:
    """What the application form shows: the seeker's turns and the reply limit."""
    return {
        "turns": [{"turn": n, "seeker": text} for n, text in enumerate(PRACTICE_SCRIPT, start=1)],
        "max_reply_chars": MAX_REPLY_CHARS,
    }


def practice_replies_screen(replies) -> list[ScreenedReply]:
    """Validate and screen one reply per script turn; raises ``DomainError`` (400) otherwise.

    Pure apart from the screening (no database): the caller stores the result.
    """
    if not isinstance(replies, list) or len(replies) != len(PRACTICE_SCRIPT):
        raise DomainError(
            "practice_incomplete", PRACTICE_INCOMPLETE, field="practice_replies", turns=len(PRACTICE_SCRIPT)
        )
    screened = []
    for turn, (seeker_text, reply) in enumerate(zip(PRACTICE_SCRIPT, replies), start=1):
        if not isinstance(reply, str) or not reply.strip():
            raise DomainError(
                "practice_incomplete", PRACTICE_INCOMPLETE, field="practice_replies", turns=len(PRACTICE_SCRIPT)
            )
        reply = reply.strip()
        if len(reply) > MAX_REPLY_CHARS:
            raise DomainError(
                "practice_reply_too_long", PRACTICE_REPLY_TOO_LONG, field="practice_replies", limit=MAX_REPLY_CHARS
            )
        if not is_valid_text(reply):
            raise DomainError(INVALID_TEXT, INVALID_TEXT_MESSAGE, field="practice_replies")
        screener = message_screener()
        screening = screener.screen(text=reply, sender_role="listener", quoted_from=(seeker_text,))
        verdict = screener.verdict(screening, author_role="listener")
        screened.append(
            ScreenedReply(
                turn=turn,
                seeker_text=seeker_text,
                text=screening.text,
                masked=screening.masked,
                would_hold=verdict.hold,
                risk_level=screening.level,
            )
        )
    return screened
