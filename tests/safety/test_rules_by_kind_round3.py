"""Harmless reasons and composed disclosures added for the third round of blind writers.

Each kind is a mechanism in ``rules/en.toml`` (a cue or a composed phrase), tested with
sentences written for this file, not copied from the corpus, the blind rows or the
training supplements: the harmless ones must stay below elevated, and the disclosures
beside them, in the same words, must still escalate. The rules alone are tested, since
these are the rules' own mechanisms.
"""

from __future__ import annotations

import pytest

from safety.classifier import AssessmentContext, Level, assess

HARMLESS = {
    "resolved_past": [
        "i used to think about killing myself in college, but not anymore",
        "was suicidal back in yr 10, doing much better now",
        "i had suicidal thoughts after the redundancy but thats passed",
        "used 2 self harm, urges are gone these days",
    ],
    "hyperbole": [
        "i will literally die of boredom in this meeting",
        "gonna die if i dont get a coffee before this lecture",
        "my bank account just committed suicide after christmas",
        "if this toddler skips his nap again im going to lose my mind",
    ],
    "petty_cause": [
        "im going to kill my flatmate, she spilt my coffee all over my notes",
        "i will strangle whoever left the empty milk carton in the fridge",
        "my dad is going to murder me for eating the last of the cake",
    ],
    "abuse_over": [
        "my ex used to beat me. i got out in 2015, there's a restraining order and no contact",
        "my first husband hit me for years. he died in 2010 and i'm free now",
        "my ex strangled me. i left him in 2018, protective order, but i've started dating again and i'm nervous",
    ],
    "preparation_benign": [
        "gave away my drum kit since i switched to guitar",
        "wrote a will and picked guardians like every parent should",
        "bought a rope and some straps to tie down the kayak on the roof",
    ],
    "farewell_everyday": [
        "last message i'll send from this number, new sim tomorrow",
        "logging off this forum for good, found a better one for knitting",
    ],
    "harmless_place": [
        "standing at the end of the diving board, so scared lol",
        "stuck on the train, the tracks are flooded near york",
    ],
    "idiom": [
        "my sister is ending things with her boyfriend tonight",
        "learning to top rope at the climbing wall",
        "the call centre cut me off again",
    ],
}

GENUINE = [
    # past, then a current turn: "anymore" still counts as current when it is not closing a past
    ("i used to be happy. i cant do this anymore, i want to die", Level.ELEVATED),
    ("i'd been clean since june. not anymore, i cut last night", Level.ELEVATED),
    # the same hyperbole words without the trivial cause
    ("i want to die, nothing is ever going to change", Level.ELEVATED),
    # a farewell is not cancelled by hyperbole, whose words a disclosure can share
    ("tell my mum i love her. i'm not joking", Level.IMMINENT),
    ("tell my kids i love them, if i have to go back to that house again", Level.IMMINENT),
    # abuse with the danger going on, beside the over cues
    ("he hits me every night and i still live with him", Level.ELEVATED),
    ("he strangled me, i left him last year, we're dating again", Level.ELEVATED),
    ("my ex strangled me. i left him in 2018 but he found me and it's happening again", Level.ELEVATED),
    # preparation without a harmless reason
    ("gave away my guitar and wrote letters to my family. i wont need any of it", Level.IMMINENT),
]

PASSIVE = [
    "honestly everybody would be better off if i just wasnt around",
    "my family would be fine w/o me",
    "if i died in my sleep tonight i dont think id mind",
    "wouldnt be upset if i didnt make it to my birthday",
    "part of me hopes a lorry just takes me out on the way home",
    "i keep praying god takes me in my sleep",
]

PASSIVE_LOOKALIKES = [
    "everyone would be better off if i just brought snacks lol",
    "i hope the bus comes soon, freezing out here",
    "if i died my hair blue would my boss mind",
]

GROOMING = [
    "hes 26 and im 13, he wants to meet at the station",
    "my boyfriend is 24, im 15 and he says not to tell my parents",
]

GROOMING_LOOKALIKES = [
    "my brother is 19 and im 14, he always wins at fifa",
    "hes 30 and im 35, we met at work",
]


@pytest.mark.parametrize("kind,text", [(k, t) for k, ts in HARMLESS.items() for t in ts], ids=lambda v: str(v)[:40])
def test_a_harmless_reason_of_each_kind_keeps_the_message_below_elevated(kind, text):
    assert assess(text).level < Level.ELEVATED, (kind, text, assess(text).reason)


@pytest.mark.parametrize("text,level", GENUINE, ids=lambda v: str(v)[:40])
def test_the_same_words_without_the_harmless_reason_still_escalate(text, level):
    assert assess(text).level >= level, assess(text).reason


@pytest.mark.parametrize("text", PASSIVE, ids=lambda v: v[:40])
def test_passive_ideation_composed_from_its_parts_is_elevated(text):
    assert assess(text).level >= Level.ELEVATED, assess(text).reason


@pytest.mark.parametrize("text", PASSIVE_LOOKALIKES, ids=lambda v: v[:40])
def test_passive_ideation_look_alikes_stay_low(text):
    assert assess(text).level < Level.ELEVATED, assess(text).reason


@pytest.mark.parametrize("text", GROOMING, ids=lambda v: v[:40])
def test_an_adult_age_beside_a_minor_with_contact_sought_is_abuse(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED, a.reason
    assert "abuse.grooming_age_gap" in a.reason


@pytest.mark.parametrize("text", GROOMING_LOOKALIKES, ids=lambda v: v[:40])
def test_an_age_gap_without_a_minor_or_without_contact_sought_is_not_grooming(text):
    assert "grooming_age_gap" not in assess(text).reason


@pytest.mark.parametrize(
    "question,answer",
    [
        ("how many did you take?", "2 like it says on the packet"),
        ("what did you take?", "my inhaler like normal"),
        ("are you safe now?", "yeah hes in prison now"),
    ],
    ids=lambda v: v[:30],
)
def test_an_answer_giving_a_routine_or_safe_reason_is_not_raised(question, answer):
    a = assess(answer, AssessmentContext(recent_texts=(question,)))
    assert a.level < Level.ELEVATED, a.reason


def test_an_answer_naming_a_whole_supply_is_still_imminent():
    a = assess("all of them", AssessmentContext(recent_texts=("how many did you take?",)))
    assert a.level == Level.IMMINENT
