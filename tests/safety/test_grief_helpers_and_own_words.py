"""Whose risk a message names: someone else's death, a helper's question, a topic the
sender works or studies in, and the sender's own words beside all three.

The sentences were written for this file, in wordings that are not in the rule file,
the corpus or the training supplements. Harmless ones go through the default backend
(rules + model), which screens live chat; genuine ones must escalate by the rules
alone, since the rules are what catches them when the model is unsure.
"""

from __future__ import annotations

import pytest

from safety.classifier import AssessmentContext, Category, Level
from safety.classifier import assess as rules_assess
from safety.classifier.combined import assess

HARMLESS = {
    "grief_other": [
        "lost a neighbour to suicide in the spring. the street hasn't been the same",
        "my stepdad's funeral was on friday. overdose. mum is a wreck",
        "lost my old teammate to suicide in october. the whole club's in bits",
        "we buried my cousin last week. suicide. nobody at the wake would say the word",
    ],
    "helper": [
        "i'm a school nurse, what do i say when a pupil tells me they self harm?",
        "i volunteer with a youth group, how should i respond if one of them mentions suicide",
    ],
    "resolved_past": [
        "i used to think about ending it most nights. i don't anymore, therapy did that",
        "there was a time i was suicidal, i got through it with my sister's help",
        "my past suicide attempt came up at the doctor's today, felt odd saying it out loud",
    ],
    "joke": [
        "kms my manager put me on a double again this weekend",
        "i'd rather jump off a bridge than do karaoke at the office party",
        "my team's performance made me want to die a little inside",
    ],
}

GENUINE = [
    # the sender's own risk beside a death
    ("since my husband passed away i want to die too", Level.ELEVATED),
    ("my dad died by suicide and i just want to be with him again", Level.ELEVATED),
    ("lost my twin to suicide last year and i keep thinking i should follow her", Level.ELEVATED),
    ("my cousin killed himself and i have his gun now", Level.IMMINENT),
    # someone else's risk going on beside a death
    ("my grandad died in may and now my nan keeps talking about killing herself", Level.ELEVATED),
    # a helper with a person at risk tonight
    ("i'm a teacher and a pupil just told me she's going to kill herself tonight", Level.ELEVATED),
    # the sender's own words beside a job or a course
    ("i'm a nurse and i want to die", Level.ELEVATED),
    ("i'm writing my dissertation and i keep thinking about killing myself", Level.ELEVATED),
    # a relapse told as "not anymore", and "rather ... than" with life as the other side
    ("i'd been clean from cutting since june. not anymore", Level.ELEVATED),
    ("i'd rather die than go back to that house", Level.ELEVATED),
    ("id rather be dead than keep living like this", Level.ELEVATED),
    # "kms" followed by a time or "for real" is not an exclamation
    ("kms tonight, my exam results are out and i cant face anyone", Level.ELEVATED),
    ("kms for real this time, nothing is going to change", Level.ELEVATED),
]


@pytest.mark.parametrize(
    "klass,text", [(k, t) for k, ts in HARMLESS.items() for t in ts], ids=lambda v: v[:40] if isinstance(v, str) else v
)
def test_someone_elses_risk_or_a_risk_that_is_over_stays_below_elevated(klass, text):
    a = assess(text)
    assert a.level < Level.ELEVATED, (klass, a.reason)


@pytest.mark.parametrize("text,level", GENUINE, ids=lambda v: str(v)[:40])
def test_the_senders_own_risk_beside_them_still_escalates_by_the_rules(text, level):
    a = rules_assess(text)
    assert a.level >= level, a.reason


def test_grief_is_said_in_the_reason():
    a = rules_assess("my uncle. suicide. the funeral was yesterday")
    assert a.level == Level.DISTRESS
    assert "grief for someone else" in a.reason


def test_a_place_of_danger_where_someone_died_is_still_imminent():
    a = rules_assess("on the top floor of the car park where my brother died. looking down")
    assert a.level == Level.IMMINENT, a.reason


def test_the_sender_right_before_the_phrase_is_the_subject_even_after_someone_else():
    """ "since my mum left i want to die": the sender wants to die, not the mum."""
    a = rules_assess("since my mum left i want to die")
    assert a.level == Level.ELEVATED
    assert a.third_person is False, a.reason
    assert "third person" not in a.reason


@pytest.mark.parametrize(
    "text,language",
    [
        ("ma tante s'est suicidée il y a deux ans, l'enterrement a été très dur", "fr"),
        ("meu tio se suicidou e o enterro foi horrível", "pt"),
        ("ma tante s'est suicidée l'an dernier, elle me manque", "fr"),
    ],
)
def test_grief_for_someone_elses_suicide_in_other_languages_stays_below_elevated(text, language):
    a = rules_assess(text, AssessmentContext(language=language))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "mi hermano se suicidó y yo también me quiero morir",
        "mein bruder hat sich umgebracht und ich will auch nicht mehr leben",
    ],
)
def test_the_senders_own_wish_beside_a_death_in_other_languages_still_escalates(text):
    assert rules_assess(text).level >= Level.ELEVATED


