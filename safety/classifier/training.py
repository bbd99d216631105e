"""Training and calibrating the risk model (``manage.py safety_train``).

Training needs scikit-learn and numpy (the ``train`` extra); nothing here is
imported by a server process, which scores the exported model in pure Python
(``safety.classifier.model``).

The recipe:

1. Features of each training message (``model.feature_blocks``: words and
   word pairs; character 3-5-grams across word boundaries) and, optionally,
   the words of its last earlier turn(s). Features seen in fewer than
   ``min_df`` training messages are dropped.
2. Two logistic regressions on those features (presence weighted by idf,
   each block L2-normalised on its own, exactly as ``RiskModel.score`` reads
   them): one
   for "elevated or worse", one for "imminent" (class-balanced, L2). A third,
   multinomial one, names the category (self_harm, harm_to_others, abuse) of
   the risk rows, used when the model raises a message the rules left
   without a risk category.
3. Calibration on a pool of text the model did not see: the training rows
   scored out of fold (k models, each fitted without one fold) together with
   the dev split. The rules are run on every pooled message, and the pair of
   thresholds is chosen that catches the most risk (elevated+ recall, plus
   imminent recall as imminent and as elevated+) while the false alarms the
   model adds (none/distress rows it raises to elevated+ that the rules did
   not) stay within a budget. The budget is the largest in ``BUDGETS`` for which
   the rules' own false alarms on dev plus the worst fold's added false alarms,
   with thresholds chosen without that fold, stay within the 5 % target
   (``fold_check``). ``calibrate`` on dev alone (the earlier method) remains.
4. Model selection: a few regularisation strengths and context settings are
   each trained and calibrated; the best on dev by the same objective wins.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .combined import HARMLESS_REASON as HARMLESS_REASON_TEXT
from .combined import HARMLESS_REASON_OVERRIDE, imminent_reading, model_held_back
from .evaluation import Example
from .model import CATEGORIES, RiskModel, context_features, feature_blocks
from .types import AssessmentContext, Level

GOALS = {"imminent_as_imminent": 0.85, "imminent_as_elevated": 0.95, "elevated_as_elevated": 0.90, "false_alarm": 0.05}


def _require_sklearn():
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("training needs scikit-learn and numpy: .venv/bin/pip install -e '.[train]'") from exc


# --------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figures:
    """Combined (rules + model) figures on a labelled set."""

    n: int
    imminent_as_imminent: float
    imminent_as_elevated: float
    elevated_as_elevated: float
    risk_as_elevated: float  # elevated+imminent predicted elevated+
    false_alarm: float
    elevated_to_imminent: float  # share of elevated rows over-raised to imminent

    def line(self) -> str:
        return (
            f"imminent→imminent {self.imminent_as_imminent:.3f}  imminent→elevated+ {self.imminent_as_elevated:.3f}  "
            f"elevated→elevated+ {self.elevated_as_elevated:.3f}  false alarms {self.false_alarm:.3f}  "
            f"elevated→imminent {self.elevated_to_imminent:.3f}  (n={self.n})"
        )


def figures(gold: Sequence[int], predicted: Sequence[int]) -> Figures:
    def share(rows, cond):
        rows = list(rows)
        return sum(1 for p in rows if cond(p)) / len(rows) if rows else 1.0

    imm = [p for g, p in zip(gold, predicted) if g == Level.IMMINENT]
    elev = [p for g, p in zip(gold, predicted) if g == Level.ELEVATED]
    ordinary = [p for g, p in zip(gold, predicted) if g <= Level.DISTRESS]
    return Figures(
        n=len(gold),
        imminent_as_imminent=share(imm, lambda p: p == Level.IMMINENT),
        imminent_as_elevated=share(imm, lambda p: p >= Level.ELEVATED),
        elevated_as_elevated=share(elev, lambda p: p >= Level.ELEVATED),
        risk_as_elevated=share(imm + elev, lambda p: p >= Level.ELEVATED),
        false_alarm=share(ordinary, lambda p: p >= Level.ELEVATED) if ordinary else 0.0,
        elevated_to_imminent=share(elev, lambda p: p == Level.IMMINENT),
    )


def rule_levels(examples: Sequence[Example], assessor: Callable | None = None) -> list[int]:
    if assessor is None:
        from . import assess as assessor  # noqa: N813 - the rules, imported late so tests can pass another
    return [
        int(
            assessor(
                ex.text, AssessmentContext(sender_role=ex.role, recent_texts=ex.context, language=ex.language or "en")
            ).level
        )
        for ex in examples
    ]


#: Per row, how the combined backend holds the model back from raising a rules verdict
#: below elevated (``combined.model_held_back``): not at all, entirely (too short to read
#: alone), or to elevated when it is very sure despite a harmless reason.
FREE, SILENCED, HARMLESS_REASON = 0, 1, 2


def held_back(examples: Sequence[Example]) -> list[int]:
    """Per row: ``FREE``, ``SILENCED`` or ``HARMLESS_REASON``. Calibration applies the same."""
    kinds = {None: FREE, HARMLESS_REASON_TEXT: HARMLESS_REASON}
    return [kinds.get(model_held_back(ex.text, ex.context), SILENCED) for ex in examples]


def model_levels(rules, p_elevated, p_imminent, held, te: float, ti: float):
    """The level the model gives each row at thresholds ``te``/``ti``, held back as the
    combined backend holds it (``held``: per row ``FREE``, ``SILENCED`` or ``HARMLESS_REASON``;
    True reads as ``SILENCED``). numpy arrays in, one out."""
    import numpy as np

    hold = np.zeros(len(rules), dtype=int) if held is None else np.asarray(held, dtype=int)
    imminent = np.where(imminent_reading(p_elevated, p_imminent) >= ti, Level.IMMINENT, 0)
    model = np.maximum(imminent, np.where(p_elevated >= te, Level.ELEVATED, 0))
    below = rules < Level.ELEVATED
    model = np.where((hold == SILENCED) & below, 0, model)
    sure = np.where(p_elevated >= max(te, HARMLESS_REASON_OVERRIDE), Level.ELEVATED, 0)
    return np.where((hold == HARMLESS_REASON) & below, np.minimum(model, sure), model)


# ----------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    elevated: float
    imminent: float
    figures: Figures
    objective: float


def calibrate(
    gold: Sequence[int],
    rules: Sequence[int],
    p_elevated: Sequence[float],
    p_imminent: Sequence[float],
    *,
    max_false_alarm: float = 0.05,
    min_model_false_alarm: float = 0.02,
    held: Sequence[int] | None = None,
    model_budget: float | None = None,
) -> Calibration:
    """Choose the thresholds (on the development set) for the combined verdict.

    Maximises elevated+ recall of the risk rows plus imminent recall (as imminent
    and as elevated+), less half the share of elevated rows over-raised to
    imminent. The constraint is on the false alarms the model ADDS (ordinary
    none/distress rows it raises that the rules left below elevated): at most
    what the rules leave of ``max_false_alarm``, and never less than
    ``min_model_false_alarm``, so that rules which are already over budget do not
    silence the model, nor rules well under it let the model run loose. Ties go
    to the higher thresholds. ``model_budget``, when given, is the share of
    ordinary rows the model may add, whatever the rules leave. ``held`` says per row how the model is
    held back from raising a rules verdict below elevated (``held_back``), as the combined backend does."""
    import numpy as np

    g = np.asarray(gold)
    r = np.asarray(rules)
    pe = np.asarray(p_elevated)
    pi = np.asarray(p_imminent)
    ordinary = g <= Level.DISTRESS
    imm = g == Level.IMMINENT
    elev = g == Level.ELEVATED
    risk = g >= Level.ELEVATED
    rules_fa = float((r[ordinary] >= Level.ELEVATED).mean()) if ordinary.any() else 0.0
    budget = max(max_false_alarm - rules_fa, min_model_false_alarm) if model_budget is None else model_budget
    grid = np.round(np.arange(0.05, 0.991, 0.01), 2)
    best: Calibration | None = None

    def mean(mask, cond):
        return float(cond[mask].mean()) if mask.any() else 1.0

    rules_up = r >= Level.ELEVATED
    for ti in grid[::-1]:
        for te in grid[::-1]:
            final = np.maximum(r, model_levels(r, pe, pi, held, te, ti))
            up = final >= Level.ELEVATED
            added = mean(ordinary, up & ~rules_up) if ordinary.any() else 0.0
            if added > budget + 1e-12:
                continue
            obj = (
                mean(risk, up)
                + mean(imm, final == Level.IMMINENT)
                + mean(imm, up)
                - 0.5 * mean(elev, final == Level.IMMINENT)
            )
            if best is None or obj > best.objective + 1e-9:
                best = Calibration(float(te), float(ti), figures(gold, final.tolist()), obj)
    if best is None:  # not even the strictest thresholds meet the budget: never raise
        final = r
        best = Calibration(1.0, 1.0, figures(gold, final.tolist()), -1.0)
    return best


# ------------------------------------------------- out-of-fold calibration pool


# model budgets tried when none is given: false alarms the model may add, as a share of
# the pool's ordinary rows
BUDGETS = (0.01, 0.015, 0.02, 0.025, 0.03, 0.035)


def fold_of(text: str, k: int) -> int:
    """A row's cross-validation fold: a function of its text alone (letters and digits),
    so a message and its re-punctuated copy share a fold, as the corpus split does."""
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % k


def out_of_fold_scores(train: Sequence[Example], k: int = 5, **params) -> tuple[list[float], list[float]]:
    """P(elevated+) and P(imminent) of every training row from a model fitted on the
    other ``k - 1`` folds: scores of text that model did not see, like dev's."""
    folds = [fold_of(ex.text, k) for ex in train]
    pe, pi = [0.0] * len(train), [0.0] * len(train)
    for f in range(k):
        model = train_linear([ex for ex, g in zip(train, folds) if g != f], **params)
        for i, ex in enumerate(train):
            if folds[i] == f:
                sc = model.score(ex.text, ex.context)
                pe[i], pi[i] = sc.elevated, sc.imminent
    return pe, pi


