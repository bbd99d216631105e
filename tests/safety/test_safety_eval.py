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
    path = write(tmp_path, 'text,level,category,role,context\n"hi, there",none,,,\nyeah tonight,imminent,self_harm,seeker,i want to die || Are you safe?\n')
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
    examples = read_examples(io.StringIO(
        "text,level\n"
        "hello,none\n"
        "i want to die,elevated\n"
        "i'm going to kill myself tonight,imminent\n"
        "i feel so alone,distress\n"
        "i am fine,imminent\n"  # a deliberate miss
    ))
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


def test_default_backend_is_the_rule_classifier(settings):
    if hasattr(settings, "SAFETY_ASSESSOR_BACKEND"):
        del settings.SAFETY_ASSESSOR_BACKEND
    assert get_assessor() is assess


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
