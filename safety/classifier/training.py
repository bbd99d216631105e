"""Training and calibrating the risk model (``manage.py safety_train``).

Training needs scikit-learn and numpy (the ``train`` extra); nothing here is
imported by a server process, which scores the exported model in pure Python
(``safety.classifier.model``).

The recipe:

1. Features of each training message (``model.features``: words, word pairs,
   character 3-5-grams) and, optionally, the words of its last earlier turn(s).
   Features seen in fewer than ``min_df`` training messages are dropped.
2. Two logistic regressions on those binary, length-normalised features: one
   for "elevated or worse", one for "imminent" (class-balanced, L2). A third,
   multinomial one, names the category (self_harm, harm_to_others, abuse) of
   the risk rows, used when the model raises a message the rules left
   without a risk category.
3. Calibration on the development set: the rules are run on every dev message,
   the model scores it, and the pair of thresholds is chosen that catches the
   most risk (elevated+ recall, plus imminent recall as imminent and as
   elevated+) while keeping the combined false alarms (none/distress raised
   to elevated+) within ``max_false_alarm``.
4. Model selection: a few regularisation strengths and context settings are
   each trained and calibrated; the best on dev by the same objective wins.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .evaluation import Example
from .model import CATEGORIES, RiskModel, context_features, features
from .types import AssessmentContext, Level

GOALS = {"imminent_as_imminent": 0.85, "imminent_as_elevated": 0.95, "elevated_as_elevated": 0.90,
         "false_alarm": 0.05}


def _require_sklearn():
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "training needs scikit-learn and numpy: .venv/bin/pip install -e '.[train]'"
        ) from exc


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
        return (f"imminent→imminent {self.imminent_as_imminent:.3f}  imminent→elevated+ {self.imminent_as_elevated:.3f}  "
                f"elevated→elevated+ {self.elevated_as_elevated:.3f}  false alarms {self.false_alarm:.3f}  "
                f"elevated→imminent {self.elevated_to_imminent:.3f}  (n={self.n})")


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
    return [int(assessor(ex.text, AssessmentContext(sender_role=ex.role, recent_texts=ex.context,
                                                     language=ex.language or "en")).level)
            for ex in examples]


# ----------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    elevated: float
    imminent: float
    figures: Figures
    objective: float


def calibrate(gold: Sequence[int], rules: Sequence[int], p_elevated: Sequence[float], p_imminent: Sequence[float],
              *, max_false_alarm: float = 0.04) -> Calibration:
    """Choose the thresholds (on the development set) for the combined verdict.

    Maximises elevated+ recall of the risk rows plus imminent recall (as imminent
    and as elevated+), less half the share of elevated rows over-raised to
    imminent, subject to the combined false-alarm rate <= ``max_false_alarm``
    (never above the rules' own rate: the model may not add false alarms if the
    rules alone are already over budget). Ties go to the higher thresholds."""
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
    budget = max(max_false_alarm, rules_fa)
    grid = np.round(np.arange(0.05, 0.991, 0.01), 2)
    best: Calibration | None = None

    def mean(mask, cond):
        return float(cond[mask].mean()) if mask.any() else 1.0

    for ti in grid[::-1]:
        lvl_i = np.where(pi >= ti, Level.IMMINENT, 0)
        for te in grid[::-1]:
            model_level = np.maximum(lvl_i, np.where(pe >= te, Level.ELEVATED, 0))
            final = np.maximum(r, model_level)
            up = final >= Level.ELEVATED
            fa = mean(ordinary, up) if ordinary.any() else 0.0
            if fa > budget + 1e-12:
                continue
            obj = (mean(risk, up) + mean(imm, final == Level.IMMINENT) + mean(imm, up)
                   - 0.5 * mean(elev, final == Level.IMMINENT))
            if best is None or obj > best.objective + 1e-9:
                best = Calibration(float(te), float(ti), figures(gold, final.tolist()), obj)
    if best is None:  # not even the strictest thresholds meet the budget: never raise
        final = r
        best = Calibration(1.0, 1.0, figures(gold, final.tolist()), -1.0)
    return best


# -------------------------------------------------------------------- training


@dataclass
class Candidate:
    name: str
    model: RiskModel
    calibration: Calibration
    params: dict


def _matrix(rows: Sequence[set[str]], vocab: dict[str, int]):
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for feats in rows:
        cols = [vocab[f] for f in feats if f in vocab]
        v = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        indices.extend(cols)
        data.extend([v] * len(cols))
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(rows), len(vocab)))


def _vocab(rows: Sequence[set[str]], min_df: int) -> dict[str, int]:
    df: dict[str, int] = {}
    for feats in rows:
        for f in feats:
            df[f] = df.get(f, 0) + 1
    return {f: i for i, f in enumerate(sorted(f for f, n in df.items() if n >= min_df))}


def train_linear(train: Sequence[Example], *, C: float = 4.0, min_df: int = 2, context_turns: int = 1,
                 char_range: tuple[int, int] = (3, 5), prune: float = 1e-4, seed: int = 0) -> RiskModel:
    """Fit the linear model on ``train`` (thresholds are set later by ``calibrate``)."""
    _require_sklearn()
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    msg_rows = [features(ex.text, char_range=char_range) for ex in train]
    ctx_rows = [context_features(ex.context, context_turns) for ex in train]
    vocab = _vocab(msg_rows, min_df)
    ctx_vocab = _vocab(ctx_rows, min_df) if context_turns else {}
    X = _matrix(msg_rows, vocab)
    if ctx_vocab:
        X = hstack([X, _matrix(ctx_rows, ctx_vocab)]).tocsr()
    levels = np.asarray([int(ex.level) for ex in train])
    names = sorted(vocab, key=vocab.get) + sorted(ctx_vocab, key=ctx_vocab.get)
    n_msg = len(vocab)

    heads = []
    for y in (levels >= Level.ELEVATED, levels == Level.IMMINENT):
        if y.all() or not y.any():
            raise ValueError("the training set needs rows both with and without each head's label "
                             "(elevated+ and imminent)")
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
        clf.fit(X, y.astype(int))
        heads.append(clf)
    coef = np.vstack([h.coef_[0] for h in heads]).T  # (features, 2)
    bias = tuple(float(h.intercept_[0]) for h in heads)
    weights, ctx_weights = {}, {}
    for j, name in enumerate(names):
        w = coef[j]
        if np.abs(w).max() < prune:
            continue
        (weights if j < n_msg else ctx_weights)[name] = (float(w[0]), float(w[1]))

    # category head: among risk rows with a risk category
    cat_index = {c: k for k, c in enumerate(CATEGORIES)}
    rows = [i for i, ex in enumerate(train)
            if ex.level >= Level.ELEVATED and ex.category is not None and ex.category.value in cat_index]
    cat_weights, cat_bias = {}, ()
    ys = [cat_index[train[i].category.value] for i in rows]
    if len(set(ys)) >= 2:
        Xc = _matrix([msg_rows[i] for i in rows], vocab)
        clf = LogisticRegression(C=C, max_iter=2000, random_state=seed)
        clf.fit(Xc, ys)
        full = np.zeros((len(CATEGORIES), Xc.shape[1]))
        full_b = np.full(len(CATEGORIES), -30.0)  # a category never seen in training is never chosen
        for k, cls in enumerate(clf.classes_):
            if len(clf.classes_) == 2:  # binary: sklearn keeps one row for the second class
                sign = 1.0 if k == 1 else -1.0
                full[cls] = sign * clf.coef_[0] / 2
                full_b[cls] = sign * clf.intercept_[0] / 2
            else:
                full[cls] = clf.coef_[k]
                full_b[cls] = clf.intercept_[k]
        for name, j in vocab.items():
            w = full[:, j]
            if np.abs(w).max() >= prune:
                cat_weights[name] = tuple(float(v) for v in w)
        cat_bias = tuple(float(v) for v in full_b)

    return RiskModel(weights=weights, bias=bias, thresholds={"elevated": 1.0, "imminent": 1.0},
                     context_turns=context_turns if ctx_weights else 0, context_weights=ctx_weights,
                     category_weights=cat_weights, category_bias=cat_bias, char_range=char_range,
                     meta={"C": C, "min_df": min_df, "train_rows": len(train)})


def fit_and_calibrate(train: Sequence[Example], dev: Sequence[Example], *, dev_rules: Sequence[int],
                      max_false_alarm: float = 0.04, **params) -> Candidate:
    model = train_linear(train, **params)
    scores = [model.score(ex.text, ex.context) for ex in dev]
    cal = calibrate([int(ex.level) for ex in dev], dev_rules, [s.elevated for s in scores],
                    [s.imminent for s in scores], max_false_alarm=max_false_alarm)
    model.thresholds = {"elevated": cal.elevated, "imminent": cal.imminent}
    model.meta.update({"dev_rows": len(dev), "max_false_alarm": max_false_alarm,
                       "dev_figures": cal.figures.__dict__})
    name = f"linear C={params.get('C', 4.0)} ctx={params.get('context_turns', 1)} chars={params.get('char_range', (3, 5))}"
    return Candidate(name, model, cal, params)


def select_linear(train: Sequence[Example], dev: Sequence[Example], *, dev_rules: Sequence[int],
                  grid: Sequence[dict] | None = None, max_false_alarm: float = 0.04,
                  log: Callable[[str], None] = lambda s: None) -> tuple[Candidate, list[Candidate]]:
    """Train each setting in ``grid``, calibrate on dev, return the best and all of them."""
    if grid is None:
        grid = [{"C": c, "context_turns": t} for c in (2.0, 8.0, 32.0) for t in (0, 1)]
    results = []
    for params in grid:
        t0 = time.perf_counter()
        cand = fit_and_calibrate(train, dev, dev_rules=dev_rules, max_false_alarm=max_false_alarm, **params)
        results.append(cand)
        log(f"  {cand.name:<40} objective {cand.calibration.objective:.3f}  {cand.calibration.figures.line()}"
            f"  [{time.perf_counter() - t0:.1f} s]")
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


def train_wordllama(train: Sequence[Example], dev: Sequence[Example], *, dev_rules: Sequence[int],
                    max_false_alarm: float = 0.04, C: float = 8.0, context_turns: int = 1):
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
    cal = calibrate([int(ex.level) for ex in dev], dev_rules, probs[:, 0].tolist(), probs[:, 1].tolist(),
                    max_false_alarm=max_false_alarm)
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
    proc = subprocess.run([sys.executable, "-c", _PROBE, kind, str(path), str(root)], input=json.dumps(list(texts)),
                          capture_output=True, text=True, timeout=300)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "probe failed")
    return json.loads(proc.stdout)
