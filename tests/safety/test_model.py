"""The learned risk model, the combined (rules + model) backend and `safety_train`."""

from __future__ import annotations

import csv
import io
import json
import logging
import random
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safety.classifier import AssessmentContext, Level, assess, combined, training
from safety.classifier import model as risk_model
from safety.classifier.evaluation import read_examples
from safety.classifier.model import DEFAULT_MODEL_PATH, ModelFileError, RiskModel, features, get_model

CORPUS = Path(risk_model.__file__).resolve().parents[1] / "data" / "corpus"
IMMINENT_BY_RULES = "i have the pills saved up and tonight is the night"


@pytest.fixture(autouse=True)
def fresh_model_cache():
    risk_model.clear_cache()
    combined._logged.clear()
    yield
    risk_model.clear_cache()


def model_file(tmp_path: Path, *, bias=(0.0, 0.0), weights=None, thresholds=(0.5, 0.5)) -> Path:
    m = RiskModel(
        weights=weights or {"w:hello": (1.0, 0.0, 0.0)},
        bias=bias,
        thresholds={"elevated": thresholds[0], "imminent": thresholds[1]},
    )
    path = tmp_path / "model.json"
    m.save(path)
    return path


# ------------------------------------------------------------------ features


def test_disguised_spellings_give_the_same_words_as_the_plain_ones():
    plain = {f for f in features("kill myself") if f.startswith("w:")}
    for disguised in ("k1ll mys3lf", "K I L L myself", "kiiiill myself", "kíll myself", "ki\u200bll myself"):
        assert plain <= features(disguised), disguised


def test_fast_scoring_equals_the_weighted_sum_of_the_feature_blocks():
    import math

    from safety.classifier.model import context_features, feature_blocks

    m = RiskModel.load(DEFAULT_MODEL_PATH)  # with the weights as trained, which a serving model drops

    def reference(text, recent=()):
        z = list(m.bias)
        blocks = list(feature_blocks(text, char_range=m.char_range))
        if m.context_turns and recent:
            blocks.append(context_features(recent, m.context_turns))
        for block in blocks:
            known = [m.weights[f] for f in block if f in m.weights]
            norm = math.sqrt(sum(idf * idf for idf, _, _ in known))
            for k in (0, 1):
                z[k] += sum(idf * w[k] for idf, *w in known) / norm if norm else 0.0
        return [1 / (1 + math.exp(-v)) for v in z]

    cases = [
        ("i want to die", ()),
        ("K1LL MYSELF 2nite!!", ()),
        ("😭😭 bye", ()),
        ("", ()),
        ("yes", ("do you have a plan?",)),
        ("ich will nicht mehr leben", ()),
        ("x" * 5000, ()),
    ]
    serving = get_model()
    for text, recent in cases:
        assert serving.score(text, recent) == m.score(text, recent)
        assert serving.category(text) == m.category(text)
    for text, recent in cases:
        s = m.score(text, recent)
        e, i = reference(text, recent)
        assert abs(s.elevated - e) < 1e-9 and abs(s.imminent - i) < 1e-9, text


def test_numbers_and_times_are_not_read_as_leetspeak():
    assert {"w:16", "w:4am"} <= features("im 16 and its 4am")


# ---------------------------------------------------------- the committed model


def test_committed_model_loads_and_ranks_a_crisis_above_small_talk():
    m = get_model()
    crisis = m.score("i don't want to be alive anymore")
    small_talk = m.score("what did you have for dinner")
    assert crisis.elevated > 0.5 > small_talk.elevated
    assert 0.0 < m.thresholds["elevated"] <= 1.0 and 0.0 < m.thresholds["imminent"] <= 1.0


def test_committed_model_file_is_small_and_names_how_it_was_built():
    data = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    assert DEFAULT_MODEL_PATH.stat().st_size < 8 * 2**20
    assert data["meta"]["train_rows"] > 0 and "dev_figures" in data["meta"]


# ---------------------------------------------------------- the combined backend


# A crisis message the rules do not catch, in none of the training files.
UNSEEN_CRISIS = "im ready to go, ive said my goodbyes"
TRAINING_FILES = (CORPUS / "train.csv", CORPUS.parent / "model_supplement_en.csv")


def test_combined_backend_raises_a_crisis_message_the_rules_miss():
    for path in TRAINING_FILES:
        trained_on = {"".join(ch for ch in ex.text.lower() if ch.isalnum()) for ex in read_examples(path)}
        assert "".join(ch for ch in UNSEEN_CRISIS if ch.isalnum()) not in trained_on, path
    assert assess(UNSEEN_CRISIS).level < Level.ELEVATED
    a = combined.assess(UNSEEN_CRISIS)
    assert a.level >= Level.ELEVATED
    assert "model" in a.reason and "p(elevated+)=" in a.reason


