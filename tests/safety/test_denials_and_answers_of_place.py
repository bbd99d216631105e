"""Violence denied, abuse told as long over, a denial in the message's own language, and
an answer to "where are you?" that names an ordinary place.

The sentences were written for this file, in wordings that are not in the rule files or
any data file. Each harmless one was raised to elevated or worse by the rules before
this change; each genuine one beside it must still escalate by the rules alone.
"""

from __future__ import annotations

import pytest

from safety.classifier import AssessmentContext, Level
from safety.classifier import assess as rules_assess


def _in(language: str, *recent: str) -> AssessmentContext:
    return AssessmentContext(sender_role="seeker", recent_texts=recent, language=language)


@pytest.mark.parametrize(
    "text",
    [
        "my girlfriend sulks for days when i go out. she doesn't hit me, i just feel like i can't win",
        "my stepmum is cold with me, she doesnt hurt me or anything, she just ignores me. im 13",
        "my brother teases me all the time but he's never hurt me, im 12 and hes 16",
        "grandad was a hard man and he hit us with a belt. that was in the sixties and he's been dead for years",
        "my first wife threw plates at me. that was in the nineties and she's dead now",
    ],
)
def test_violence_denied_or_long_over_is_not_abuse_now(text):
    a = rules_assess(text)
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        # a negation further back does not deny a child's abuse
        "my dad never stops hitting me when mum is at work. im 11",
        # lessening the violence is not denying it
        "he doesn't hit me as much since the baby came, just when he's been drinking",
        "he doesn't hit me every week, only when work is bad",
        # told as over, but the sender is a child
        "my uncle hurt me when i was 9, he's dead now but i still see him when i close my eyes. im 14",
        # violence going on beside a denial of something else
        "she doesnt let me see my mates and she hits me when i argue",
    ],
)
def test_abuse_beside_a_denial_or_a_past_still_escalates(text):
    a = rules_assess(text)
    assert a.level >= Level.ELEVATED, a.reason


def test_a_denial_in_the_messages_own_language_is_not_overruled_by_the_english_rules():
    # "suicid~" in the English file matched "suicidaria" and saw no Portuguese negation
    a = rules_assess("eu nunca me suicidaria, só estou muito cansada de tudo", _in("pt"))
    assert a.level < Level.ELEVATED, a.reason
    a = rules_assess("t'inquiète je compte pas me suicider, juste une sale semaine au boulot", _in("fr"))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text,language",
    [
        ("quiero suicidarme esta noche", "es"),
        ("je veux me suicider", "fr"),
        ("eu quero me suicidar", "pt"),
    ],
)
def test_the_same_words_without_a_denial_still_escalate(text, language):
    assert rules_assess(text, _in(language)).level >= Level.ELEVATED


@pytest.mark.parametrize(
    "question,answer,language",
    [
        # Portuguese "no" is "in the": not a no
        ("onde você está agora?", "no escritório, saio às seis", "pt"),
        ("onde você tá?", "na casa da minha avó, tá tudo bem", "pt"),
        # "can't" in an answer to where the sender is answers nothing
        ("where are you right now?", "in bed, cant sleep again", "en"),
        ("where are you?", "my nan's, no signal here so might drop out", "en"),
    ],
)
def test_an_ordinary_place_in_answer_to_where_are_you_is_not_a_no(question, answer, language):
    a = rules_assess(answer, _in(language, "I'm glad you reached out.", question))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "question,answer,language",
    [
        ("where are you right now?", "on the roof of the car park", "en"),
        ("onde você está agora?", "na ponte, olhando pra água", "pt"),
        ("are you safe right now?", "no", "en"),
        ("você está segura?", "não", "pt"),
    ],
)
def test_a_place_of_danger_or_a_no_to_are_you_safe_is_still_imminent(question, answer, language):
    a = rules_assess(answer, _in(language, "I'm glad you reached out.", question))
    assert a.level == Level.IMMINENT, a.reason


def test_a_bare_no_before_the_phrase_still_negates_it_beside_the_abuse_cues():
    # the abuse cues sit beside the negation cue in the rule file: its "no" pattern is its own
    a = rules_assess("honestly no self harm or anything like that, just knackered from the night shifts")
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        # the sender quoting their own words to take them back
        "sorry, i know i said i wanted to die, i meant the quiz was a disaster. i'm ok honestly",
        "when i said i wanted to end it all i meant my job, i'm handing my notice in",
        "ok i said i want to kill myself but i was exaggerating about the parking ticket",
        # the vocabulary of self-harm as a figure of speech or a topic
        "doing my taxes on a sunday is basically self harm at this point",
        "i'm literally going to die if the wifi drops during my final",
        "im going to die on this hill tbh, cats are better than dogs",
        "our pe teacher made us run suicide sprints for an hour",
        "just saw the suicide rate for vets is four times higher than average, wild",
    ],
)
def test_words_taken_back_or_used_as_a_figure_of_speech_are_not_raised_by_the_rules(text):
    a = rules_assess(text)
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        # "said" further back is no quoting of the phrase
        "i know i said i'm fine but i want to die",
        "i said i wanted to die and i meant it, im not ok",
        # quoted, and "not really" is no taking back
        "i said i wanted to die, not really sure why i said it to her",
        # quoted, and what it meant is the sender's life
        "when i said i wanted to end it all i meant my life, not my job",
        # quoted, and nothing takes it back
        "i know i said i wanted to die yesterday. i still do",
        # hyperbole words beside the sender's own intent
        "i'm literally going to kill myself tonight, i have the pills",
    ],
)
def test_the_same_words_meant_still_escalate(text):
    a = rules_assess(text)
    assert a.level >= Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "my cat scratched me when i tried to bath her, i look like i've been in a fight",
        "sat on the bridge for an hour watching the swans, so calm",
        "wrote a letter to my younger self tonight, my therapist suggested it",
    ],
)
def test_a_cat_a_view_and_a_letter_to_oneself_are_not_raised_by_the_rules(text):
    a = rules_assess(text)
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text,level",
    [
        ("if anyone asks i say the cat scratched me", Level.ELEVATED),
        ("sat on the bridge for an hour. i'm going to jump", Level.IMMINENT),
        ("sitting on the ledge watching the city lights, nobody will miss me", Level.IMMINENT),
        ("said goodbye to everyone. i won't be here tomorrow", Level.IMMINENT),
        ("i've written letters to my kids and sorted my will. it's tonight", Level.IMMINENT),
    ],
)
def test_the_same_places_and_acts_with_risk_beside_them_still_escalate(text, level):
    a = rules_assess(text)
    assert a.level >= level, a.reason