@pytest.mark.parametrize(
    "text,level",
    [
        # self-harm going on, in plain words
        ("i'm 41 and i still cut, nobody at work would believe it", Level.ELEVATED),
        ("i cut after the argument with my dad, helped for a bit", Level.ELEVATED),
        ("i punch my own face when i get angry at myself", Level.ELEVATED),
        ("scratched my wrist raw with my nails", Level.ELEVATED),
        ("the cuts are still bleeding through the plaster", Level.ELEVATED),
        # harm to a person named by what they did
        ("i want to hurt the girl who posted my photos", Level.ELEVATED),
        # passive ideation in everyday words
        ("the only thing stopping me is my cat", Level.ELEVATED),
        ("i should never have been born, everyone would be better for it", Level.ELEVATED),
        ("if i died in my sleep it'd honestly be fine", Level.ELEVATED),
    ],
)
def test_risk_in_everyday_words_is_found_by_the_rules(text, level):
    a = rules_assess(text)
    assert a.level >= level, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "i cut my own bangs again, never doing that again",
        "burned my hand on the oven tray making tea",
        "the only thing keeping me going this week is friday's gig",
        "this energy drink is the only thing keeping me alive",
    ],
)
def test_their_everyday_look_alikes_are_not_raised(text):
    assert assess(text).level < Level.ELEVATED


@pytest.mark.parametrize(
    "text",
    [
        "posting that selfie would be social suicide honestly",
        "gonna drown myself in tea and marking this weekend",
        "i'm going to strangle whoever invented the self checkout",
        "on the tracks at donington for a track day, buzzing",
        "standing on the edge of the high board at the pool, too scared to dive",
        "sorry i said i want to die before, i didn't mean it literally, the exam was just awful",
    ],
)
def test_idioms_hobbies_and_a_retraction_are_not_raised_by_the_rules(text):
    assert rules_assess(text).level < Level.ELEVATED


@pytest.mark.parametrize(
    "text,level",
    [
        ("i'm going to drown myself in the canal tonight", Level.IMMINENT),
        ("i want to die and i mean it, not in a joking way", Level.ELEVATED),
        ("i'm standing on the edge of the multi storey car park roof right now", Level.IMMINENT),
    ],
)
def test_the_same_words_meant_still_escalate(text, level):
    assert rules_assess(text).level >= level


def test_where_someone_is_from_is_not_the_question_where_they_are_now():
    asked_from = AssessmentContext(recent_texts=("where are you from?",))
    asked_now = AssessmentContext(recent_texts=("where are you?",))
    assert rules_assess("leeds. it's been chucking it down all day today", asked_from).level < Level.ELEVATED
    assert rules_assess("the bridge. tonight", asked_now).level == Level.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "a guy i play fortnite with wants me to move to telegram and says my parents wouldn't understand",
        "a man from roblox wants me to switch to telegram, he says my mum can't know",
    ],
)
def test_grooming_told_without_an_age_is_abuse_when_parents_are_kept_out(text):
    a = rules_assess(text)
    assert a.level >= Level.ELEVATED, a.reason
    assert Category.ABUSE in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "we're planning a surprise party for dad, don't tell my mum, she can't keep a secret",
        "my nan sends me money every birthday and my parents know all about it",
    ],
)
def test_a_secret_or_a_gift_alone_is_not_grooming(text):
    assert rules_assess(text).level < Level.ELEVATED


@pytest.mark.parametrize(
    "question,answer",
    [
        ("are you having thoughts of suicide?", "yeah but i'm not going to do anything"),
        ("do you want to die?", "sometimes. but i won't do anything"),
        ("are you suicidal?", "ya sometimes"),
    ],
)
def test_a_yes_hedged_with_a_no_still_says_yes(question, answer):
    a = rules_assess(answer, AssessmentContext(recent_texts=(question,)))
    assert a.level >= Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "question,answer",
    [
        ("are you having thoughts of suicide?", "no but everything feels heavy lately"),
        ("have you hurt yourself today?", "no, i just needed to talk"),
        ("are you having thoughts of suicide?", "yeah just sad, no thoughts like that"),
    ],
)
def test_a_no_with_sadness_beside_it_is_not_a_hedged_yes(question, answer):
    assert rules_assess(answer, AssessmentContext(recent_texts=(question,))).level < Level.ELEVATED


def test_a_lot_of_something_else_is_not_a_yes():
    asked = AssessmentContext(recent_texts=("are you having thoughts of suicide?",))
    assert rules_assess("a lot of stress at work but no thoughts like that", asked).level < Level.ELEVATED
    assert rules_assess("a lot. but no plan", asked).level == Level.ELEVATED
