"""False alarms by class (detect2): farewell words before an ordinary object or
activity, travel, jokes with a trivial cause, study and work, resolved past, grief
for someone else, explicit denials, and the genuine disclosures beside them.

The sentences were written for this file, in wordings that are not in the rule file,
the corpus or the training supplements. The harmless ones go through the default
backend (rules + model), which screens live chat; the genuine ones must still
escalate, by the rules alone where the rules are what catches them.
"""

from __future__ import annotations

import pytest

from safety.classifier import AssessmentContext, Level
from safety.classifier import assess as rules_assess
from safety.classifier.combined import assess

HARMLESS = {
    "farewell_everyday": [
        "tell my gran i love her apple crumble haha",
        "last text before we take off, love ya all x",
        "saying bye to my old classmates today, weird feeling",
        "goodbye everyone, heading to portugal for two weeks!",
        "gn all, off to bed, love you guys",
        "my last message for today, need to revise. cheers",
    ],
    "travel": [
        "missed my exit on the motorway, gonna be late",
        "just came off the slip road, stuck in roadworks now",
    ],
    "joke": [
        "i want to die lmao i called my teacher mum in front of everyone",
        "kms this essay is due at midnight 😂",
        "jumping off a bridge sounds better than this group chat lol",
    ],
    "study_work": [
        "our module on suicide risk assessment starts next week",
        "we watched a scene about an overdose in media studies",
    ],
    "resolved_past": [
        "i thought about killing myself a lot at 16 but i don't anymore",
        "self harm was my thing in school, six years clean now",
    ],
    "denial": [
        "honestly no thoughts of hurting myself, just knackered",
        "i had a rubbish week but zero urges to cut, promise",
    ],
}

GENUINE = [
    ("tell my dad i love him. i'm sorry", Level.IMMINENT),
    ("this is my last message, i love you all", Level.IMMINENT),
    ("i'm at the top of the car park right now and i'm going to jump", Level.IMMINENT),
    ("i want to die lol nobody would even care", Level.ELEVATED),
    ("i used to be fine, now i just want to kill myself", Level.ELEVATED),
    ("no one would notice if i killed myself", Level.ELEVATED),
    ("goodbye everyone, i can't do this anymore", Level.IMMINENT),
    ("i was two years clean and i cut again last night", Level.ELEVATED),
]


@pytest.mark.parametrize(
    "klass,text", [(k, t) for k, texts in HARMLESS.items() for t in texts], ids=lambda v: str(v)[:40]
)
def test_harmless_look_alikes_by_class_stay_below_elevated(klass, text):
    a = assess(text)
    assert a.level < Level.ELEVATED, f"{klass}: {text!r} -> {a.level.label}: {a.reason}"


@pytest.mark.parametrize("text,level", GENUINE, ids=lambda v: str(v)[:40])
def test_genuine_disclosures_beside_them_still_escalate(text, level):
    a = rules_assess(text)
    assert a.level >= level, f"{text!r} -> {a.level.label}: {a.reason}"
    assert assess(text).level >= level


def test_a_no_that_answers_a_question_is_not_a_denial():
    ctx = AssessmentContext(recent_texts=("is he still there with the gun?",))
    assert rules_assess("no he's got the gun and he's drunk", ctx).level >= Level.ELEVATED


def test_a_goodnight_does_not_cancel_a_farewell_after_ideation():
    ctx = AssessmentContext(recent_texts=("i want to die",))
    assert rules_assess("bye. love you all", ctx).level == Level.IMMINENT


def test_bytes_reach_the_model_as_text_too():
    a = assess(b"i want to die")
    assert a.level >= Level.ELEVATED
    assert "could not be used" not in a.reason


# Answers to a listener's question about risk. The sentences are new to this file.
ANSWERS_ELSEWHERE = [
    ("how many have you taken?", "of the crackers? about ten lol"),
    ("have you got a plan?", "for saturday? yeah cinema with my cousins"),
    ("are you close to the edge?", "of the bed? i'm about to fall asleep haha"),
    ("how long ago did your dad pass?", "a month on tuesday. still can't believe it"),
    ("did you take anything?", "yeah my usual inhaler, as always"),
]
ANSWERS_OF_RISK = [
    ("how many have you taken?", "of the tablets? the whole strip"),
    ("how many have you taken?", "like 40? i lost count"),
    ("have you got a plan?", "kind of? the bridge by the motorway"),
    ("how long ago did you take them?", "an hour maybe"),
]


@pytest.mark.parametrize("question,answer", ANSWERS_ELSEWHERE, ids=lambda v: v[:30])
def test_an_answer_about_something_else_is_not_an_answer_to_the_question_about_risk(question, answer):
    assert rules_assess(answer, AssessmentContext(recent_texts=(question,))).level < Level.ELEVATED


@pytest.mark.parametrize("question,answer", ANSWERS_OF_RISK, ids=lambda v: v[:30])
def test_a_hedged_answer_or_one_naming_a_means_still_answers_the_question_about_risk(question, answer):
    assert rules_assess(answer, AssessmentContext(recent_texts=(question,))).level == Level.IMMINENT
