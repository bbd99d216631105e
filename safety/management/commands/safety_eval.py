"""manage.py safety_eval [FILE.csv] [--backend DOTTED.PATH] — score the safety assessor on a labelled set.

Prints precision/recall per level, the confusion table, imminent recall (as
imminent and as elevated+), elevated+ recall, the false-alarm rate, misses per
class (when the file has a ``class`` column) and the time per message (p50/p99);
with --min-recall-imminent / --min-recall-elevated / --max-false-alarm
it exits non-zero when a target is missed, so CI can use it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

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
        parser.add_argument(
            "--max-false-alarm",
            type=_fraction,
            default=None,
            metavar="F",
            help="max share of none/distress messages raised to elevated or above",
        )
        parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="list up to N misclassified rows")
        parser.add_argument(
            "--backend",
            default=None,
            metavar="DOTTED.PATH",
            help="assessor to evaluate, e.g. safety.classifier.assess (rules only) or "
            "safety.classifier.combined.assess (default: the SAFETY_ASSESSOR_BACKEND setting)",
        )

    def handle(self, *args, **opts):
        path = opts["file"]
        try:
            examples = read_examples(path)
        except EvalDataError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if opts["backend"]:
            try:
                assessor = import_string(opts["backend"])
            except ImportError as exc:
                raise CommandError(f"--backend {opts['backend']}: {exc}") from None
            if not callable(assessor):
                raise CommandError(f"--backend {opts['backend']}: not a callable")
        else:
            assessor = get_assessor()
        result = evaluate(examples, assessor, language=opts["language"])
        name = getattr(assessor, "__module__", "?") + "." + getattr(assessor, "__qualname__", "?")
        self.stdout.write(f"{path}  (backend: {name})\n")
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