@pytest.mark.parametrize(
    "answer",
    [
        "a long time ago, i was 14 and i'm 30 now",
        "not right now, no",
    ],
)
def test_a_past_or_a_no_in_answer_to_a_question_about_suicidal_thoughts_is_not_raised(answer):
    recent = ("I'm sorry today has been so hard.", "have you ever had thoughts of suicide?")
    a = rules_assess(answer, _in("en", *recent))
    assert a.level < Level.ELEVATED, a.reason


def test_thoughts_told_as_going_on_in_answer_to_that_question_are_elevated():
    recent = ("thanks for telling me.", "do you get thoughts of suicide?")
    a = rules_assess("since christmas. most nights now", _in("en", *recent))
    assert a.level == Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "language,question,answer",
    [
        ("fr", "est-ce que tu as déjà pensé au suicide ?", "il y a des années, j'avais 15 ans"),
        ("de", "hast du schon mal an Suizid gedacht?", "vor Jahren, da war ich 15"),
    ],
)
def test_a_question_about_suicide_in_another_language_is_the_askers_not_the_senders(language, question, answer):
    a = rules_assess(answer, _in(language, question))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "language,told,answer",
    [
        ("en", "i want to die. can you help me?", "tonight"),
        ("fr", "je veux mourir. tu peux m'aider ?", "ce soir"),
        ("de", "ich will nicht mehr leben. kannst du mir helfen?", "heute nacht"),
    ],
)
def test_the_senders_own_wish_before_a_question_makes_a_time_imminent(language, told, answer):
    a = rules_assess(answer, _in(language, told))
    assert a.level == Level.IMMINENT, a.reason


def test_a_time_named_after_the_senders_own_ideation_is_still_imminent():
    recent = ("i don't want to be alive anymore", "I'm really glad you told me. Can you say more?")
    a = rules_assess("tonight", _in("en", *recent))
    assert a.level == Level.IMMINENT, a.reason


@pytest.mark.parametrize(
    "text,language",
    [
        ("estoy preparando una exposición sobre prevención del suicidio para clase, ¿tienes datos?", "es"),
        ("tô fazendo meu tcc sobre prevenção do suicídio entre universitários, pode me ajudar?", "pt"),
        ("je prépare un exposé sur la prévention du suicide chez les jeunes, tu as des sources ?", "fr"),
        ("ich halte morgen ein Referat über Suizidprävention, hast du Tipps?", "de"),
    ],
)
def test_study_of_suicide_in_the_messages_own_language_is_not_raised(text, language):
    # the English rules' suicid~ reads the same word: the topic in the message's own
    # language counts for that reading too
    a = rules_assess(text, _in(language))
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text,language",
    [
        ("estoy haciendo una exposición sobre el suicidio y yo también quiero morirme", "es"),
        ("meu tcc é sobre suicídio e eu também quero morrer", "pt"),
        ("je fais un exposé sur le suicide et moi aussi je veux mourir", "fr"),
        ("ich halte ein Referat über Suizid und ich will auch sterben", "de"),
    ],
)
def test_the_senders_own_wish_beside_that_topic_still_escalates(text, language):
    a = rules_assess(text, _in(language))
    assert a.level >= Level.ELEVATED, a.reason


def test_a_yes_after_the_question_repeated_with_a_time_is_elevated():
    recent = ("that sounds exhausting.", "are you getting any thoughts of suicide right now?")
    a = rules_assess("right now? yes. bad ones tonight", _in("en", *recent))
    assert a.level == Level.ELEVATED, a.reason
    a = rules_assess("right now? no. years ago yes", _in("en", *recent))
    assert a.level < Level.ELEVATED, a.reason


def test_the_answer_is_read_in_a_live_chat_where_the_listeners_question_is_stored_below_elevated():
    # a chat passes the stored level of each earlier message; the listener's question is
    # stored below elevated, and the answer to it must still be read with it
    context = AssessmentContext(
        sender_role="seeker",
        recent_texts=("thanks for telling me.", "do you get thoughts of suicide?"),
        recent_levels=(Level.NONE, Level.NONE),
        language="en",
    )
    a = rules_assess("since christmas. most nights now", context)
    assert a.level == Level.ELEVATED, a.reason
