"""The evaluation module and the `safety_eval` management command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safety.classifier import Assessment, Category, Level, assess
from safety.classifier.backends import get_assessor
from safety.classifier.evaluation import (
    DEFAULT_SET,
    EvalDataError,
    check_targets,
    evaluate,
    evaluate_file,
    format_report,
    read_examples,
)


def write(tmp_path: Path, body: str, name: str = "set.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("safety_eval", *args, stdout=out)
    return out.getvalue()


# ------------------------------------------------------------ evaluation.py


def test_read_examples_parses_optional_columns(tmp_path):
    path = write(
        tmp_path,
        'text,level,category,role,context\n"hi, there",none,,,\nyeah tonight,imminent,self_harm,seeker,i want to die || Are you safe?\n',
    )
    first, second = read_examples(path)
    assert first.text == "hi, there" and first.level is Level.NONE and first.category is None
    assert second.category is Category.SELF_HARM
    assert second.context == ("i want to die", "Are you safe?")
    assert second.line == 3


@pytest.mark.parametrize(
    "body, message",
    [
        ("words,level\nhi,none\n", r"line 1: missing column\(s\): text"),
        ("text,category\nhi,\n", r"line 1: missing column\(s\): level"),
        ("text,level\nhi,none\nbye,urgent\n", "line 3: unknown level 'urgent'"),
        ("text,level,category\nhi,none,selfharm\n", "line 2: unknown category 'selfharm'"),
        ("text,level\n,none\n", "line 2: empty text"),
        ("text,level\n", "no examples"),
        ("", "empty file"),
    ],
)
def test_read_examples_errors_name_the_line(tmp_path, body, message):
    with pytest.raises(EvalDataError, match=message):
        read_examples(write(tmp_path, body))


def test_evaluate_counts_precision_recall_confusion_and_false_alarms():
    examples = read_examples(
        io.StringIO(
            "text,level\n"
            "hello,none\n"
            "i want to die,elevated\n"
            "i'm going to kill myself tonight,imminent\n"
            "i feel so alone,distress\n"
            "i am fine,imminent\n"  # a deliberate miss
        )
    )
    result = evaluate(examples)
    assert result.total == 5
    assert result.confusion[Level.IMMINENT][Level.NONE] == 1
    assert result.confusion[Level.IMMINENT][Level.IMMINENT] == 1
    assert result.recall(Level.IMMINENT) == 0.5
    assert result.precision(Level.IMMINENT) == 1.0
    assert result.precision(Level.NONE) == 0.5
    assert result.false_alarm_rate == 0.0
    assert len(result.misses) == 1
    assert check_targets(result, min_recall_imminent=0.95) == ["imminent recall 0.500 < 0.950"]


def test_false_alarm_rate_uses_a_pluggable_assessor():
    def alarmist(text, context=None):
        return Assessment(Level.IMMINENT, frozenset(), (), "always")

    examples = read_examples(io.StringIO("text,level\nhello,none\nsad,distress\nbye,imminent\n"))
    result = evaluate(examples, alarmist)
    assert result.false_alarms == 2 and result.ordinary == 2
    assert result.false_alarm_rate == 1.0
    assert check_targets(result, max_false_alarm=0.05) == ["false-alarm rate 1.000 > 0.050"]


def test_format_report_is_a_readable_table():
    report = format_report(evaluate_file(DEFAULT_SET), show_misses=3)
    for word in ("precision", "recall", "confusion", "imminent", "elevated", "false alarms"):
        assert word in report
    assert report.count("\n") > 12


# ------------------------------------------------------------- the command


def test_command_on_the_shipped_set_meets_targets():
    out = run("--min-recall-imminent", "0.95", "--min-recall-elevated", "0.90", "--max-false-alarm", "0.05")
    assert "eval_en.csv" in out
    assert "confusion" in out
    assert "all targets met" in out


def test_command_reports_precision_and_recall_per_level(tmp_path):
    path = write(tmp_path, "text,level\nhello,none\ni want to die,elevated\n")
    out = run(str(path))
    assert "precision" in out and "recall" in out
    assert "elevated" in out


def test_command_exits_non_zero_when_a_target_is_missed(tmp_path):
    path = write(tmp_path, "text,level\nhello,none\nall good here,imminent\n")
    with pytest.raises(CommandError, match="targets missed: imminent recall 0.000 < 0.950"):
        run(str(path), "--min-recall-imminent", "0.95")


@pytest.mark.parametrize(
    "body, message",
    [
        ("message,level\nhi,none\n", r"line 1: missing column\(s\): text"),
        ("text,level\nhi,none\nbye,critical\n", "line 3: unknown level 'critical'"),
    ],
)
def test_command_on_a_bad_csv_gives_a_clear_error(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(CommandError, match=message) as info:
        run(str(path))
    assert str(path) in str(info.value)


def test_command_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        run(str(tmp_path / "nope.csv"))


def test_command_rejects_targets_outside_0_1():
    with pytest.raises(CommandError):
        run("--max-false-alarm", "5")


# ---------------------------------------------------------------- backends


def test_default_backend_is_the_rules_followed_by_the_model(settings):
    from safety.classifier import combined

    if hasattr(settings, "SAFETY_ASSESSOR_BACKEND"):
        del settings.SAFETY_ASSESSOR_BACKEND
    assert get_assessor() is combined.assess


def test_backend_setting_is_read_at_call_time(settings):
    settings.SAFETY_ASSESSOR_BACKEND = "tests.safety.test_safety_eval.fake_assessor"
    assert get_assessor() is fake_assessor
    settings.SAFETY_ASSESSOR_BACKEND = "safety.classifier.assess"
    assert get_assessor() is assess


def test_command_uses_the_configured_backend(settings, tmp_path):
    settings.SAFETY_ASSESSOR_BACKEND = "tests.safety.test_safety_eval.fake_assessor"
    path = write(tmp_path, "text,level\nhello,none\n")
    with pytest.raises(CommandError, match="false-alarm rate 1.000"):
        run(str(path), "--max-false-alarm", "0.05")


def fake_assessor(text, context=None):
    return Assessment(Level.IMMINENT, frozenset(), (), "fake")


# ------------------------------------------------------- corpus format, figures, timing

CORPUS_HEADER = "text,level,category,role,context,lang,class\n"


def test_command_reads_the_corpus_format_and_reports_misses_per_class(tmp_path):
    path = write(
        tmp_path,
        CORPUS_HEADER
        + "i want to die,elevated,self_harm,seeker,,en,passive_ideation\n"
        + "all good here,imminent,self_harm,seeker,,en,farewell\n"
        + "this homework is killing me,none,,seeker,,en,hyperbole\n"
        + "yeah. tonight,imminent,self_harm,seeker,i want to end it all || are you safe?,en,plan_intent\n",
    )
    out = run(str(path))
    assert "per class" in out
    farewell = next(line for line in out.splitlines() if line.strip().startswith("farewell"))
    assert farewell.split()[-1] == "1"  # the one farewell row was missed
    hyperbole = next(line for line in out.splitlines() if line.strip().startswith("hyperbole"))
    assert hyperbole.split()[-1] == "0"
    assert "imminent recall (as imminent):         0.500  (1/2)" in out
    assert "imminent recall (as elevated+):        0.500  (1/2)" in out
    assert "elevated recall (as elevated+):        1.000  (1/1)" in out


def test_command_reports_time_per_message(tmp_path):
    path = write(tmp_path, "text,level\nhello,none\ni want to die,elevated\n")
    out = run(str(path))
    line = next(line for line in out.splitlines() if line.startswith("time per message"))
    assert "p50" in line and "p99" in line and "ms" in line


def test_per_class_scores_count_false_alarms_for_safe_classes():
    def alarmist(text, context=None):
        return Assessment(Level.ELEVATED, frozenset(), (), "always")

    examples = read_examples(
        io.StringIO(CORPUS_HEADER + "lol i'm dead,none,,seeker,,en,joke\nok,none,,seeker,,en,joke\n")
    )
    result = evaluate(examples, alarmist)
    assert result.classes["joke"].misses == 2 and result.classes["joke"].raised == 2


def test_rows_are_assessed_in_their_own_language(tmp_path):
    seen = []

    def recorder(text, context=None):
        seen.append(context.language)
        return Assessment(Level.NONE, frozenset(), (), "-")

    examples = read_examples(
        io.StringIO(CORPUS_HEADER + "hola,none,,seeker,,es,ordinary\nhi,none,,seeker,,,ordinary\n")
    )
    evaluate(examples, recorder, language="en")
    assert seen[-2:] == ["es", "en"]


def test_command_backend_option_selects_the_assessor(tmp_path):
    path = write(tmp_path, "text,level\nhello,none\n")
    out = run(str(path), "--backend", "tests.safety.test_safety_eval.fake_assessor")
    assert "backend: tests.safety.test_safety_eval.fake_assessor" in out
    assert "false alarms: 1/1" in out


def test_command_rejects_an_unknown_backend(tmp_path):
    path = write(tmp_path, "text,level\nhello,none\n")
    with pytest.raises(CommandError, match="--backend safety.nothing.here"):
        run(str(path), "--backend", "safety.nothing.here")
