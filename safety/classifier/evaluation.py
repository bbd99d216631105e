"""Evaluate an assessor on a labelled CSV set (pure Python, no Django).

CSV columns: ``text`` and ``level`` are required; ``category`` (one of the
Category values or empty), ``role`` (sender role), ``context`` (earlier
messages, oldest first, separated by `` || ``), ``lang`` (the message's
language, used instead of the ``language`` argument) and ``class`` (the
fine-grained class of the corpus, /work/wt/CORPUS.md, reported per class)
are optional. The older ``safety/data/eval_*.csv`` sets and the corpus
splits in ``safety/data/corpus/`` both read this way.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .types import Assessment, AssessmentContext, Category, Level

DEFAULT_SET = Path(__file__).resolve().parent.parent / "data" / "eval_en.csv"
CONTEXT_SEPARATOR = "||"
REQUIRED_COLUMNS = ("text", "level")
LEVELS = tuple(Level)


class EvalDataError(ValueError):
    """The evaluation CSV is malformed; ``line`` is the 1-based file line."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Example:
    text: str
    level: Level
    category: Category | None = None
    role: str = "seeker"
    context: tuple[str, ...] = ()
    line: int = 0
    klass: str = ""  # the corpus's fine-grained class, if the file has one
    language: str = ""  # the row's language, if the file has a lang column


@dataclass(frozen=True)
class LevelScore:
    level: Level
    support: int  # gold examples at this level
    predicted: int  # examples predicted at this level
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 1.0


@dataclass(frozen=True)
class ClassScore:
    """How one fine-grained class fared: ``exact`` rows got their labelled level,
    ``raised`` rows were predicted elevated or imminent."""

    name: str
    support: int
    exact: int
    raised: int
    levels: frozenset[Level]  # the labelled levels of the class's rows

    @property
    def is_risk(self) -> bool:
        return min(self.levels) >= Level.ELEVATED

    @property
    def misses(self) -> int:
        """Risk classes: rows not raised to elevated+. Safe classes: rows raised (false alarms)."""
        if self.is_risk:
            return self.support - self.raised
        if max(self.levels) <= Level.DISTRESS:
            return self.raised
        return self.support - self.exact


@dataclass(frozen=True)
class EvalResult:
    total: int
    scores: dict[Level, LevelScore]
    confusion: dict[Level, dict[Level, int]]  # confusion[gold][predicted]
    false_alarm_rate: float  # share of none/distress raised to >= elevated
    false_alarms: int
    ordinary: int  # number of none/distress examples
    category_recall: dict[Category, tuple[int, int]]  # category -> (found, support)
    misses: tuple[tuple[Example, Assessment], ...] = field(default=(), repr=False)
    # class -> ClassScore, when the file has a class column
    classes: dict[str, "ClassScore"] = field(default_factory=dict)
    seconds: tuple[float, ...] = field(default=(), repr=False)  # time of each assessor call
    first_call_seconds: float = 0.0  # an untimed-set warm-up call: loads rules and model

    def percentile_ms(self, q: float) -> float:
        """The q-th percentile (0-100) of the time per message, in milliseconds."""
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[k] * 1e3

    @property
    def recall_imminent_at_least_elevated(self) -> float:
        """Share of imminent examples predicted elevated or imminent."""
        n = self.scores[Level.IMMINENT].support
        hit = self.confusion[Level.IMMINENT][Level.ELEVATED] + self.confusion[Level.IMMINENT][Level.IMMINENT]
        return hit / n if n else 1.0

    @property
    def recall_elevated_at_least_elevated(self) -> float:
        """Share of elevated examples predicted elevated or imminent."""
        n = self.scores[Level.ELEVATED].support
        hit = self.confusion[Level.ELEVATED][Level.ELEVATED] + self.confusion[Level.ELEVATED][Level.IMMINENT]
        return hit / n if n else 1.0

    def recall(self, level: Level | str) -> float:
        return self.scores[Level.parse(level)].recall

    def precision(self, level: Level | str) -> float:
        return self.scores[Level.parse(level)].precision

    @property
    def recall_at_least_elevated(self) -> float:
        """Share of elevated+imminent examples predicted >= elevated."""
        hit = sum(self.confusion[g][p] for g in (Level.ELEVATED, Level.IMMINENT) for p in LEVELS if p >= Level.ELEVATED)
        n = sum(self.scores[g].support for g in (Level.ELEVATED, Level.IMMINENT))
        return hit / n if n else 1.0


