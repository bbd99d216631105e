"""Detection v2 (issue 16): crisis told in everyday words, and the harmless look-alikes.

Every sentence here was written for this file: none is in the corpus, the training
supplements or, word for word, in a rule. They check that the composed rules and
the model generalise to phrasings nobody listed, through the default backend
(rules + model), which is what screens live chat.
"""

from __future__ import annotations

import pytest

from safety.classifier import Level
from safety.classifier import assess as rules_assess
from safety.classifier.combined import assess
from safety.classifier.engine import gives_harmless_reason

# An attempt under way or just done, a place of danger now, preparation, farewells.
IMMINENT = [
    "necked the entire bottle of my nan's heart pills twenty minutes ago",
    "swallowed about fifteen of my gran's codeine, my lips feel numb",
    "i've just gulped down a whole strip of my mum's sleeping tablets",
    "sat on the edge of the multistorey roof rn, legs dangling",
    "standing at the cliff top in the dark, nobody knows im here",
    "i'm lying on the railway line near my house",
    "i've written letters for my two sisters and left them under my pillow",
    "gave my rabbit to the neighbours for good, she'll be looked after",
    "sorted my bank stuff so my dad won't have to deal with it after",
    "this is my final goodbye to you all",
    "goodnight everyone, for the last time",
    "please tell my little sister i love her so much",
    "gonna unalive myself tonight fr",
]

# Passive and intrusive ideation, urges, relapse, other self-injury, concealment, slang.
ELEVATED = [
    "i honestly wish i could fall asleep and never open my eyes again",
    "nobody would even notice if i vanished",
    "i'd be glad if i didn't wake up tomorrow",
    "the urge to slice my arm is unbearable tonight",
    "relapsed and burned my wrist with a lighter again",
    "i've been hitting my legs with a hairbrush until they bruise",
    "i keep the blades taped under my desk so mum never finds them",
    "wanna kms so bad rn",
]

# Risk words about something harmless, idioms, resolved past, grief, denials.
BENIGN = [
    "we're jumping into the quarry lake with the lads for a swim",
    "took two ibuprofen for my toothache, feeling better",
    "on the bridge now, see you at home in ten mins",
    "this revision is killing me lol",
    "my grandad passed away in june and i miss him loads",
    "i used to self harm in year 9 but i've been clean for three years now",
    "i'd never hurt myself, i just needed to vent",
    "writing a letter to my future self for english class",
    "on the roof with my dad fixing the aerial",
    "gave my old xbox to my cousin since i got a new one",
    "deleted tiktok for my mental health lol",
    "goodbye everyone, see you all on monday!",
]


@pytest.mark.parametrize("text", IMMINENT)
def test_new_phrasings_of_imminent_risk_escalate(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED, (text, a.reason)


@pytest.mark.parametrize(
    "text",
    [
        "necked the entire bottle of my nan's heart pills twenty minutes ago",
        "standing at the cliff top in the dark, nobody knows im here",
        "this is my final goodbye to you all",
        "please tell my little sister i love her so much",
    ],
)
def test_act_place_and_farewell_are_imminent_by_the_rules_alone(text):
    # the composed rules, not only the model: a reason and spans come with the flag
    a = rules_assess(text)
    assert a.level is Level.IMMINENT, (text, a.reason)
    assert a.spans


@pytest.mark.parametrize("text", ELEVATED)
def test_new_phrasings_of_elevated_risk_escalate(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED, (text, a.reason)


@pytest.mark.parametrize("text", BENIGN)
def test_harmless_look_alikes_stay_below_elevated(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, (text, a.reason)


def test_the_model_alone_does_not_raise_a_message_with_a_harmless_reason():
    text = "on the bridge now, see you at home in ten mins"
    assert gives_harmless_reason(text)
    a = assess(text)
    assert a.level < Level.ELEVATED
    assert "held back" in a.reason or "[rules;" in a.reason


def test_a_harmless_reason_does_not_cancel_what_the_rules_found():
    # the hold-back applies only to the model: a rules verdict of risk stands
    a = assess("im on the bridge now, see you in another life")
    assert a.level is Level.IMMINENT, a.reason


@pytest.mark.parametrize("text", ["", "\x00\x07", "\ud800 lone", "😶" * 2000, None, b"\xff\xfe"])
def test_harmless_reason_check_never_raises(text):
    assert gives_harmless_reason(text) in (True, False)


@pytest.mark.parametrize(
    "text",
    [
        "my ex husband used to beat me but i left him years ago. my daughter graduated today and i am so proud",
        "he used to hit me when he was drunk. i got out in 2015 and my kids and i are safe now",
    ],
)
def test_an_adult_s_abuse_that_is_over_is_not_made_a_minor_s_by_naming_their_child(text):
    a = assess(text)
    assert a.level is Level.DISTRESS, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "my husband hits me and my son has seen it",  # going on, the child there
        "my stepdad used to hit my son, he still lives with us",  # the child was the one hit
        "my ex used to hit my daughter, i left him last year",
    ],
)
def test_a_child_in_reach_of_the_abuse_keeps_it_a_minor_s(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED and "a minor at risk" in a.reason, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "a guy online keeps asking my daughter to send pics",
        "this man keeps messaging my son late at night and i dont know who he is",
    ],
)
def test_a_parent_telling_of_a_stranger_seeking_their_child_is_grooming(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED and "abuse.grooming_minor" in a.reason, a.reason


def test_a_request_to_an_adult_about_ordinary_things_is_not_grooming():
    assert "grooming" not in assess("my boss keeps asking me to send the report by friday").reason
