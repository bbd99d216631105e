"""Wishes about ordinary things in the words of passive ideation, goodbyes before an
ordinary absence, dying of shame in Spanish, French and Portuguese, and a past told with
the age then and now in the message's own language.

The sentences were written for this file, in wordings that are not in the rule files or
any data file. Each harmless one was raised to elevated or worse by the rules before
this change; each genuine one beside it must still escalate by the rules alone.
"""

from __future__ import annotations

import pytest

from safety.classifier import AssessmentContext, Level
from safety.classifier import assess as rules_assess


def _in(language: str) -> AssessmentContext:
    return AssessmentContext(sender_role="seeker", language=language)


@pytest.mark.parametrize(
    "text,language",
    [
        ("so embarrassed i want to disappear, i called my boss mum in the budget meeting", "en"),
        ("hoping i don't wake up till lunchtime, first lie in since the twins", "en"),
        ("tired of waking up stiff since we got the new mattress", "en"),
        ("honestly wouldn't mind if i didn't see my in laws this christmas, they're hard work", "en"),
        ("i don't want to be around people tonight, i just want my sofa and a film", "en"),
        ("quero morrer de vergonha, chamei a professora de tia na frente de todo mundo", "pt"),
        ("j'ai envie de mourir de honte, j'ai envoyé le message au mauvais groupe", "fr"),
        ("con 17 me cortaba los brazos, ahora tengo 34 años y estoy bien", "es"),
        ("aos 16 eu queria morrer, hoje tenho 31 e estou bem", "pt"),
        ("mit 14 hatte ich suizidgedanken, heute mit 40 geht es mir gut", "de"),
    ],
)
def test_an_everyday_wish_or_a_past_told_with_ages_is_not_raised(text, language):
    a = rules_assess(text, _in(language))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text,language",
    [
        ("so embarrassed that i cut again. i want to die", "en"),
        ("i hope i don't wake up tomorrow", "en"),
        ("tired of waking up. every day is the same grey nothing", "en"),
        ("wouldn't mind if i didn't see another christmas", "en"),
        ("i don't want to be around anymore", "en"),
        ("i don't want to be around this world much longer", "en"),
        ("quero morrer, tenho vergonha de tudo que eu sou", "pt"),
        ("ahora tengo 16 años y quiero suicidarme", "es"),
        ("heute mit 40 denke ich wieder an suizid", "de"),
        ("intenté suicidarme el año pasado y lo voy a volver a intentar", "es"),
        ("j'ai fait une tentative de suicide l'année dernière et j'y repense", "fr"),
    ],
)
def test_the_same_words_meant_still_escalate(text, language):
    a = rules_assess(text, _in(language))
    assert a.level >= Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "this is the last message you'll get from me before my finals, then radio silence",
        "you won't hear from me for ten days, silent retreat in wales. see you on the other side",
        "off to the in-laws for the weekend. goodbye cruel world",
        "this is the last time you'll hear from me for a bit, off to basic training sunday",
    ],
)
def test_a_goodbye_before_an_ordinary_absence_is_not_raised(text):
    a = rules_assess(text, _in("en"))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "this is my last message. wish me luck",
        "not going on any retreat. i just won't be here after tonight",
        "my will is signed and the letters are written. tonight's the night",
        "retiring from life. goodbye all, thank you for everything",
    ],
)
def test_a_goodbye_or_a_will_without_an_ordinary_reason_is_still_imminent(text):
    a = rules_assess(text, _in("en"))
    assert a.level == Level.IMMINENT, a.reason
