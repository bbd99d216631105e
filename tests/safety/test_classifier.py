"""Behaviour of the rule-based risk classifier (pure: no Django, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safety.classifier import (
    Assessment,
    AssessmentContext,
    Category,
    Level,
    RuleFileError,
    assess,
    get_rules,
    load_rule_file,
)
from safety.classifier.evaluation import DEFAULT_SET, check_targets, evaluate_file
from safety.classifier.rules import RULES_DIR

DATA = Path(DEFAULT_SET).parent


def level_of(text: str, **ctx) -> Level:
    return assess(text, AssessmentContext(**ctx)).level


# --------------------------------------------------------------------- API


def test_level_labels_parse_and_order():
    assert [lv.label for lv in Level] == ["none", "distress", "elevated", "imminent"]
    assert Level.parse("Elevated") is Level.ELEVATED
    assert Level.parse(3) is Level.IMMINENT
    assert Level.NONE < Level.DISTRESS < Level.ELEVATED < Level.IMMINENT
    with pytest.raises(ValueError, match="unknown level 'urgent'"):
        Level.parse("urgent")


def test_assessment_escalate_property():
    assert assess("i want to die").at_risk is True
    assert assess("hello there").at_risk is False


def test_empty_and_ordinary_text():
    for text in ("", "   ", "hi", "thanks, that helped a lot"):
        a = assess(text)
        assert a.level is Level.NONE
        assert a.categories == frozenset()
        assert a.spans == ()
        assert a.third_person is False


def test_result_types():
    a = assess("i want to kill myself")
    assert isinstance(a, Assessment)
    assert isinstance(a.categories, frozenset)
    assert isinstance(a.spans, tuple)
    assert isinstance(a.reason, str) and a.reason


# ------------------------------------------------------------------ levels


@pytest.mark.parametrize(
    "text",
    ["i feel so alone lately", "been crying all night", "everything feels pointless", "i hate myself"],
)
def test_distress(text):
    a = assess(text)
    assert a.level is Level.DISTRESS
    assert not a.at_risk


@pytest.mark.parametrize(
    "text",
    [
        "i want to die",
        "sometimes i think about killing myself",
        "i've been having suicidal thoughts",
        "everyone would be better off without me",
        "i cut again last night",
        "i don't want to be alive anymore",
        "i wish i could go to sleep and not wake up",
        "what's the point of living",
    ],
)
def test_elevated_self_harm(text):
    a = assess(text)
    assert a.level is Level.ELEVATED, a.reason
    assert Category.SELF_HARM in a.categories
    assert a.third_person is False


@pytest.mark.parametrize(
    "text",
    [
        "i'm going to kill myself tonight",  # intent + timing
        "i have a plan to end my life",  # plan
        "i already took 30 pills",  # attempt in progress
        "this is goodbye, thank you for trying",  # goodbye
        "i'm standing on the bridge right now",
        "i gave away all my stuff, won't need it anymore",
        "i've been saving my pills for this",
        "i've made up my mind, i'm going to kill myself",
    ],
)
def test_imminent(text):
    a = assess(text)
    assert a.level is Level.IMMINENT, a.reason
    assert Category.SELF_HARM in a.categories


def test_ideation_with_timing_but_no_intent_stays_elevated():
    assert level_of("feeling suicidal again tonight") is Level.ELEVATED


# -------------------------------------------------------------- categories


def test_harm_to_others_intent_is_elevated_and_with_means_and_timing_imminent():
    a = assess("i want to kill my stepdad")
    assert a.level is Level.ELEVATED
    assert Category.HARM_TO_OTHERS in a.categories
    b = assess("i'm going to stab him tomorrow, the knife is in my bag")
    assert b.level is Level.IMMINENT
    assert Category.HARM_TO_OTHERS in b.categories


@pytest.mark.parametrize(
    "text",
    [
        "im going to hurt my coworkers",
        "i keep having thoughts about stabbing my boyfriend",
        "im scared ill snap and hurt my baby",
        "i want everyone at school dead",
        "i want to shoot everyone in my class",
        "i want him dead",
        "im gonna stab that kid",
        "i keep thinking about pushing my little brother down the stairs",
        "i want to run them over",
        "ngl i rly wanna hurt my stepdad",
        "i want to kill my dad, he abused me when i was a kid",
    ],
)
def test_first_person_intent_urges_or_intrusive_thoughts_of_harming_someone_are_elevated(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED, a.reason
    assert Category.HARM_TO_OTHERS in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "i have the knife and he's asleep",
        "bringing my dad's gun to school tomorrow",
        "got my dads gun for school tomorrow",
        "im standing over his bed with the knife",
        "i've been planning how to poison my flatmate",
    ],
)
def test_harm_to_others_with_means_and_a_target_within_reach_is_imminent(text):
    a = assess(text)
    assert a.level is Level.IMMINENT, a.reason
    assert Category.HARM_TO_OTHERS in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "i'll kill my brother if he eats my leftovers",
        "we're gonna kill them in the final on saturday",
        "i killed him in fortnite lol",
        "my character wants to kill the king in the story",
        "the news said a man stabbed his neighbour",
        "i'm going to beat my brother at chess",
        "i'm gonna hit her up later",
        "i want to kill this essay",
        "my sister will kill me if i spoil the ending",
    ],
)
def test_hyperbole_games_news_and_denials_are_not_harm_to_others(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason
    assert Category.HARM_TO_OTHERS not in a.categories


@pytest.mark.parametrize("text", ["i'd never hurt him", "i would never actually hurt my baby"])
def test_a_denial_of_harming_someone_is_not_raised(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "i wanted to kill my stepdad when i was younger but we made up years ago",
        "i used to want to hurt my stepdad when i was a teen, we actually get on now",
    ],
)
def test_anger_at_someone_that_is_over_is_distress(text):
    a = assess(text)
    assert a.level is Level.DISTRESS, a.reason


def test_abuse_of_a_minor_is_elevated():
    child = assess("my dad hits me with a belt, i'm 12")
    assert child.level is Level.ELEVATED
    assert Category.ABUSE in child.categories
    assert "minor" in child.reason


def test_a_minors_abuse_is_not_discounted_as_past():
    # a child telling of it is still within the abuser's reach
    assert level_of("im 13 and my dad used to hit me") is Level.ELEVATED


@pytest.mark.parametrize(
    "text",
    [
        "my husband hits me when he's drunk",
        "my boyfriend pushed me into the wall last night",
        "my partner strangled me on saturday and i'm scared",
        "he put his hands around my neck again",
        "my wife threatens to kill me if i leave",
        "my bf keeps forcing me to have sex when i say no",
        "i was raped last night at a party",
        "my gf slaps me and says its my fault",
        "he said hed kill me if i told anyone",
        "i think hes going to kill me one day",
        "my nan hits me with a wooden spoon until i bleed",
        "i get hit with a belt if i get bad grades",
        "some guy is blackmailing me with my nudes",
        "if i try to leave he says he will kill me and the kids",
    ],
)
def test_current_violence_sexual_harm_or_threats_to_the_sender_are_elevated_abuse_at_any_age(text):
    a = assess(text)
    assert a.level is Level.ELEVATED, a.reason
    assert Category.ABUSE in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "he's going to kill me tonight",
        "hes outside the door screaming that hes going to kill me",
        "my husband has a knife and says he'll kill me",
        "im hiding in the bathroom from him, he hit me again",
        "he's locked me in the bedroom and took my phone",
        "my dad hits me and hes got a knife to my throat",
    ],
)
def test_abuse_with_the_danger_there_now_is_imminent(text):
    a = assess(text)
    assert a.level is Level.IMMINENT, a.reason
    assert Category.ABUSE in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "my ex used to hit me, i left 2 years ago",
        "my old boyfriend strangled me once during an argument, i left him straight after, it was 5 years ago",
        "i left him after he pushed me down the stairs, that was 2019",
        "he raped me while we were married and i only realised it counted recently",
        "my ex husband controlled all our money, i got out last year",
    ],
)
def test_abuse_of_an_adult_that_is_over_is_distress(text):
    a = assess(text)
    assert a.level is Level.DISTRESS, a.reason
    assert Category.ABUSE in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "my ex hit me up last night asking to get back together",
        "my mum threw me a surprise party",
        "my coach pushes me to do better",
        "my brother beat me at fifa again",
        "she hit me with a pillow lol",
        "my mum is going to kill me when she sees my report card",
        "yes and she's going to murder me when she gets home",
        "my parents kicked me out",
    ],
)
def test_violence_words_in_ordinary_talk_are_not_abuse(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason
    assert Category.ABUSE not in a.categories


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Does anyone hurt you at home?", "my mums boyfriend"),
        ("Who is hurting you?", "my uncle. hes staying with us"),
        ("How often does it happen?", "every night"),
        ("Have you told anyone?", "he said i can't tell anyone"),
        ("Are you safe at home?", "not when my stepdad is home"),
    ],
)
def test_an_answer_that_names_who_how_often_or_a_secret_after_a_question_about_abuse_is_elevated(question, answer):
    a = assess(answer, AssessmentContext(recent_texts=(question,)))
    assert a.level is Level.ELEVATED, a.reason
    assert a.categories == {Category.ABUSE}


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is someone hurting you?", "no, nobody. i'm ok"),
        ("Are you safe at home?", "yes im safe at home"),
        ("Are you safe at home?", "yes, my husband is lovely, it's his mum who's hard work"),
        ("Are you thinking of hurting someone?", "no not really"),
        ("Who are you angry with?", "my mum i guess, she was annoying today lol"),
    ],
)
def test_a_reassuring_answer_to_a_question_about_abuse_or_harming_someone_is_not_raised(question, answer):
    assert level_of(answer, recent_texts=(question,)) < Level.ELEVATED


@pytest.mark.parametrize(
    ("question", "answer"),
    [("Are you thinking of hurting someone?", "yes my stepdad"), ("Who do you want to hurt?", "everyone at school")],
)
def test_a_yes_or_a_target_after_a_question_about_harming_someone_is_harm_to_others_not_self_harm(question, answer):
    a = assess(answer, AssessmentContext(recent_texts=(question,)))
    assert a.level is Level.ELEVATED, a.reason
    assert a.categories == {Category.HARM_TO_OTHERS}


def test_a_threat_to_the_sender_is_abuse_not_the_threatener_at_risk():
    a = assess("my dad says if i tell anyone he'll kill me")
    assert Category.ABUSE in a.categories
    assert Category.SELF_HARM not in a.categories
    assert not a.third_person


def test_exploitation_is_elevated():
    a = assess("a guy online says he'll post my pics if i don't send more, i'm 14")
    assert a.level is Level.ELEVATED
    assert Category.ABUSE in a.categories


def test_personal_info_sets_category_but_not_level():
    a = assess("text me on 07700 900123")
    assert a.level is Level.NONE
    assert Category.PERSONAL_INFO in a.categories
    assert "phone" in a.reason


def test_personal_info_with_risk_keeps_the_risk_level():
    a = assess("i want to die, my number is 07700 900123")
    assert a.level is Level.ELEVATED
    assert {Category.SELF_HARM, Category.PERSONAL_INFO} <= a.categories


def test_listener_misconduct_weighted_by_sender_role():
    text = "what's your number? we could meet up after"
    listener = assess(text, AssessmentContext(sender_role="listener"))
    assert Category.LISTENER_MISCONDUCT in listener.categories
    assert listener.level is Level.NONE
    assert "listener" in listener.reason
    seeker = assess("can we meet up?", AssessmentContext(sender_role="seeker"))
    assert Category.LISTENER_MISCONDUCT not in seeker.categories


def test_sexual_advances_flagged_from_any_sender():
    for role in ("listener", "seeker", "member"):
        a = assess("send me a pic of yourself", AssessmentContext(sender_role=role))
        assert Category.LISTENER_MISCONDUCT in a.categories, role


def test_romantic_advance_from_listener():
    a = assess("you're really cute, do you have a boyfriend?", AssessmentContext(sender_role="listener"))
    assert Category.LISTENER_MISCONDUCT in a.categories


@pytest.mark.parametrize(
    "text", ["you're pathetic, nobody likes you", "go back to your own country", "this app is full of r3tards"]
)
def test_harassment_and_hate(text):
    a = assess(text)
    assert Category.HARASSMENT in a.categories
    assert a.level < Level.ELEVATED


def test_telling_someone_to_kill_themselves_is_harassment_not_self_harm():
    a = assess("kys loser")
    assert Category.HARASSMENT in a.categories
    assert Category.SELF_HARM not in a.categories
    assert a.level is Level.NONE


def test_listener_asking_about_suicide_is_not_risk():
    a = assess("Can I ask, are you having thoughts of suicide?", AssessmentContext(sender_role="listener"))
    assert a.level is Level.NONE
    assert Category.SELF_HARM not in a.categories


# ---------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "text",
    [
        "k1ll mys3lf",  # leetspeak
        "i w4nt t0 d1e",
        "su1c1dal",
        "k i l l  m y s e l f",  # spaced out
        "kill.my.self",  # punctuation inside
        "k-m-s",
        "i want to diiiieeee",  # repeated letters
        "KILLLL MYSELFFF",
        "i want to k\u200bill myself",  # zero-width space
        "i want to d\u0456e",  # Cyrillic i
        "i want to dïe",  # diacritics
        "i wanna unalive myself",  # chat spelling
        "kms",
        "i just want to end it all",
        "i want to die",  # fullwidth characters
    ],
)
def test_obfuscated_spellings_are_caught(text):
    assert level_of(text) >= Level.ELEVATED, text


def test_numbers_and_times_are_not_leetspeak():
    # "4am" must stay a time, not become "aam"; ordinary numbers stay numbers
    assert level_of("i usually wake up at 4am") is Level.NONE
    assert level_of("i'm 16 and in year 11") is Level.NONE


# ------------------------------------------------------- negation / past


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to hurt myself",
        "I would never kill myself",
        "i'm not suicidal, just stressed",
        "i never wanted to die, i was just overwhelmed",
        "i haven't self harmed in a year",
    ],
)
def test_negation_does_not_escalate(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason


def test_negation_is_clause_bound():
    # "don't" belongs to another clause: the ideation still counts
    assert level_of("i don't know, i want to die") is Level.ELEVATED


@pytest.mark.parametrize(
    "text",
    [
        "I used to cut",
        "i used to want to die but therapy helped",
        "back in uni i tried to kill myself, i'm much better now",
    ],
)
def test_past_is_distress(text):
    a = assess(text)
    assert a.level is Level.DISTRESS, a.reason
    assert "past" in a.reason


def test_past_attempt_with_current_ideation_stays_elevated():
    a = assess("i tried to kill myself last year and i'm starting to feel that way again")
    assert a.level is Level.ELEVATED


# ------------------------------------------------------------ third person


@pytest.mark.parametrize(
    "text",
    [
        "my friend wants to die",
        "my friend told me she wants to kill herself",
        "my brother has been cutting himself",
        "i'm worried about my girlfriend, she's been thinking about suicide",
    ],
)
def test_third_person(text):
    a = assess(text)
    assert a.level is Level.ELEVATED, a.reason
    assert a.third_person is True
    assert "third person" in a.reason
    assert Category.SELF_HARM in a.categories


def test_first_person_wins_over_third_person():
    a = assess("my friend wants to die and honestly so do i, i want to die too")
    assert a.level is Level.ELEVATED
    assert a.third_person is False


def test_third_person_attempt_in_progress_is_imminent():
    a = assess("my friend just texted me she took a whole bottle of pills")
    assert a.level is Level.IMMINENT
    assert a.third_person is True


# ---------------------------------------------------------------- context


def test_plan_after_earlier_ideation_is_imminent():
    ctx = AssessmentContext(recent_texts=("hi", "i want to die", "I'm really sorry. Can you tell me more?"))
    a = assess("I have the pills saved up", ctx)
    assert a.level is Level.IMMINENT
    assert Category.SELF_HARM in a.categories


def test_means_named_after_ideation_is_imminent_only_with_context():
    text = "there's a bottle of my mum's pills in the bathroom"
    assert level_of(text) < Level.ELEVATED
    ctx = AssessmentContext(recent_texts=("i want to die", "I'm here with you. Do you have a way in mind?"))
    a = assess(text, ctx)
    assert a.level is Level.IMMINENT
    assert "earlier" in a.reason
    assert any(s.rule.startswith("context.") for s in a.spans)


@pytest.mark.parametrize("followup", ["yeah. tonight", "my dad has a gun in the garage", "no. i already took them"])
def test_timing_or_means_after_ideation_is_imminent(followup):
    ctx = AssessmentContext(recent_texts=("i keep thinking about killing myself", "Are you safe right now?"))
    assert level_of(followup, recent_texts=ctx.recent_texts) is Level.IMMINENT


def test_farewell_after_ideation_is_imminent_but_not_alone():
    assert level_of("goodbye, thanks for everything") is Level.NONE
    recent = ("honestly i just want to end it all", "I'm really glad you told me.")
    assert level_of("goodbye, thanks for everything", recent_texts=recent) is Level.IMMINENT


def test_stored_levels_of_the_earlier_messages_decide_whether_context_is_looked_for(monkeypatch):
    """With the levels the earlier messages were stored with, an elevated one still makes a plan
    imminent; when none was elevated the earlier texts are not analysed again at all."""
    from safety.classifier import engine

    recent = ("hi", "i want to die", "I'm really sorry. Can you tell me more?")
    stored = (int(Level.NONE), int(Level.ELEVATED), int(Level.NONE))
    assert (
        assess("I have the pills saved up", AssessmentContext(recent_texts=recent, recent_levels=stored)).level
        is Level.IMMINENT
    )

    looked = []
    real_context_cue = engine._context_cue
    monkeypatch.setattr(engine, "_context_cue", lambda *args: looked.append(args) or real_context_cue(*args))
    calm = ("my cat is sick", "Oh no, is she at the vet?")
    a = assess("yeah, she takes her pills tonight", AssessmentContext(recent_texts=calm, recent_levels=(0, 0)))
    assert a.level < Level.ELEVATED
    assert looked == []

    # Levels that do not line up with the texts are not trusted: the earlier texts are analysed.
    mismatched = AssessmentContext(recent_texts=recent, recent_levels=(0,))
    assert assess("I have the pills saved up", mismatched).level is Level.IMMINENT


def test_context_without_ideation_does_not_escalate():
    recent = ("my cat is sick", "Oh no, is she at the vet?")
    assert level_of("yeah, she takes her pills tonight", recent_texts=recent) < Level.ELEVATED
    assert level_of("going to the gym tonight", recent_texts=("this homework is killing me",)) < Level.ELEVATED


def test_context_with_only_past_ideation_does_not_escalate():
    assert level_of("better now, i see a therapist tonight", recent_texts=("i used to want to die",)) < Level.ELEVATED


def test_context_from_third_person_ideation_marks_third_person():
    a = assess("she said she's got a rope", AssessmentContext(recent_texts=("my friend said she wants to die",)))
    assert a.level is Level.IMMINENT
    assert a.third_person is True


def test_only_the_last_few_messages_count():
    old = ("i want to die",) + ("ok",) * 20
    assert level_of("tonight", recent_texts=old) < Level.ELEVATED


# ----------------------------------------------------------------- idioms

IDIOMS = [
    "this homework is killing me",
    "I could die of embarrassment",
    "I'm dying to see that movie",
    "she's killing it at work",
    "my feet are killing me",
    "dead tired after work",
    "I'd kill for a coffee",
    "I almost died laughing",
    "my phone is dead",
    "that joke killed me 😂",
    "my mum will kill me if she finds out",
    "I'm so dead if I miss the bus",
    "I would die for this band",
    "bored to death in maths",
    "that film scared me to death",
    "killing time before class",
    "kill two birds with one stone",
    "the battery is dying",
    "I'm dying for a nap",
    "I killed the presentation today",
    "over my dead body",
    "this heat will be the death of me",
    "I'm starving to death, when's dinner",
    "my legs are dead after leg day",
    "my brother is gonna murder me for taking his hoodie",
    "the suspense is killing me",
    "this dress is to die for",
    "dying my hair pink this weekend",
    "cut my hair short today",
    "I'm killing myself laughing at this",
    "I ran 5 kms this morning",
    "the wifi keeps dying",
    "we read about suicide prevention in health class",
    "I'm sick to death of the rain",
]


@pytest.mark.parametrize("text", IDIOMS)
def test_idioms_do_not_alarm(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason
    assert Category.SELF_HARM not in a.categories
    assert Category.HARM_TO_OTHERS not in a.categories


def test_idiom_does_not_hide_real_risk_in_the_same_message():
    a = assess("this homework is killing me and honestly i want to die")
    assert a.level is Level.ELEVATED


# ------------------------------------------------------------------ spans


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Honestly I want to DIE", "want to DIE"),
        ("ok so... k i l l  m y s e l f", "k i l l  m y s e l f"),
        ("I'm done. I w4nt t0 d1e.", "w4nt t0 d1e"),
        ("I want to k\u200bill myself", "k\u200bill myself"),
        ("i want to d\u0456e 😔", "d\u0456e"),
    ],
)
def test_spans_point_into_the_original_text(text, fragment):
    a = assess(text)
    risk = [s for s in a.spans if s.category is Category.SELF_HARM]
    assert risk, a
    assert any(fragment in text[s.start : s.end] for s in risk), [text[s.start : s.end] for s in risk]
    for s in a.spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.rule


def test_pii_spans_in_assessment():
    text = "mail me at sam@example.com please"
    a = assess(text)
    (span,) = [s for s in a.spans if s.category is Category.PERSONAL_INFO]
    assert text[span.start : span.end] == "sam@example.com"


# ------------------------------------------------------------ rule files


def test_rules_are_compiled_once_and_cached():
    assert get_rules("en") is get_rules("en")


def test_unknown_language_falls_back_to_english():
    assert get_rules("xx") is get_rules("en")
    assert level_of("i want to die", language="fr-CA") is Level.ELEVATED


def _write(tmp_path, body: str) -> Path:
    base = (RULES_DIR / "en.toml").read_text(encoding="utf-8")
    path = tmp_path / "xx.toml"
    path.write_text(base + "\n" + body, encoding="utf-8")
    return path


def test_shipped_rule_file_loads():
    rules = load_rule_file(RULES_DIR / "en.toml")
    assert rules.language == "en"
    assert {r.category for r in rules.rules} >= {
        Category.SELF_HARM,
        Category.HARM_TO_OTHERS,
        Category.ABUSE,
        Category.LISTENER_MISCONDUCT,
        Category.HARASSMENT,
    }


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            '[[rule]]\nid = "bad.cat"\ncategory = "selfharm"\nlevel = "elevated"\nphrases = ["x"]\n',
            r"rule #\d+ \(bad.cat\): unknown category 'selfharm'",
        ),
        (
            '[[rule]]\nid = "bad.level"\ncategory = "self_harm"\nlevel = "urgent"\nphrases = ["x"]\n',
            r"\(bad.level\): unknown level 'urgent'",
        ),
        (
            '[[rule]]\nid = "bad.vocab"\ncategory = "self_harm"\nlevel = "elevated"\nphrases = ["<nope> x"]\n',
            r"\(bad.vocab\)\.phrases\[0\] '<nope> x': unknown vocab list <nope>",
        ),
        (
            '[[rule]]\nid = "bad.brace"\ncategory = "self_harm"\nlevel = "elevated"\nphrases = ["{a|b"]\n',
            r"\(bad.brace\)\.phrases\[0\]",
        ),
        (
            '[[rule]]\nid = "bad.regex"\ncategory = "self_harm"\nlevel = "elevated"\npatterns = ["(unclosed"]\n',
            r"\(bad.regex\)\.patterns\[0\]: invalid regular expression",
        ),
        (
            '[[rule]]\nid = "bad.key"\ncategory = "self_harm"\nlevel = "elevated"\nphrase = ["x"]\n',
            r"\(bad.key\): unknown key\(s\): phrase",
        ),
        (
            '[[rule]]\nid = "self_harm.ideation"\ncategory = "self_harm"\nlevel = "elevated"\nphrases = ["x"]\n',
            r"duplicate id 'self_harm.ideation'",
        ),
        (
            '[[rule]]\nid = "bad.empty"\ncategory = "self_harm"\nlevel = "elevated"\n',
            r"\(bad.empty\): needs at least one entry",
        ),
    ],
)
def test_invalid_rule_file_names_file_and_entry(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(RuleFileError, match=expected) as info:
        load_rule_file(path)
    assert str(path) in str(info.value)


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[rule\nid = 1\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="broken.toml: not valid TOML"):
        load_rule_file(path)


def test_missing_rule_file(tmp_path):
    with pytest.raises(RuleFileError, match="rule file not found"):
        load_rule_file(tmp_path / "nope.toml")


def test_unknown_cue_in_imminent_when(tmp_path):
    base = (RULES_DIR / "en.toml").read_text(encoding="utf-8")
    base = base.replace('context = ["intent",', 'context = ["intnet",')
    path = tmp_path / "xx.toml"
    path.write_text(base, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"imminent_when.context: unknown cue 'intnet'"):
        load_rule_file(path)


def test_a_new_rule_in_a_file_takes_effect(tmp_path):
    path = _write(
        tmp_path,
        '[[rule]]\nid = "self_harm.custom"\ncategory = "self_harm"\nlevel = "elevated"\nphrases = ["{yeet|yote} myself {off|into} the {void|sun}"]\n',
    )
    rules = load_rule_file(path)
    rule = next(r for r in rules.rules if r.id == "self_harm.custom")
    assert rule.regex.search("i want to yeet myself into the sun")
    assert rule.regex.search("i want to yeeeet myself into the void")
    assert not rule.regex.search("yeet the ball into the sun")


# --------------------------------------------------------- evaluation set


def test_shipped_set_meets_targets():
    result = evaluate_file(DEFAULT_SET)
    assert result.total >= 320
    assert check_targets(result, min_recall_imminent=0.95, min_recall_elevated=0.90, max_false_alarm=0.05) == []
    assert result.recall(Level.IMMINENT) >= 0.95
    assert result.recall(Level.ELEVATED) >= 0.90
    assert result.false_alarm_rate <= 0.05


def test_shipped_set_is_a_good_mix():
    result = evaluate_file(DEFAULT_SET)
    share = {lv: result.scores[lv].support / result.total for lv in Level}
    assert 0.30 <= share[Level.NONE] <= 0.45
    assert share[Level.DISTRESS] >= 0.15
    assert share[Level.ELEVATED] >= 0.15
    assert share[Level.IMMINENT] >= 0.12
    for cat in Category:
        assert result.category_recall.get(cat, (0, 0))[1] >= 9, cat


def test_held_out_set_has_no_false_alarms_above_target():
    # written after the rules; recall on it is reported in docs, not asserted
    result = evaluate_file(DATA / "eval_holdout_en.csv")
    assert result.false_alarm_rate <= 0.05


def test_context_set_plans_after_ideation_are_imminent():
    result = evaluate_file(DATA / "eval_context_en.csv")
    assert result.recall(Level.IMMINENT) == 1.0
    assert result.false_alarm_rate == 0.0


# ------------------------------------------- benign near-misses (regression)

BENIGN_NEAR_MISSES = [
    "i took my meds this morning",
    "i am going to jump in the pool later",
    "we will jump at the chance",
    "im on the roof fixing the gutter",
    "my finger wont stop bleeding lol paper cut",
    "i have to take all my pills with food",
    "goodbye everyone see you tomorrow!",
    "the pills are kicking in, my headache is finally gone",
    "i bought a rope for the swing",
    "i could kill him lol he ate my chips",
    "tell my mum im sorry i will be late",
    "shes killing herself with work",
    "i think im going to end it with my boyfriend",
    "i wrote a letter to my grandma",
    "i gave away my old clothes to charity",
    "i took a bunch of photos",
    "last message before i go to bed",
]


@pytest.mark.parametrize("text", BENIGN_NEAR_MISSES)
def test_benign_near_misses_are_not_escalated(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason


@pytest.mark.parametrize(
    "text",
    [
        "i'm about to jump",
        "im going to jump off the bridge",
        "i'm going to jump after everyone is asleep",
        "im on the edge of the roof",
    ],
)
def test_jumping_with_intent_is_imminent(text):
    assert level_of(text) is Level.IMMINENT


# ------------------------------------------- risk told without risk words (issue 16)


@pytest.mark.parametrize(
    "text",
    [
        "i just swallowed a handful of pills",
        "took my whole bottle of sertraline like 20 mins ago",
        "i necked two packets of paracetamol and now im scared",
        "hands are shaking i just drank half a bottle of antifreeze",
        "ive taken 40 tylenol",
        "i've tied the belt to the door handle",
        "sitting in the car in the garage with the engine running",
    ],
)
def test_an_overdose_or_attempt_described_by_act_and_means_is_imminent(text):
    a = assess(text)
    assert a.level is Level.IMMINENT, a.reason
    assert Category.SELF_HARM in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "sat on the train tracks rn",
        "i'm on the wrong side of the railing",
        "standing on the bridge looking down at the water right now",
        "on the edge of the car park roof",
        "im at the top of the multi storey car park. nobody knows where i am",
    ],
)
def test_being_at_a_place_of_danger_now_is_imminent(text):
    assert level_of(text) is Level.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "im on the roof fixing the gutter",
        "on the bridge heading to work now",
        "we had a picnic by the river, lovely view",
        "jumping off the roof in minecraft was sick",
    ],
)
def test_a_high_place_with_a_harmless_reason_is_not_escalated(text):
    assert level_of(text) < Level.ELEVATED


@pytest.mark.parametrize(
    "text",
    [
        "i wrote letters to my family and put them in my desk",
        "gave my cat to my neighbour. they wont need to deal with it later",
        "deleted all my socials and said goodbye to everyone i care about",
        "i've got enough pills saved now",
        "how many paracetamol would it take to not wake up",
        "i know how i'm going to do it now",
        "im going to take all my pills after my parents go to bed",
    ],
)
def test_preparation_plans_and_researched_methods_are_imminent(text):
    assert level_of(text) is Level.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "you won't hear from me again. goodbye",
        "i won't be here tomorrow",
        "tell my mum i love her and i'm sorry",
        "see you on the other side",
    ],
)
def test_farewells_are_imminent(text):
    assert level_of(text) is Level.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "i hope i dont wake up",  # passive ideation
        "if a bus hit me i wouldn't even mind",
        "i keep thinking about driving my car into a wall",  # intrusive
        "the urge to cut is so strong tonight",  # urge
        "my thighs are covered in fresh cuts",  # current self-harm
        "broke my sh streak",  # relapse
        "i burned my arm with a lighter on purpose",  # other self-injury
        "i wear long sleeves so nobody sees the cuts",  # concealment
        "i told the crisis team i was fine so they wouldnt section me",
        "thinking about sewerslide again",  # slang
        "i wanna k*ll myself",  # starred-out letters
        "i have sucidal thoughts",  # misspelling
        "i want to catch the bus",
    ],
)
def test_ideation_urges_relapse_and_concealment_are_elevated(text):
    a = assess(text)
    assert a.level >= Level.ELEVATED, a.reason
    assert Category.SELF_HARM in a.categories


@pytest.mark.parametrize(
    "text",
    [
        "i'm literally going to die of embarrassment",  # hyperbole
        "im gonna kill myself if i have to hear that song again 😂",
        "this meeting makes me want to kms lol",
        "i need to kill the process before it hangs",  # harmless vocabulary
        "how many paracetamol can i take for a migraine",
        "dyed my hair and cut my fringe",
        "we studied overdose management in pharmacology today",  # study and work
        "i'm a nurse and we had an overdose come in",
        "writing an essay on suicide rates in young men",
        "i tried to kill myself years ago but i'm in a good place now",  # resolved past
        "i've been self harm free for 500 days today!!",
        "my uncle died by suicide last year and i miss him",  # grief for someone else
        "my brother killed himself and i can't sleep",
        "i'm sad but i'm not going to hurt myself",  # denial
        "gave my old books away to the charity shop",  # ordinary preparation-like acts
        "i deleted instagram for my mental health",
        "i wrote a letter to my future self for school",
        "took two paracetamol for my headache",
    ],
)
def test_false_alarm_classes_stay_below_elevated(text):
    a = assess(text)
    assert a.level < Level.ELEVATED, a.reason


def test_laughter_alone_does_not_make_a_disclosure_a_joke():
    assert level_of("maybe i should just kms lol") is Level.ELEVATED


def test_telling_someone_else_to_end_it_is_not_the_senders_risk():
    a = assess("ur so annoying pls just unalive urself")
    assert Category.SELF_HARM not in a.categories
    assert a.level < Level.ELEVATED


def test_a_listeners_words_about_the_seekers_risk_are_not_the_listeners_risk():
    a = assess(
        "You said you've been thinking about suicide every day. How long has that been going on?",
        AssessmentContext(sender_role="listener"),
    )
    assert a.level is Level.NONE
    assert Category.SELF_HARM not in a.categories
    # the same words from a seeker are risk
    assert level_of("i've been thinking about suicide every day") >= Level.ELEVATED


@pytest.mark.parametrize(
    "question, answer",
    [
        ("Did you take something?", "all of them idk"),
        ("How many did you take?", "the whole box"),
        ("Are you safe right now?", "no. on the tracks"),
        ("Where are you right now?", "the bridge"),
        ("Have you hurt yourself tonight?", "yeah"),
    ],
)
def test_an_answer_to_a_question_about_risk_is_judged_with_the_question(question, answer):
    a = assess(answer, AssessmentContext(recent_texts=("i can't do this anymore", question)))
    assert a.level is Level.IMMINENT, a.reason


@pytest.mark.parametrize(
    "question, answer",
    [
        ("Are you safe right now?", "yes im at home with my mum"),
        ("Did you take something?", "no i didnt take anything, just tired"),
        ("Where are you right now?", "at work"),
        ("What did you take?", "just my normal meds, like the doctor said"),
    ],
)
def test_a_safe_answer_to_a_question_about_risk_is_not_escalated(question, answer):
    assert level_of(answer, recent_texts=("hi", question)) < Level.ELEVATED


# ------------------------------------------------------------------ languages


@pytest.mark.parametrize(
    "text, lang",
    [
        ("quiero morirme", "es"),
        ("ya no quiero vivir", "es"),
        ("je veux mourir", "fr"),
        ("j'ai envie d'en finir", "fr"),
        ("ich will nicht mehr leben", "de"),
        ("ich denke an selbstmord", "de"),
        ("quero morrer", "pt"),
        ("não quero mais viver", "pt"),
    ],
)
def test_suicidal_ideation_in_other_languages_is_at_least_elevated(text, lang):
    # with the conversation's language, and with the default where the text gives it away
    assert level_of(text, language=lang) >= Level.ELEVATED
    a = assess(text)
    assert a.level >= Level.ELEVATED, a.reason
    assert a.unscreened is False


@pytest.mark.parametrize(
    "text, lang",
    [
        ("me tomé todas las pastillas", "es"),
        ("voy a quitarme la vida esta noche", "es"),
        ("je vais me tuer ce soir", "fr"),
        ("ich habe alle tabletten genommen", "de"),
        ("vou pular da ponte amanhã", "pt"),
    ],
)
def test_attempts_and_plans_in_other_languages_are_imminent(text, lang):
    assert level_of(text, language=lang) is Level.IMMINENT


def test_a_message_in_a_language_without_rules_is_reported_unscreened():
    a = assess("я больше не хочу жить")
    assert a.unscreened is True
    assert a.language == "ru"
    assert "unscreened: language ru" in a.reason
    it = assess("non ce la faccio più, voglio solo che tutto finisca", AssessmentContext(language="it"))
    assert it.unscreened is True
    assert "unscreened" in it.reason
    # English rules still run on an unscreened message
    mixed = assess("я не знаю. i want to die", AssessmentContext(language="ru"))
    assert mixed.level is Level.ELEVATED
    assert mixed.unscreened is True


def test_english_and_covered_languages_are_not_reported_unscreened():
    assert assess("hello, how are you?").unscreened is False
    assert assess("i want to die", AssessmentContext(language="it")).unscreened is False
    assert assess("hola, ¿cómo estás?", AssessmentContext(language="auto")).unscreened is False
    assert assess("ok").unscreened is False


def test_look_alike_letters_inside_english_are_not_another_language():
    a = assess("i want to d\u0456e")
    assert a.unscreened is False
    assert a.level is Level.ELEVATED


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no sé qué hacer, estoy muy cansada de todo", "es"),
        ("je ne sais pas quoi faire, je suis fatiguée", "fr"),
        ("ich weiß nicht mehr weiter, mir geht es schlecht", "de"),
        ("não sei o que fazer, estou muito cansada", "pt"),
        ("i don't know what to do, i'm so tired", "en"),
        ("私はとても疲れています", "ja"),
        ("ok", None),
    ],
)
def test_language_guess(text, expected):
    from safety.classifier.language import guess_language

    assert guess_language(text) == expected


# ------------------------------------------------------------------ bad input

BAD_INPUTS = [
    "",
    "\x00",
    "a\x00b\x01c\x7f",
    "\ud800",
    "i want to die \udfff",
    "😂" * 2000,
    "💀" * 2000,
    "Привет 你好 مرحبا hello שלום",
    "\u200b" * 500,
    "\u202e" + "i want to die",
    "k" + "\u0301" * 300,
    " " * 5000,
    "i want to " * 2000,
    "k i l l " * 5000,
    "*" * 10000,
    "k*ll " * 5000,
    "a" * 100_000,
    "on the bridge " * 3000,
    ("{" + "|" * 50 + "}") * 100,
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=lambda t: repr(t[:20]) + f"x{len(t)}")
def test_bad_input_never_raises(text):
    a = assess(text)
    assert isinstance(a, Assessment)
    for s in a.spans:
        assert 0 <= s.start <= s.end <= len(text)


@pytest.mark.parametrize("value", [None, b"i want to die", b"\xff\xfe broken bytes", 42])
def test_non_text_input_is_screened_as_text(value):
    a = assess(value)  # type: ignore[arg-type]
    assert isinstance(a, Assessment)
    if value == b"i want to die":
        assert a.level is Level.ELEVATED


def test_arbitrary_text_never_raises_and_spans_stay_inside():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.text(max_size=300), st.sampled_from(["en", "auto", "es", "it", "xx-YY", ""]))
    def check(text, language):
        a = assess(text, AssessmentContext(language=language, recent_texts=(text[:20],)))
        assert isinstance(a.level, Level)
        for s in a.spans:
            assert 0 <= s.start <= s.end <= len(text)

    check()


def test_spans_of_repaired_spellings_point_into_the_original_text():
    text = "I feel SUCIDAL again"
    a = assess(text)
    (span,) = [s for s in a.spans if s.category is Category.SELF_HARM]
    assert text[span.start : span.end] == "SUCIDAL"
    text = "gonna k*ll myself"
    a = assess(text)
    assert any("k*ll myself" in text[s.start : s.end] for s in a.spans)


# ------------------------------------------------------------ rule conditions


def test_a_rule_can_require_and_exclude_cues(tmp_path):
    path = _write(
        tmp_path,
        (
            '[[rule]]\nid = "self_harm.custom"\ncategory = "self_harm"\nlevel = "imminent"\n'
            'requires_any = ["timing"]\nunless = ["benign_topic"]\nphrases = ["{yeet|yote} myself"]\n'
        ),
    )
    rules = load_rule_file(path)
    rule = next(r for r in rules.rules if r.id == "self_harm.custom")
    assert rule.requires_any == ("timing",) and rule.unless == ("benign_topic",)


def test_an_unknown_cue_in_a_rule_condition_names_the_rule(tmp_path):
    path = _write(
        tmp_path,
        '[[rule]]\nid = "bad.cond"\ncategory = "self_harm"\nlevel = "elevated"\nunless = ["nope"]\nphrases = ["x"]\n',
    )
    with pytest.raises(RuleFileError, match=r"\(bad.cond\)\.unless: unknown cue 'nope'"):
        load_rule_file(path)


def test_groups_may_nest_and_phrases_may_carry_accents(tmp_path):
    path = _write(
        tmp_path,
        '[[rule]]\nid = "self_harm.nested"\ncategory = "self_harm"\nlevel = "elevated"\nphrases = ["{je veux {mourir|disparaître}|zzz}"]\n',
    )
    rule = next(r for r in load_rule_file(path).rules if r.id == "self_harm.nested")
    assert rule.regex.search("je veux disparaitre")
    assert rule.regex.search("zzz")


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "pt"])
def test_every_shipped_rule_file_loads(lang):
    assert load_rule_file(RULES_DIR / f"{lang}.toml").language == lang