def test_combined_backend_leaves_small_talk_alone():
    # The closings are not in any training file: a bare thanks-and-goodbye ends most chats.
    for text in (
        "hey, how's your day going?",
        "this homework is killing me lol",
        "thanks for listening, bye",
        "thx for listening, bye now",
        "ok thank you for listening to me. byeee",
    ):
        assert combined.assess(text).level < Level.ELEVATED, text


def test_combined_backend_never_lowers_an_imminent_rules_verdict(tmp_path):
    calm = model_file(tmp_path, bias=(-30.0, -30.0))  # a model sure that nothing is a risk
    assert assess(IMMINENT_BY_RULES).level is Level.IMMINENT
    a = combined.assess(IMMINENT_BY_RULES, model_path=calm)
    assert a.level is Level.IMMINENT
    assert a.categories == assess(IMMINENT_BY_RULES).categories


def test_committed_model_keeps_every_imminent_rules_verdict():
    texts = [ex.text for ex in read_examples(Path(risk_model.__file__).resolve().parents[1] / "data" / "eval_en.csv")]
    for text in texts:
        if assess(text).level is Level.IMMINENT:
            assert combined.assess(text).level is Level.IMMINENT, text


def test_a_confident_model_raises_the_level_and_says_so(tmp_path):
    alarmed = model_file(tmp_path, bias=(30.0, 30.0))
    a = combined.assess("what a lovely day", model_path=alarmed)
    assert a.level is Level.IMMINENT
    assert a.reason.startswith("imminent: the model's reading (p(elevated+)=1.00, p(imminent)=1.00)")
    assert "rules: no risk indicators" in a.reason


def test_when_rules_and_model_agree_the_reason_names_both(tmp_path):
    alarmed = model_file(tmp_path, bias=(30.0, 30.0))
    a = combined.assess(IMMINENT_BY_RULES, model_path=alarmed)
    assert "rules and model agree: imminent" in a.reason


def test_the_model_reads_the_earlier_turn(tmp_path):
    m = RiskModel(
        weights={"w:yes": (1.0, 0.0, 0.0), "x:pills": (1.0, 20.0, 20.0)},
        bias=(-5.0, -5.0),
        thresholds={"elevated": 0.5, "imminent": 0.5},
        context_turns=1,
    )
    path = tmp_path / "ctx.json"
    m.save(path)
    assert combined.assess("yes", model_path=path).level is Level.NONE
    ctx = AssessmentContext(recent_texts=("do you have the pills with you?",))
    assert combined.assess("yes", ctx, model_path=path).level is Level.IMMINENT


def test_a_missing_model_file_falls_back_to_the_rules_and_logs_it(tmp_path, caplog):
    with caplog.at_level(logging.ERROR, logger="hearth.safety"):
        a = combined.assess(IMMINENT_BY_RULES, model_path=tmp_path / "absent.json")
        b = combined.assess("i feel a bit low today", model_path=tmp_path / "absent.json")
    assert a.level is Level.IMMINENT
    assert b.level == assess("i feel a bit low today").level
    assert "rules only: the model could not be used" in a.reason and "model file not found" in a.reason
    errors = [r for r in caplog.records if "screening with the rules only" in r.getMessage()]
    assert len(errors) == 1  # once, not once per message


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"format": "something-else/9"}',
        "",
        '{"format": "hearth-risk-linear/1", "bias": [0], "thresholds": {}}',
    ],
)
def test_a_corrupted_model_file_falls_back_to_the_rules(tmp_path, caplog, body):
    path = tmp_path / "broken.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ModelFileError, match=str(path)):
        RiskModel.load(path)
    with caplog.at_level(logging.ERROR, logger="hearth.safety"):
        a = combined.assess("i want to die", model_path=path)
    assert a.level == assess("i want to die").level
    assert "rules only" in a.reason
    assert any("rules only" in r.getMessage() for r in caplog.records)


def test_a_scoring_failure_falls_back_to_the_rules(tmp_path, monkeypatch, caplog):
    path = model_file(tmp_path)

    def broken(self, text, recent_texts=()):
        raise ZeroDivisionError("bad weights")

    monkeypatch.setattr(RiskModel, "score", broken)
    with caplog.at_level(logging.ERROR, logger="hearth.safety"):
        a = combined.assess(IMMINENT_BY_RULES, model_path=path)
    assert a.level is Level.IMMINENT and "rules only" in a.reason and "bad weights" in a.reason
    assert any(r.exc_info for r in caplog.records)


def test_the_model_is_loaded_at_start_up_not_on_the_first_message(settings):
    from safety import warmup

    settings.SAFETY_ASSESSOR_BACKEND = "safety.classifier.combined.assess"
    thread = warmup.compile_rules_at_start("en", on_failure=lambda: None)
    # the model is loaded before the patterns are compiled ahead of use, which takes longer
    deadline = time.monotonic() + 30
    while DEFAULT_MODEL_PATH not in risk_model._cache and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert DEFAULT_MODEL_PATH in risk_model._cache


