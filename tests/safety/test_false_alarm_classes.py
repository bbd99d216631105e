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


# Blind-written kinds (issue 16): ordinary text whose harmless reason the rules now read.
# Judged by the rules alone, which these cues belong to; the model is trained on its own.
RULES_HARMLESS = {
    "joke_with_a_groan": [
        "ugh i want to die, i left my laptop charger on the train",
        "fml kms the washing machine flooded the kitchen",
        "lol kms i put salt in my coffee instead of sugar at the dentist",
    ],
    "farewell_joke": [
        "goodbye everyone, going into my first spin class, tell my mum i loved her 😂",
        "this is my last message before the dentist, tell my family i love them lol",
    ],
    "trivial_cause_hyperbole": [
        "the printer broke again and honestly i'm done with life",
        "my dad says he'll kill me if i scratch the car, he means it in the dad way",
    ],
    "fiction_and_courses": [
        "our school is putting on a play about a teenager who attempts suicide",
        "i'm writing a thriller where the killer stages an overdose",
        "for my first aid course: what if a cut is deep and won't stop bleeding",
    ],
    "place_with_a_reason": [
        "on the bridge waiting for my mate, its freezing",
        "on the top floor of the car park now, couldn't find a space anywhere",
        "sitting on the edge of the pool eating ice cream",
        "booked a bungee jump off the bridge for my sister's hen do",
    ],
    "petty_cause": [
        "i'm going to strangle my flatmate, she keeps hiding my charger",
        "im gonna murder whoever ate my birthday cake in the office fridge",
    ],
    "resolved_now": [
        "two years ago i was planning to end my life and now im just annoyed about parking",
        "a year ago i wanted to die every day and now im doing well",
    ],
    "everyday_idiom": [
        "i overdosed on netflix again, six episodes",
        "took the whole packet of cookies to the office, gone in 5 mins",
        "given away all my son's old baby clothes, he's outgrown them",
        "lost my cousin to an overdose. he was 19. keep thinking i should have called",
        "i cut my son's hair and it's wonky",
        "been cutting onions all morning for the chutney",
        "the PE teacher made us do suicides until we nearly threw up",
        "im about to unalive this whole pizza",
    ],
}

RULES_HARMLESS_ANSWERS = [
    ("where are you right now?", "on the bridge waiting for my sister to pick me up"),
    ("is anyone hurting you at home?", "no, my stepdad is lovely, we just argue about chores"),
]

RULES_GENUINE = [
    ("ugh i want to die, nothing ever gets better", Level.ELEVATED),
    ("goodbye everyone, i love you all. im sorry", Level.IMMINENT),
    ("on the bridge now, not coming back", Level.IMMINENT),
    ("i want to jump off the bridge", Level.ELEVATED),
    ("on the bridge right now on my birthday, nobody remembered", Level.IMMINENT),
    ("writing a note to my family, i want to die", Level.IMMINENT),
    ("im going to kill whoever took my daughter", Level.ELEVATED),
    ("ugh i want to die, lying on the couch all day again", Level.ELEVATED),
    ("sitting on the edge of the roof, not eating anymore, whats the point", Level.IMMINENT),
    ("i'm going to stab my flatmate tonight, i have the knife ready", Level.IMMINENT),
    ("i took the whole box of my mum's sleeping pills", Level.IMMINENT),
    ("i want to kill myself because of my exams", Level.ELEVATED),
    ("i relapsed last night and cut again", Level.ELEVATED),
    ("been cutting again", Level.ELEVATED),
    ("gonna unalive myself tonight", Level.IMMINENT),
]


@pytest.mark.parametrize(
    "klass,text", [(k, t) for k, texts in RULES_HARMLESS.items() for t in texts], ids=lambda v: str(v)[:40]
)
def test_blind_written_harmless_kinds_stay_below_elevated_by_the_rules(klass, text):
    a = rules_assess(text)
    assert a.level < Level.ELEVATED, f"{klass}: {text!r} -> {a.level.label}: {a.reason}"


@pytest.mark.parametrize("question,answer", RULES_HARMLESS_ANSWERS, ids=lambda v: v[:30])
def test_an_answer_with_a_harmless_reason_is_not_raised(question, answer):
    assert rules_assess(answer, AssessmentContext(recent_texts=(question,))).level < Level.ELEVATED


def test_an_answer_naming_a_place_of_danger_without_a_reason_is_still_imminent():
    ctx = AssessmentContext(recent_texts=("where are you right now?",))
    assert rules_assess("at the station, going to jump in front of the next train", ctx).level == Level.IMMINENT


def test_an_answer_naming_a_cut_to_the_body_is_still_imminent():
    ctx = AssessmentContext(recent_texts=("did you cut yourself?",))
    assert rules_assess("yeah slicing my arm", ctx).level == Level.IMMINENT


@pytest.mark.parametrize(
    "answer",
    ["my stepdad, every night", "my stepdad. hes fine when mum is home but every night he comes in"],
    ids=lambda v: v[:30],
)
def test_an_answer_naming_who_and_how_often_is_still_abuse(answer):
    ctx = AssessmentContext(recent_texts=("is anyone hurting you at home?",))
    assert rules_assess(answer, ctx).level >= Level.ELEVATED


@pytest.mark.parametrize("text,level", RULES_GENUINE, ids=lambda v: str(v)[:40])
def test_disclosures_beside_the_blind_kinds_still_escalate_by_the_rules(text, level):
    a = rules_assess(text)
    assert a.level >= level, f"{text!r} -> {a.level.label}: {a.reason}"


@pytest.mark.parametrize(
    "text,language",
    [
        ("tomé mis pastillas como cada mañana, ahora a trabajar", "es"),
        ("tomei meus remédios como sempre e fui trabalhar", "pt"),
        ("hab meine tabletten wie immer genommen und bin los", "de"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_routine_dose_in_another_language_is_not_an_attempt(text, language):
    assert rules_assess(text, AssessmentContext(language=language)).level < Level.ELEVATED


@pytest.mark.parametrize(
    "text,language",
    [
        ("me tomé todas las pastillas que me recetó el médico", "es"),
        ("tomei todos os remédios da caixa", "pt"),
        ("hab alle tabletten genommen", "de"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_whole_supply_in_another_language_is_still_an_attempt(text, language):
    assert rules_assess(text, AssessmentContext(language=language)).level == Level.IMMINENT