@dataclass(frozen=True)
class FoldCheck:
    """Calibrating on all folds but one and scoring the one left out, per fold: how much
    the false alarms the model adds (and its recall) move from the rows the thresholds
    were chosen on to rows they were not."""

    added_fa_calibrated: float  # mean over folds, on the rows the thresholds were chosen on
    added_fa_held_out: float  # mean over folds, on the fold left out
    worst_added_fa_held_out: float
    risk_recall_calibrated: float
    risk_recall_held_out: float


def fold_check(
    gold: Sequence[int],
    rules: Sequence[int],
    p_elevated: Sequence[float],
    p_imminent: Sequence[float],
    groups: Sequence[int],
    *,
    held: Sequence[int] | None = None,
    model_budget: float,
) -> FoldCheck:
    import numpy as np

    g, r = np.asarray(gold), np.asarray(rules)
    pe, pi, grp = np.asarray(p_elevated), np.asarray(p_imminent), np.asarray(groups)
    hb = np.asarray(held, dtype=int) if held is not None else np.zeros(len(g), dtype=int)

    def added_and_recall(mask, te, ti):
        rules_up = r[mask] >= Level.ELEVATED
        up = np.maximum(r[mask], model_levels(r[mask], pe[mask], pi[mask], hb[mask], te, ti)) >= Level.ELEVATED
        ordinary, risk = g[mask] <= Level.DISTRESS, g[mask] >= Level.ELEVATED
        added = float((up & ~rules_up)[ordinary].mean()) if ordinary.any() else 0.0
        return added, float(up[risk].mean()) if risk.any() else 1.0

    cal, out = [], []
    for f in sorted(set(grp.tolist())):
        keep = grp != f
        c = calibrate(g[keep], r[keep], pe[keep], pi[keep], held=hb[keep], model_budget=model_budget)
        cal.append(added_and_recall(keep, c.elevated, c.imminent))
        out.append(added_and_recall(~keep, c.elevated, c.imminent))
    return FoldCheck(
        float(np.mean([a for a, _ in cal])),
        float(np.mean([a for a, _ in out])),
        float(max(a for a, _ in out)),
        float(np.mean([b for _, b in cal])),
        float(np.mean([b for _, b in out])),
    )