def test_a_broken_model_at_start_up_is_logged_not_fatal(tmp_path, caplog):
    with caplog.at_level(logging.ERROR, logger="hearth.safety"):
        assert combined.warm(tmp_path / "absent.json") is False
    assert any("rules only" in r.getMessage() for r in caplog.records)


def test_combined_backend_is_selected_by_the_setting(settings):
    from safety.screening import screen_message

    settings.SAFETY_ASSESSOR_BACKEND = "safety.classifier.combined.assess"
    s = screen_message(text=UNSEEN_CRISIS, sender_role="seeker")
    assert s.needs_flag


# ------------------------------------------------------------------ safety_train

TINY_ROWS = [
    ("hi there", "none"),
    ("how are you today", "none"),
    ("what's up", "none"),
    ("lol same", "none"),
    ("that movie was great", "none"),
    ("i had pasta for dinner", "none"),
    ("good morning", "none"),
    ("see you tomorrow", "none"),
    ("i'm so tired of work", "distress"),
    ("i feel lonely lately", "distress"),
    ("my cat died last week and i miss her", "distress"),
    ("i can't stop crying", "distress"),
    ("i want to die", "elevated"),
    ("i wish i wasn't alive", "elevated"),
    ("i keep thinking about ending it", "elevated"),
    ("i cut myself again last night", "elevated"),
    ("i don't want to exist", "elevated"),
    ("i have been thinking about suicide", "elevated"),
    ("i took all the pills just now", "imminent"),
    ("i'm standing on the bridge ready to jump", "imminent"),
    ("tonight i'm going to end it, the rope is ready", "imminent"),
    ("this is my goodbye, i love you all", "imminent"),
    ("i've written my note and i'm doing it tonight", "imminent"),
    ("i swallowed everything in the cabinet", "imminent"),
]


