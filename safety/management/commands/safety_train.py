"""manage.py safety_train — train the risk model on the corpus and calibrate its thresholds.

    .venv/bin/pip install -e '.[train]'          # scikit-learn, numpy (training only)
    .venv/bin/python manage.py safety_train      # train.csv -> model; thresholds from out-of-fold train + dev.csv
    .venv/bin/python manage.py safety_train --compare   # also the other candidates, with speed

Trains on the train split, chooses the regularisation and context setting and
the two thresholds on the training rows scored out of fold together with the
dev split (``--calibration dev``: on dev alone), writes the model file
(``safety/classifier/models/risk_en.json`` by default) and prints the dev
figures of the rules alone and of rules + model. The test split is refused:
it is for one final measurement with ``safety_eval``, never for training,
thresholds or model choice.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safety.classifier.evaluation import EvalDataError, read_examples
from safety.classifier.model import DEFAULT_MODEL_PATH, RiskModel

DATA = Path(__file__).resolve().parents[2] / "data"
CORPUS = DATA / "corpus"
# Ordinary session endings and everyday messages that read like farewells or risk
# vocabulary: live chats end with "thanks, bye" all the time, and the corpus has
# few of them beside its many real farewells. Training only; never in dev or test.
SUPPLEMENT = DATA / "model_supplement_en.csv"
# Rows written for the classes outside reviewers found missed (attempts told by act
# and means, places of danger, preparation, farewells, passive ideation, self-harm
# in everyday words) and their hard negatives, in wording of their own: the corpus
# alone left the model unsure of them. Training only; never in dev or test.
SUPPLEMENT_V2 = DATA / "model_supplement_v2_en.csv"
# Abuse (current, with danger now, of minors, over) and harm to others (intent, urges,
# means with a target in reach) with their hard negatives: the corpus has few rows of
# either and none of current adult abuse at its present level. Training only.
SUPPLEMENT_V3 = DATA / "model_supplement_v3_en.csv"
# Everyday messages in the words the model read as risk (medicines as prescribed, bridges
# and platforms on the way somewhere, safe answers to a listener's question, thanks and
# goodbyes, idioms, plain sadness) and as many risky ones in the same words, so the words
# alone do not decide; some in es/fr/pt/de. Written by a helper who saw only the labelling
# brief (blind/brief_round3.md); rows matching a dev, test or held-out row were dropped.
SUPPLEMENT_V4 = DATA / "model_supplement_v4.csv"
# Rows written by writers who never saw the rules, the model or the corpus
# (safety/data/blind/README.md): their train part. Their dev part chooses between versions.
BLIND_TRAIN = DATA / "blind" / "train.csv"
DEFAULT_TRAIN = (CORPUS / "train.csv", SUPPLEMENT, SUPPLEMENT_V2, SUPPLEMENT_V3, SUPPLEMENT_V4, BLIND_TRAIN)


def _fraction(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= f <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} must be between 0 and 1")
    return f


class Command(BaseCommand):
    help = (
        "Train the safety risk model (train split) and calibrate its thresholds (out-of-fold train rows + dev split)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--train",
            action="append",
            default=None,
            metavar="FILE.csv",
            help=(f"training rows; repeat for several files (default: {', '.join(str(p) for p in DEFAULT_TRAIN)})"),
        )
        parser.add_argument("--dev", default=str(CORPUS / "dev.csv"), metavar="FILE.csv")
        parser.add_argument("--out", default=str(DEFAULT_MODEL_PATH), metavar="MODEL.json")
        parser.add_argument(
            "--max-false-alarm",
            type=_fraction,
            default=0.05,
            metavar="F",
            help="combined false-alarm target on dev (default 0.05); the model may add what the rules leave of it",
        )
        parser.add_argument(
            "--min-model-false-alarm",
            type=_fraction,
            default=0.02,
            metavar="F",
            help="false alarms the model may add on dev even when the rules leave less (default 0.02)",
        )
        parser.add_argument(
            "--calibration",
            choices=("pooled", "dev"),
            default="pooled",
            help=(
                "pooled (default): thresholds chosen on the training rows scored out of fold together with dev; "
                "dev: on dev alone, the model adding what the rules leave of --max-false-alarm"
            ),
        )
        parser.add_argument("--folds", type=int, default=5, help="cross-validation folds of the pooled calibration")
        parser.add_argument(
            "--model-budget",
            type=_fraction,
            default=None,
            metavar="F",
            help="pooled: false alarms the model may add (default: the largest that the fold check allows)",
        )
        parser.add_argument("--C", type=float, default=None, help="one regularisation strength instead of the grid")
        parser.add_argument(
            "--context-turns",
            type=int,
            default=None,
            choices=(0, 1, 2),
            help=(
                "earlier turns the model reads (default 1: a model that reads none learns the words of "
                "answers whose risk is in the question, such as 'tonight' or 'all of it', as risk by themselves)"
            ),
        )
        parser.add_argument(
            "--min-df",
            type=int,
            default=7,
            help=(
                "drop features seen in fewer training rows (default 7: on the 43,800 training rows, 7 keeps "
                "90,000 features, 47 MiB in a server process; 6 keeps 99,000, over the 50 MiB budget)"
            ),
        )
        parser.add_argument(
            "--compare",
            action="store_true",
            help="also train the other candidates (words only; WordLlama embeddings) and "
            "measure load time, memory and scoring time of each",
        )

    def handle(self, *args, **opts):
        try:
            from safety.classifier import training

            training._require_sklearn()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        train_files = opts["train"] or [str(p) for p in DEFAULT_TRAIN]
        for key, path in [("train", p) for p in train_files] + [("dev", opts["dev"])]:
            if Path(path).name.startswith("test"):
                raise CommandError(f"--{key} {path}: the test split is never used for training or calibration")
        train = [ex for path in train_files for ex in self._read(path)]
        dev = self._read(opts["dev"])
        out = Path(opts["out"])
        w = self.stdout.write
        w(f"train: {', '.join(train_files)} ({len(train)} rows)   dev: {opts['dev']} ({len(dev)} rows)\n")

        dev_rules = training.rule_levels(dev)
        dev_held = training.held_back(dev)
        gold = [int(ex.level) for ex in dev]
        rules_only = training.figures(gold, dev_rules)
        w(f"rules only on dev:   {rules_only.line()}\n")

        pool = None
        if opts["calibration"] == "pooled":
            if opts["folds"] < 2:
                raise CommandError("--folds must be at least 2")
            pool = {
                "folds": opts["folds"],
                "model_budget": opts["model_budget"],
                "train_rules": training.rule_levels(train),
                "train_held": training.held_back(train),
            }
            w(f"calibration: out of fold ({opts['folds']} folds) over the training rows, with dev\n")

        grid = None
        if opts["C"] is not None or opts["context_turns"] is not None:
            cs = [opts["C"]] if opts["C"] is not None else [4.0, 8.0]
            ts = [opts["context_turns"]] if opts["context_turns"] is not None else [1]
            grid = [{"C": c, "context_turns": t} for c in cs for t in ts]
        if grid is not None:
            for g in grid:
                g["min_df"] = opts["min_df"]
        else:
            grid = [{"C": c, "context_turns": t, "min_df": opts["min_df"]} for c in (4.0, 8.0) for t in (1,)]
        w(
            "candidates (linear, word + character n-grams), "
            f"{'calibrated on the pool; figures on dev' if pool is not None else 'calibrated on dev'}:\n"
        )
        try:
            best, results = training.select_linear(
                train,
                dev,
                dev_rules=dev_rules,
                dev_held=dev_held,
                grid=grid,
                max_false_alarm=opts["max_false_alarm"],
                min_model_false_alarm=opts["min_model_false_alarm"],
                pool=pool,
                log=lambda s: w(s + "\n"),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        model = best.model
        model.meta["rules_only_dev_figures"] = rules_only.__dict__
        model.save(out)
        size = out.stat().st_size
        RiskModel.load(out)  # what was written reads back
        w(
            f"\nchosen: {best.name}; thresholds elevated={model.thresholds['elevated']:.2f} "
            f"imminent={model.thresholds['imminent']:.2f}; {len(model.weights)} features; "
            f"{size / 1024:.0f} KiB -> {out}\n"
        )
        w(f"rules + model on dev: {best.calibration.figures.line()}\n")
        if pool is not None:
            m = model.meta
            fc = m["fold_check"]
            w(
                f"pool ({m['pool_rows']} rows, model budget {m['model_budget']:.3f}): "
                f"{training.Figures(**m['pool_figures']).line()}\n"
                f"fold check: added false alarms {fc['added_fa_calibrated']:.3f} where chosen, "
                f"{fc['added_fa_held_out']:.3f} on the fold left out (worst {fc['worst_added_fa_held_out']:.3f})\n"
            )

        if opts["compare"]:
            self._compare(
                training,
                train,
                dev,
                dev_rules,
                dev_held,
                out,
                opts["max_false_alarm"],
                opts["min_model_false_alarm"],
                opts["min_df"],
            )

    def _read(self, path):
        try:
            return read_examples(path)
        except EvalDataError as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _compare(self, training, train, dev, dev_rules, dev_held, out, max_fa, min_model_fa, min_df):
        w = self.stdout.write
        texts = [ex.text for ex in dev]
        w("\ncomparison on dev (rules + candidate; run-time measured in a fresh process):\n")
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            cost = training.measure_runtime("linear", out, texts)
            rows.append(
                (
                    "linear word+char n-grams (chosen)",
                    training.calibrate(
                        [int(e.level) for e in dev],
                        dev_rules,
                        *zip(
                            *[
                                (s.elevated, s.imminent)
                                for s in (RiskModel.load(out).score(e.text, e.context) for e in dev)
                            ]
                        ),
                        max_false_alarm=max_fa,
                        min_model_false_alarm=min_model_fa,
                        held=dev_held,
                    ).figures,
                    cost,
                    out.stat().st_size,
                )
            )
            words = training.fit_and_calibrate(
                train,
                dev,
                dev_rules=dev_rules,
                dev_held=dev_held,
                max_false_alarm=max_fa,
                min_model_false_alarm=min_model_fa,
                C=8.0,
                context_turns=0,
                char_range=(0, 0),
                min_df=min_df,
            )
            path = Path(tmp) / "words.json"
            words.model.save(path)
            rows.append(
                (
                    "linear words + word pairs only",
                    words.calibration.figures,
                    training.measure_runtime("linear", path, texts),
                    path.stat().st_size,
                )
            )
            try:
                cal, _ = training.train_wordllama(
                    train,
                    dev,
                    dev_rules=dev_rules,
                    dev_held=dev_held,
                    max_false_alarm=max_fa,
                    min_model_false_alarm=min_model_fa,
                )
                cost = training.measure_runtime("wordllama", "-", texts)
                rows.append(("WordLlama l2_supercat_256 + logistic", cal.figures, cost, 16_384_096))
            except ImportError as exc:
                w(f"  (WordLlama candidate skipped: {exc}; .venv/bin/pip install wordllama)\n")
        for name, fig, cost, size in rows:
            w(
                f"  {name}\n    {fig.line()}\n    load {cost['load_s'] * 1e3:.0f} ms, RSS +{cost['rss_added'] / 2**20:.1f} MiB, "
                f"scoring p50 {cost['p50_ms']:.3f} ms p99 {cost['p99_ms']:.3f} ms, file {size / 1024:.0f} KiB\n"
            )