def _figures_at(gold, rules, p_elevated, p_imminent, held, te: float, ti: float) -> Figures:
    """The combined figures of rows at thresholds ``te``/``ti`` (as ``calibrate`` computes them)."""
    import numpy as np

    r = np.asarray(rules)
    model = model_levels(r, np.asarray(p_elevated), np.asarray(p_imminent), held, te, ti)
    return figures(gold, np.maximum(r, model).tolist())


# -------------------------------------------------------------------- training


@dataclass
class Candidate:
    name: str
    model: RiskModel
    calibration: Calibration
    params: dict


def _vocab(rows: Sequence[Sequence[set[str]]], min_df: int) -> tuple[dict[str, int], list[float]]:
    """Features seen in at least ``min_df`` rows -> column, and each one's (smoothed) idf."""
    df: dict[str, int] = {}
    for blocks in rows:
        for block in blocks:
            for f in block:
                df[f] = df.get(f, 0) + 1
    names = sorted(f for f, n in df.items() if n >= min_df)
    n = len(rows)
    return {f: i for i, f in enumerate(names)}, [math.log((1 + n) / (1 + df[f])) + 1.0 for f in names]


def _matrix(rows: Sequence[Sequence[set[str]]], vocab: dict[str, int], idf: Sequence[float]):
    """The rows as ``RiskModel.score`` sees them: per block, idf values L2-normalised over known features."""
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for blocks in rows:
        for block in blocks:
            cols = [vocab[f] for f in block if f in vocab]
            if not cols:
                continue
            vals = [idf[c] for c in cols]
            norm = 1.0 / math.sqrt(sum(v * v for v in vals))
            indices.extend(cols)
            data.extend(v * norm for v in vals)
        indptr.append(len(indices))
    return csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), len(vocab)),
    )