def write_csv(path: Path, rows, header=("text", "level", "category", "role", "context", "lang", "class")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for text, level in rows:
            w.writerow([text, level, "self_harm" if level in ("elevated", "imminent") else "", "seeker", "", "en", ""])
    return path


def test_safety_train_on_a_tiny_corpus_writes_a_loadable_model(tmp_path):
    train = write_csv(tmp_path / "train.csv", TINY_ROWS)
    dev = write_csv(tmp_path / "dev.csv", TINY_ROWS[::2])
    out_path = tmp_path / "models" / "risk.json"
    out = io.StringIO()
    call_command(
        "safety_train",
        "--train",
        str(train),
        "--dev",
        str(dev),
        "--out",
        str(out_path),
        "--C",
        "4",
        "--context-turns",
        "0",
        "--min-df",
        "1",
        stdout=out,
    )
    text = out.getvalue()
    assert "rules only on dev" in text and "rules + model on dev" in text and "false alarms" in text
    m = RiskModel.load(out_path)
    assert m.meta["train_rows"] == len(TINY_ROWS)
    assert m.score("i want to die").elevated > m.score("good morning").elevated
    assert combined.assess("hi there", model_path=out_path).level is Level.NONE
    # the default calibration pools out-of-fold training scores with dev and checks its budget by fold
    assert "fold check" in text and m.meta["pool_rows"] == len(TINY_ROWS) + len(TINY_ROWS[::2])
    assert m.meta["model_budget"] in training.BUDGETS


def test_fold_check_measures_thresholds_on_rows_they_were_not_chosen_on():
    rng = random.Random(5)
    gold = [rng.choice((0, 0, 1, 2, 3)) for _ in range(600)]
    p_e = [min(1.0, max(0.0, (0.7 if g >= 2 else 0.3) + rng.uniform(-0.35, 0.35))) for g in gold]
    p_i = [min(1.0, max(0.0, (0.7 if g == 3 else 0.2) + rng.uniform(-0.35, 0.35))) for g in gold]
    rules = [0] * len(gold)
    groups = [i % 5 for i in range(len(gold))]
    fc = training.fold_check(gold, rules, p_e, p_i, groups, model_budget=0.02)
    assert fc.added_fa_calibrated <= 0.02 + 1e-9
    assert 0.0 <= fc.added_fa_held_out <= fc.worst_added_fa_held_out <= 1.0
    assert fc.risk_recall_held_out > 0.3
    assert training.fold_of("I want to die!", 5) == training.fold_of("i want to die", 5)


def test_safety_train_refuses_the_test_split(tmp_path):
    test = write_csv(tmp_path / "test.csv", TINY_ROWS)
    with pytest.raises(CommandError, match="test split is never used"):
        call_command("safety_train", "--train", str(test), "--dev", str(test), "--out", str(tmp_path / "m.json"))


def test_safety_train_on_a_bad_csv_gives_a_clear_error(tmp_path):
    bad = tmp_path / "train.csv"
    bad.write_text("message,level\nhi,none\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"train.csv: line 1: missing column\(s\): text"):
        call_command("safety_train", "--train", str(bad), "--dev", str(bad), "--out", str(tmp_path / "m.json"))
    with pytest.raises(CommandError, match="file not found"):
        call_command("safety_train", "--train", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m.json"))


def test_safety_train_needs_both_risk_and_ordinary_rows(tmp_path):
    only_calm = write_csv(tmp_path / "calm.csv", [r for r in TINY_ROWS if r[1] in ("none", "distress")])
    with pytest.raises(CommandError, match="needs rows both with and without"):
        call_command(
            "safety_train",
            "--train",
            str(only_calm),
            "--dev",
            str(only_calm),
            "--out",
            str(tmp_path / "m.json"),
            "--min-df",
            "1",
            "--C",
            "4",
            "--context-turns",
            "0",
        )


def test_the_model_names_the_category_of_what_it_raises():
    m = get_model()
    assert m.category("i want to kill myself") == "self_harm"
    assert m.category("i'm going to stab him when he gets home") == "harm_to_others"


def test_a_serving_model_cannot_be_saved_with_the_weights_it_dropped(tmp_path):
    with pytest.raises(ValueError):
        get_model().save(tmp_path / "copy.json")


# A denial beside passive ideation: a harmless reason for the rules, but still a wish not to live.
DENIES_INTENT = "i dont want to kill myself, i just dont want to exist anymore if that makes sense"


@pytest.mark.parametrize(
    "p_sure, expected",
    [(30.0, Level.ELEVATED), (0.5, Level.NONE)],  # logits: p(elevated+) of 1.00 and 0.62
)
def test_a_harmless_reason_holds_the_model_back_unless_it_is_very_sure_and_then_only_to_elevated(
    tmp_path, p_sure, expected
):
    from safety.classifier.engine import gives_harmless_reason

    assert gives_harmless_reason(DENIES_INTENT) and assess(DENIES_INTENT).level < Level.ELEVATED
    sure = model_file(tmp_path, bias=(p_sure, 30.0))  # imminent certain; elevated+ as given
    a = combined.assess(DENIES_INTENT, model_path=sure)
    assert a.level is expected, a.reason
    if expected is Level.ELEVATED:
        assert "despite a harmless reason (not imminent)" in a.reason
    else:
        assert "held back: the message gives a harmless reason" in a.reason


def test_the_committed_model_reads_passive_ideation_past_a_denial_of_intent():
    a = combined.assess(DENIES_INTENT)
    assert a.level is Level.ELEVATED, a.reason


def test_calibration_holds_the_model_back_as_the_combined_backend_does():
    import numpy as np

    rules = np.array([0, 0, 0, 0, Level.ELEVATED])
    p_elevated = np.array([0.95, 0.85, 0.95, 0.95, 0.95])
    p_imminent = np.array([0.99, 0.99, 0.99, 0.99, 0.99])
    held = [
        training.HARMLESS_REASON,
        training.HARMLESS_REASON,
        training.SILENCED,
        training.FREE,
        training.HARMLESS_REASON,
    ]
    levels = training.model_levels(rules, p_elevated, p_imminent, held, 0.8, 0.8)
    assert levels.tolist() == [Level.ELEVATED, 0, 0, Level.IMMINENT, Level.IMMINENT]


def test_a_risk_told_as_over_stays_held_back_however_sure_the_model_is(tmp_path):
    over = "i thought about killing myself a lot at 16 but i don't anymore"
    alarmed = model_file(tmp_path, bias=(30.0, 30.0))
    a = combined.assess(over, model_path=alarmed)
    assert a.level < Level.ELEVATED, a.reason
    assert "held back: the message tells the risk as over" in a.reason


def test_the_imminent_head_alone_does_not_raise_a_message_the_elevated_head_sees_no_risk_in(tmp_path):
    """Imminent risk is elevated risk too: a calm "thanks, you're the best" read as a quiet
    farewell by the imminent head alone is not raised."""
    lopsided = model_file(tmp_path, bias=(-3.0, 3.0))  # p(elevated+) 0.05, p(imminent) 0.95
    a = combined.assess("thank you so much, you are the best", model_path=lopsided)
    assert a.level is Level.NONE, a.reason
    (tmp_path / "agreeing").mkdir()
    agreeing = model_file(tmp_path / "agreeing", bias=(3.0, 3.0))
    assert combined.assess("thank you so much, you are the best", model_path=agreeing).level is Level.IMMINENT