def read_examples(source: str | Path | io.TextIOBase | Iterable[str]) -> list[Example]:
    """Read and validate an evaluation CSV; raises EvalDataError with the line."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                return read_examples(fh)
        except FileNotFoundError:
            raise EvalDataError(f"file not found: {path}") from None
        except UnicodeDecodeError as exc:
            raise EvalDataError(f"{path} is not UTF-8: {exc}") from None
    reader = csv.DictReader(source)
    header = reader.fieldnames
    if not header:
        raise EvalDataError("empty file: expected a header row with columns text,level[,category]", 1)
    header = [h.strip() for h in header]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise EvalDataError(f"missing column(s): {', '.join(missing)} (found: {', '.join(header)})", 1)
    out: list[Example] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise EvalDataError("too many fields (is a comma inside an unquoted text?)", line)
        text = row.get("text")
        if text is None or row.get("level") is None:
            raise EvalDataError("too few fields", line)
        if not text.strip():
            raise EvalDataError("empty text", line)
        try:
            level = Level.parse(row["level"])
        except ValueError as exc:
            raise EvalDataError(str(exc), line) from None
        cat_raw = (row.get("category") or "").strip()
        category = None
        if cat_raw:
            try:
                category = Category(cat_raw)
            except ValueError:
                raise EvalDataError(
                    f"unknown category {cat_raw!r}; expected one of "
                    + ", ".join(c.value for c in Category)
                    + " or empty",
                    line,
                ) from None
        role = (row.get("role") or "").strip() or "seeker"
        ctx_raw = (row.get("context") or "").strip()
        context = tuple(t.strip() for t in ctx_raw.split(CONTEXT_SEPARATOR) if t.strip()) if ctx_raw else ()
        klass = (row.get("class") or "").strip()
        language = (row.get("lang") or "").strip().lower()
        out.append(Example(text, level, category, role, context, line, klass, language))
    if not out:
        raise EvalDataError("no examples in file")
    return out


def evaluate(
    examples: Iterable[Example],
    assessor: Callable[..., Assessment] | None = None,
    language: str = "en",
) -> EvalResult:
    if assessor is None:
        from . import assess as assessor  # noqa: N813
    confusion = {g: {p: 0 for p in LEVELS} for g in LEVELS}
    cat_found: dict[Category, list[int]] = {c: [0, 0] for c in Category}
    misses = []
    total = 0
    seconds = []
    per_class: dict[str, list] = {}
    clock = time.perf_counter
    # One call before the timed ones, so loading rules or a model is reported apart.
    t0 = clock()
    assessor("hello", AssessmentContext(language=language))
    first_call = clock() - t0
    for ex in examples:
        total += 1
        ctx = AssessmentContext(sender_role=ex.role, recent_texts=ex.context, language=ex.language or language)
        t0 = clock()
        a = assessor(ex.text, ctx)
        seconds.append(clock() - t0)
        confusion[ex.level][a.level] += 1
        if ex.klass:
            c = per_class.setdefault(ex.klass, [0, 0, 0, set()])
            c[0] += 1
            c[1] += a.level == ex.level
            c[2] += a.level >= Level.ELEVATED
            c[3].add(ex.level)
        if ex.category is not None:
            cat_found[ex.category][1] += 1
            if ex.category in a.categories:
                cat_found[ex.category][0] += 1
        if a.level != ex.level or (ex.category is not None and ex.category not in a.categories):
            misses.append((ex, a))
    scores = {}
    for lv in LEVELS:
        support = sum(confusion[lv].values())
        predicted = sum(confusion[g][lv] for g in LEVELS)
        scores[lv] = LevelScore(lv, support, predicted, confusion[lv][lv])
    ordinary = scores[Level.NONE].support + scores[Level.DISTRESS].support
    false_alarms = sum(confusion[g][p] for g in (Level.NONE, Level.DISTRESS) for p in LEVELS if p >= Level.ELEVATED)
    return EvalResult(
        total=total,
        scores=scores,
        confusion=confusion,
        false_alarm_rate=false_alarms / ordinary if ordinary else 0.0,
        false_alarms=false_alarms,
        ordinary=ordinary,
        category_recall={c: (f, n) for c, (f, n) in cat_found.items() if n},
        misses=tuple(misses),
        classes={
            k: ClassScore(k, n, exact, raised, frozenset(levels))
            for k, (n, exact, raised, levels) in sorted(per_class.items())
        },
        seconds=tuple(seconds),
        first_call_seconds=first_call,
    )


def evaluate_file(path: str | Path = DEFAULT_SET, assessor=None, language: str = "en") -> EvalResult:
    return evaluate(read_examples(path), assessor, language)


def check_targets(
    result: EvalResult,
    min_recall_imminent: float | None = None,
    min_recall_elevated: float | None = None,
    max_false_alarm: float | None = None,
) -> list[str]:
    """Human-readable list of missed targets (empty if all are met)."""
    failures = []
    if min_recall_imminent is not None and result.recall(Level.IMMINENT) < min_recall_imminent:
        failures.append(f"imminent recall {result.recall(Level.IMMINENT):.3f} < {min_recall_imminent:.3f}")
    if min_recall_elevated is not None and result.recall(Level.ELEVATED) < min_recall_elevated:
        failures.append(f"elevated recall {result.recall(Level.ELEVATED):.3f} < {min_recall_elevated:.3f}")
    if max_false_alarm is not None and result.false_alarm_rate > max_false_alarm:
        failures.append(f"false-alarm rate {result.false_alarm_rate:.3f} > {max_false_alarm:.3f}")
    return failures


def format_report(result: EvalResult, show_misses: int = 0) -> str:
    lines = [f"{result.total} examples", ""]
    lines.append(f"{'level':<10}{'support':>9}{'precision':>11}{'recall':>9}")
    for lv in LEVELS:
        s = result.scores[lv]
        lines.append(f"{lv.label:<10}{s.support:>9}{s.precision:>11.3f}{s.recall:>9.3f}")
    lines.append("")
    lines.append("confusion (rows: labelled level, columns: predicted level)")
    lines.append(f"{'':<10}" + "".join(f"{lv.label:>10}" for lv in LEVELS))
    for g in LEVELS:
        lines.append(f"{g.label:<10}" + "".join(f"{result.confusion[g][p]:>10}" for p in LEVELS))
    lines.append("")
    imm = result.scores[Level.IMMINENT].support
    elev = result.scores[Level.ELEVATED].support
    c = result.confusion
    lines.append(
        f"imminent recall (as imminent):         {result.recall(Level.IMMINENT):.3f}"
        f"  ({c[Level.IMMINENT][Level.IMMINENT]}/{imm})"
    )
    lines.append(
        f"imminent recall (as elevated+):        {result.recall_imminent_at_least_elevated:.3f}"
        f"  ({c[Level.IMMINENT][Level.ELEVATED] + c[Level.IMMINENT][Level.IMMINENT]}/{imm})"
    )
    lines.append(
        f"elevated recall (as elevated+):        {result.recall_elevated_at_least_elevated:.3f}"
        f"  ({c[Level.ELEVATED][Level.ELEVATED] + c[Level.ELEVATED][Level.IMMINENT]}/{elev})"
    )
    lines.append(f"elevated+imminent recall (elevated+):  {result.recall_at_least_elevated:.3f}")
    lines.append(
        f"false alarms: {result.false_alarms}/{result.ordinary} ordinary (none/distress) messages "
        f"raised to elevated or above = {result.false_alarm_rate:.3f}"
    )
    if result.seconds:
        lines.append(
            f"time per message: p50 {result.percentile_ms(50):.3f} ms, p99 {result.percentile_ms(99):.3f} ms "
            f"(n={len(result.seconds)}, one process; first call, loading rules/model: "
            f"{result.first_call_seconds * 1e3:.0f} ms)"
        )
    if result.classes:
        lines.append("")
        lines.append("per class (misses: risk classes not raised to elevated+; safe classes raised to elevated+)")
        lines.append(f"  {'class':<22}{'levels':<19}{'n':>5}{'exact':>7}{'elev+':>7}{'misses':>8}")
        for k, cs in sorted(result.classes.items(), key=lambda kv: (-kv[1].misses, kv[0])):
            levels = "/".join(lv.label for lv in sorted(cs.levels))
            lines.append(f"  {k:<22}{levels:<19}{cs.support:>5}{cs.exact:>7}{cs.raised:>7}{cs.misses:>8}")
    if result.category_recall:
        lines.append("")
        lines.append("category recall (labelled category among those found)")
        for c, (f, n) in sorted(result.category_recall.items(), key=lambda kv: kv[0].value):
            lines.append(f"  {c.value:<22}{f:>4}/{n:<4}{f / n:>7.3f}")
    if show_misses and result.misses:
        lines.append("")
        lines.append(f"misses (first {min(show_misses, len(result.misses))} of {len(result.misses)})")
        for ex, a in result.misses[:show_misses]:
            cats = ",".join(sorted(c.value for c in a.categories)) or "-"
            lines.append(f"  line {ex.line}: {ex.level.label} -> {a.level.label} [{cats}] {ex.text!r}")
    return "\n".join(lines)
