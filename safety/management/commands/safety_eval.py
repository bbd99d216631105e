"""manage.py safety_eval [FILE.csv] — score the safety assessor on a labelled set.

Prints precision/recall per level, the confusion table and the false-alarm
rate; with --min-recall-imminent / --min-recall-elevated / --max-false-alarm
it exits non-zero when a target is missed, so CI can use it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safety.classifier.backends import get_assessor
from safety.classifier.evaluation import (
    DEFAULT_SET,
    EvalDataError,
    check_targets,
    evaluate,
    format_report,
    read_examples,
)


def _fraction(value: str) -> float:
    import argparse

    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= f <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} must be between 0 and 1")
    return f


class Command(BaseCommand):
    help = "Evaluate the safety assessor on a labelled CSV (columns text,level[,category,role,context])."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_SET), help=f"CSV file (default: {DEFAULT_SET})")
        parser.add_argument("--language", default="en")
        parser.add_argument("--min-recall-imminent", type=_fraction, default=None, metavar="R")
        parser.add_argument("--min-recall-elevated", type=_fraction, default=None, metavar="R")
        parser.add_argument("--max-false-alarm", type=_fraction, default=None, metavar="F",
                            help="max share of none/distress messages raised to elevated or above")
        parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="list up to N misclassified rows")

    def handle(self, *args, **opts):
        path = opts["file"]
        try:
            examples = read_examples(path)
        except EvalDataError as exc:
            raise CommandError(f"{path}: {exc}") from None
        result = evaluate(examples, get_assessor(), language=opts["language"])
        self.stdout.write(f"{path}\n")
        self.stdout.write(format_report(result, show_misses=opts["show_misses"]) + "\n")
        failures = check_targets(
            result,
            min_recall_imminent=opts["min_recall_imminent"],
            min_recall_elevated=opts["min_recall_elevated"],
            max_false_alarm=opts["max_false_alarm"],
        )
        if failures:
            raise CommandError("targets missed: " + "; ".join(failures))
        if any(opts[k] is not None for k in ("min_recall_imminent", "min_recall_elevated", "max_false_alarm")):
            self.stdout.write(self.style.SUCCESS("all targets met") + "\n")