def _rows(examples: Sequence[Example], context_turns: int, char_range: tuple[int, int]) -> list[list[set[str]]]:
    out = []
    for ex in examples:
        blocks = list(feature_blocks(ex.text, char_range=char_range))
        if context_turns and ex.context:
            blocks.append(context_features(ex.context, context_turns))
        out.append(blocks)
    return out


def train_linear(
    train: Sequence[Example],
    *,
    C: float = 8.0,
    min_df: int = 2,
    context_turns: int = 1,
    char_range: tuple[int, int] = (3, 5),
    seed: int = 0,
) -> RiskModel:
    """Fit the linear model on ``train`` (thresholds are set later by ``calibrate``)."""
    _require_sklearn()
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = _rows(train, context_turns, char_range)
    vocab, idf = _vocab(rows, min_df)
    if not vocab:
        raise ValueError("no feature occurs in enough training rows (lower --min-df or add rows)")
    X = _matrix(rows, vocab, idf)
    levels = np.asarray([int(ex.level) for ex in train])
    names = sorted(vocab, key=vocab.get)

    heads = []
    for y in (levels >= Level.ELEVATED, levels == Level.IMMINENT):
        if y.all() or not y.any():
            raise ValueError(
                "the training set needs rows both with and without each head's label (elevated+ and imminent)"
            )
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
        clf.fit(X, y.astype(int))
        heads.append(clf)
    coef = np.vstack([h.coef_[0] for h in heads]).T  # (features, 2)
    bias = tuple(float(h.intercept_[0]) for h in heads)
    # every known feature stays, even with a tiny weight: its idf is part of the block's norm
    weights = {name: (float(idf[j]), float(coef[j, 0]), float(coef[j, 1])) for j, name in enumerate(names)}

    # category head: among risk rows with a risk category, on the message's own features
    cat_index = {c: k for k, c in enumerate(CATEGORIES)}
    picked = [
        i
        for i, ex in enumerate(train)
        if ex.level >= Level.ELEVATED and ex.category is not None and ex.category.value in cat_index
    ]
    cat_weights, cat_bias = {}, ()
    ys = [cat_index[train[i].category.value] for i in picked]
    if len(set(ys)) >= 2:
        Xc = _matrix([rows[i][:2] for i in picked], vocab, idf)
        clf = LogisticRegression(C=C, max_iter=2000, random_state=seed)
        clf.fit(Xc, ys)
        full = np.zeros((len(CATEGORIES), Xc.shape[1]))
        full_b = np.full(len(CATEGORIES), -30.0)  # a category never seen in training is never chosen
        for k, cls in enumerate(clf.classes_):
            if len(clf.classes_) == 2:  # binary: sklearn keeps one row, for the second class
                sign = 1.0 if k == 1 else -1.0
                full[cls] = sign * clf.coef_[0] / 2
                full_b[cls] = sign * clf.intercept_[0] / 2
            else:
                full[cls] = clf.coef_[k]
                full_b[cls] = clf.intercept_[k]
        for name, j in vocab.items():
            w = full[:, j]
            if not name.startswith("x:") and np.abs(w).max() >= 1e-3:
                cat_weights[name] = tuple(float(v) for v in w)
        cat_bias = tuple(float(v) for v in full_b)

    has_context = any(name.startswith("x:") for name in names)
    model = RiskModel(
        weights=weights,
        bias=bias,
        thresholds={"elevated": 1.0, "imminent": 1.0},
        context_turns=context_turns if has_context else 0,
        category_weights=cat_weights,
        category_bias=cat_bias,
        char_range=char_range,
        meta={"C": C, "min_df": min_df, "train_rows": len(train)},
    )
    # The pure-Python scorer must read rows exactly as scikit-learn was fitted on them.
    sample = list(range(0, len(train), max(1, len(train) // 50)))
    expected = heads[0].predict_proba(X[sample])[:, 1]
    for k, i in enumerate(sample):
        got = model.score(train[i].text, train[i].context).elevated
        if abs(got - expected[k]) > 1e-6:
            raise AssertionError(f"exported model disagrees with the fitted one on row {i}: {got} != {expected[k]}")
    return model


def fit_and_calibrate(
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    dev_rules: Sequence[int],
    max_false_alarm: float = 0.05,
    min_model_false_alarm: float = 0.02,
    dev_held: Sequence[int] | None = None,
    pool: dict | None = None,
    **params,
) -> Candidate:
    """Train on ``train``; choose the thresholds on dev, or, with ``pool`` (keys
    ``folds``, ``model_budget``, ``train_rules``, ``train_held``), on the out-of-fold
    scores of the training rows together with dev, the model adding at most
    ``model_budget`` of the ordinary rows as false alarms (see docs/safety-rules.md)."""
    model = train_linear(train, **params)
    scores = [model.score(ex.text, ex.context) for ex in dev]
    dev_gold = [int(ex.level) for ex in dev]
    dev_pe, dev_pi = [s.elevated for s in scores], [s.imminent for s in scores]
    meta: dict = {"dev_rows": len(dev)}
    if pool is None:
        cal = calibrate(
            dev_gold,
            dev_rules,
            dev_pe,
            dev_pi,
            max_false_alarm=max_false_alarm,
            min_model_false_alarm=min_model_false_alarm,
            held=dev_held,
        )
        meta.update({"max_false_alarm": max_false_alarm, "min_model_false_alarm": min_model_false_alarm})
    else:
        k = pool["folds"]
        oof_pe, oof_pi = out_of_fold_scores(train, k, **params)
        gold = [int(ex.level) for ex in train] + dev_gold
        rules = list(pool["train_rules"]) + list(dev_rules)
        pe, pi = oof_pe + dev_pe, oof_pi + dev_pi
        held = list(pool["train_held"]) + list(dev_held or [False] * len(dev))
        groups = [fold_of(ex.text, k) for ex in list(train) + list(dev)]
        budget, checks = pool.get("model_budget"), {}
        if budget is None:
            # the largest budget whose worst held-out fold, added to the rules' own false
            # alarms on dev, stays within the target (see docs/safety-rules.md)
            rules_fa = figures(dev_gold, dev_rules).false_alarm
            budget = BUDGETS[0]
            for b in BUDGETS:
                fc = fold_check(gold, rules, pe, pi, groups, held=held, model_budget=b)
                checks[b] = fc
                if rules_fa + fc.worst_added_fa_held_out <= max_false_alarm + 1e-12:
                    budget = b
        pooled = calibrate(gold, rules, pe, pi, held=held, model_budget=budget)
        # the figures reported for the chosen thresholds are dev's (the pool's are in meta)
        cal = Calibration(
            pooled.elevated,
            pooled.imminent,
            _figures_at(dev_gold, dev_rules, dev_pe, dev_pi, dev_held, pooled.elevated, pooled.imminent),
            pooled.objective,
        )
        check = checks.get(budget) or fold_check(gold, rules, pe, pi, groups, held=held, model_budget=budget)
        meta.update(
            {
                "calibration": f"out-of-fold ({k} folds) over the training rows, with dev",
                "pool_rows": len(gold),
                "model_budget": budget,
                "pool_figures": pooled.figures.__dict__,
                "fold_check": check.__dict__,
                "budgets_tried": {str(b): c.__dict__ for b, c in checks.items()},
            }
        )
    model.thresholds = {"elevated": cal.elevated, "imminent": cal.imminent}
    meta["dev_figures"] = cal.figures.__dict__
    model.meta.update(meta)
    name = (
        f"linear C={params.get('C', 4.0)} ctx={params.get('context_turns', 1)} chars={params.get('char_range', (3, 5))}"
    )
    return Candidate(name, model, cal, params)


def select_linear(
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    dev_rules: Sequence[int],
    grid: Sequence[dict] | None = None,
    max_false_alarm: float = 0.05,
    min_model_false_alarm: float = 0.02,
    dev_held: Sequence[int] | None = None,
    pool: dict | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> tuple[Candidate, list[Candidate]]:
    """Train each setting in ``grid``, calibrate on dev, return the best and all of them."""
    if grid is None:
        grid = [{"C": c, "context_turns": t} for c in (8.0, 32.0) for t in (0, 1)]
    results = []
    for params in grid:
        t0 = time.perf_counter()
        cand = fit_and_calibrate(
            train,
            dev,
            dev_rules=dev_rules,
            max_false_alarm=max_false_alarm,
            min_model_false_alarm=min_model_false_alarm,
            dev_held=dev_held,
            pool=pool,
            **params,
        )
        results.append(cand)
        log(
            f"  {cand.name:<40} objective {cand.calibration.objective:.3f}  {cand.calibration.figures.line()}"
            f"  [{time.perf_counter() - t0:.1f} s]"
        )
    best = max(results, key=lambda c: c.calibration.objective)
    return best, results


# --------------------------------------------------- the word-embedding candidate


def wordllama_embedder():
    """WordLlama's bundled ``l2_supercat`` 256-d static embeddings, loaded from the
    wheel's own files (nothing is downloaded). The wheel ships its tokenizer under
    ``tokenizers/`` where the loader looks under ``tokenizer/``, so the files are
    read here directly."""
    import numpy as np
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer

    root = Path(wordllama.__file__).resolve().parent
    tok = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    tok.no_padding()
    tok.no_truncation()
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="numpy") as f:
        key = next(iter(f.keys()))
        table = f.get_tensor(key).astype(np.float32)

    def embed(text: str):
        ids = tok.encode(text or " ", add_special_tokens=False).ids or [0]
        v = table[ids].mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n else v

    return embed


def train_wordllama(
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    dev_rules: Sequence[int],
    max_false_alarm: float = 0.05,
    min_model_false_alarm: float = 0.02,
    C: float = 8.0,
    context_turns: int = 1,
    dev_held: Sequence[int] | None = None,
):
    """Logistic regression over WordLlama message (and last-turn) embeddings; returns
    (calibration, embed, per-message scorer) for comparison only."""
    _require_sklearn()
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    embed = wordllama_embedder()

    def vec(ex_text, ctx):
        parts = [embed(ex_text)]
        if context_turns:
            parts.append(embed(" ".join(ctx[-context_turns:])) if ctx else np.zeros_like(parts[0]))
        return np.concatenate(parts)

    X = np.vstack([vec(ex.text, ex.context) for ex in train])
    levels = np.asarray([int(ex.level) for ex in train])
    heads = []
    for y in (levels >= Level.ELEVATED, levels == Level.IMMINENT):
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        clf.fit(X, y.astype(int))
        heads.append(clf)
    W = np.vstack([h.coef_[0] for h in heads]).T
    b = np.asarray([h.intercept_[0] for h in heads])

    def score(text, ctx=()):
        z = vec(text, ctx) @ W + b
        return 1 / (1 + np.exp(-z))

    probs = np.vstack([score(ex.text, ex.context) for ex in dev])
    cal = calibrate(
        [int(ex.level) for ex in dev],
        dev_rules,
        probs[:, 0].tolist(),
        probs[:, 1].tolist(),
        max_false_alarm=max_false_alarm,
        min_model_false_alarm=min_model_false_alarm,
        held=dev_held,
    )
    return cal, score


# ------------------------------------------------------------ run-time costs


_PROBE = r"""
import os, resource, sys, time, json
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
kind, path, root = sys.argv[1], sys.argv[2], sys.argv[3]
texts = json.loads(sys.stdin.read())
sys.path.insert(0, root)
before = rss()
t0 = time.perf_counter()
if kind == "linear":
    from safety.classifier.model import RiskModel
    m = RiskModel.load(path)
    fn = lambda t: m.score(t, ())
else:
    from safety.classifier.training import wordllama_embedder
    fn = wordllama_embedder()
load = time.perf_counter() - t0
fn("warm up")
times = []
for t in texts:
    s = time.perf_counter(); fn(t); times.append(time.perf_counter() - s)
times.sort()
print(json.dumps({"load_s": load, "rss_added": rss() - before, "p50_ms": times[len(times)//2]*1e3,
                  "p99_ms": times[min(len(times)-1, int(len(times)*0.99))]*1e3}))
"""


def measure_runtime(kind: str, path: str | Path, texts: Sequence[str]) -> dict:
    """Load time, resident memory added and per-message scoring time (p50/p99) of a
    candidate, measured in a fresh Python process (so imports count)."""
    import json

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, kind, str(path), str(root)],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "probe failed")
    return json.loads(proc.stdout)
