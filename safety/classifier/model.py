"""The learned second opinion: a linear risk model scored in pure Python.

The rules (``safety.classifier.assess``) miss crisis messages phrased in ways
their phrases did not foresee. This model reads the same message as word and
character n-grams and gives two probabilities: that the message is at least
``elevated`` and that it is ``imminent``. ``safety.classifier.combined`` uses
them to raise (never lower) the rules' level.

The model file is JSON written by ``manage.py safety_train`` (scikit-learn
logistic regression, exported): a vocabulary of n-gram features, each with
its idf and one weight per head, a bias per head, and the thresholds
calibrated on the development set. Scoring needs no numpy and no
scikit-learn, so a server process imports nothing heavy: per message it
extracts a few hundred feature strings and looks each up in a dict.

Features (``feature_blocks``) are defined here once and used by both training
and scoring, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DEFAULT_MODEL_PATH",
    "FORMAT",
    "ModelFileError",
    "RiskModel",
    "Scores",
    "features",
    "get_model",
    "normalise_for_model",
]

FORMAT = "hearth-risk-linear/1"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "risk_en.json"
HEADS = ("elevated", "imminent")  # P(level >= elevated), P(level == imminent)
CATEGORIES = ("self_harm", "harm_to_others", "abuse")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_TOKEN = re.compile(r"[@$]?[^\W_]+(?:[@$!]+[^\W_]+)*|[^\s\w.,;:?!'\"()\-/\\*#%&+=<>\[\]{}|~^`@$]")
_REPEAT = re.compile(r"(.)\1{2,}")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_HAS_DIGIT_OR_SYMBOL = re.compile(r"[0-9@$!]")
# Numbers with a unit or ordinal suffix are not leetspeak: "4am", "2nd", "10k", "16yo".
_EXEMPT = re.compile(r"\d+(?:am|pm|st|nd|rd|th|k|m|s|yo|yrs?|h|hrs?|mins?|mg|ml|x)")


class ModelFileError(ValueError):
    """The model file is missing or malformed; the message names the file and the problem."""


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    dropped = {ord(ch): None for ch in set(text) if _dropped(ch)}
    return text.translate(dropped).lower()


@functools.lru_cache(maxsize=4096)
def _dropped(ch: str) -> bool:
    """Accents and zero-width characters: the model reads the letters without them."""
    return bool(unicodedata.combining(ch)) or unicodedata.category(ch) == "Cf"


def normalise_for_model(text: str, limit: int | None = None) -> list[str]:
    """Tokens of ``text``: lower case, accents and zero-width characters dropped,
    apostrophes removed, leetspeak undone inside words that also have letters
    (``k1ll`` -> ``kill``, while ``16`` stays), letters repeated three or more
    times squeezed to one (``diiiie`` -> ``die``, while ``kill`` stays), runs of three or more single letters joined
    (``k i l l`` -> ``kill``). Emoji and other symbols are tokens of their own. With ``limit``,
    the tokens after the first ``limit`` are not worked out (the model reads no further)."""
    s = _APOSTROPHES.sub("", _fold(text))
    raw = _TOKEN.findall(s)
    tokens: list[str] = []
    run: list[str] = []
    for tok in raw:
        if limit is not None and len(tokens) >= limit:
            break
        if len(tok) > 1 and _HAS_DIGIT_OR_SYMBOL.search(tok) and not tok.isdigit() and not _EXEMPT.fullmatch(tok):
            tok = tok.translate(_LEET)
        if len(tok) > 2:
            tok = _REPEAT.sub(r"\1", tok)
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            tokens.extend(("".join(run),) if len(run) >= 3 else run)
            run = []
        tokens.append(tok)
    if run:
        tokens.extend(("".join(run),) if len(run) >= 3 else run)
    return tokens


MAX_TOKENS = 300  # a pasted wall of text is read from its start: bounded time per message
MAX_CHARS = 1200


def feature_blocks(text: str, *, char_range: tuple[int, int] = (3, 5)) -> tuple[set[str], set[str]]:
    """The message's features as two blocks, each scored and normalised on its own:
    words (``w:``) and word pairs (``b:``, with ``^``/``$`` at the ends); and
    character n-grams (``c:``) of the normalised text, across word boundaries.
    Sets: presence counts, not repetition."""
    tokens = normalise_for_model(text, MAX_TOKENS)[:MAX_TOKENS]
    words: set[str] = set()
    add = words.add
    prev = "^"
    for tok in tokens:
        add("w:" + tok)
        add("b:" + prev + " " + tok)
        prev = tok
    if tokens:
        add("b:" + prev + " $")
    chars: set[str] = set()
    lo, hi = char_range
    if hi and tokens:
        joined = " " + " ".join(tokens)[:MAX_CHARS] + " "
        add = chars.add
        size = len(joined)
        for n in range(lo, hi + 1):
            for i in range(size - n + 1):
                add("c:" + joined[i : i + n])
    return words, chars


def features(text: str, *, char_range: tuple[int, int] = (3, 5)) -> set[str]:
    """All of the message's features (both blocks of ``feature_blocks``)."""
    words, chars = feature_blocks(text, char_range=char_range)
    return words | chars


def context_features(recent_texts: Sequence[str], turns: int) -> set[str]:
    """Words of the last ``turns`` earlier messages, prefixed ``x:`` so the model
    learns them apart from the message's own words."""
    out: set[str] = set()
    for t in recent_texts[-turns:] if turns else ():
        for tok in normalise_for_model(t)[:MAX_TOKENS]:
            out.add("x:" + tok)
    return out


@dataclass(frozen=True)
class Scores:
    elevated: float  # P(level >= elevated)
    imminent: float  # P(level == imminent)
    category: str | None = None  # the model's risk category, when it has a category head


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class RiskModel:
    weights: dict[str, tuple[float, float, float]]  # feature -> (idf, elevated head, imminent head)
    bias: tuple[float, float]
    thresholds: dict[str, float]  # "elevated", "imminent": raise the level at or above these
    context_turns: int = 0  # earlier turns read (their words, x: features, are in ``weights``)
    category_weights: dict[str, tuple[float, ...]] = field(default_factory=dict)
    category_bias: tuple[float, ...] = ()
    char_range: tuple[int, int] = (3, 5)
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ scoring

    def __post_init__(self) -> None:
        # One scoring table per block, one row per feature: (idf², idf·w_elevated, idf·w_imminent,
        # idf·w_category...) — the category head's weights ride in the same row, so a feature is
        # looked up once for both. Character n-grams are keyed without their "c:" prefix (one string
        # concatenation less per n-gram).
        n = len(self.category_bias) if self.category_weights else 0
        no_category = (0.0,) * n
        cats = self.category_weights
        self._words: dict[str, tuple[float, ...]] = {}
        self._chars: dict[str, tuple[float, ...]] = {}
        for f, (idf, we, wi) in self.weights.items():
            c = cats.get(f, no_category) if n else ()
            row = (idf * idf, idf * we, idf * wi, *(idf * v for v in c))
            if f.startswith("c:"):
                self._chars[f[2:]] = row
            else:
                self._words[f] = row
        self._has_category = bool(n)
        self._serving = False

    def serving(self) -> RiskModel:
        """Keep only the scoring tables: the per-feature weights as trained are dropped (they
        would double the memory of every server process), so this model can score but not be saved."""
        self.weights = {}
        self.category_weights = {}
        self._serving = True
        return self

    def _message_blocks(self, text: str) -> list[tuple[set[str], dict, dict]]:
        """The blocks of ``feature_blocks(text)`` with their scoring tables, built with fewer
        allocations (tests/safety/test_model.py checks that the scores are the same)."""
        tokens = normalise_for_model(text, MAX_TOKENS)[:MAX_TOKENS]
        if not tokens:
            return []
        words = set()
        add = words.add
        prev = "^"
        for tok in tokens:
            add("w:" + tok)
            add("b:" + prev + " " + tok)
            prev = tok
        add("b:" + prev + " $")
        blocks = [(words, self._words)]
        lo, hi = self.char_range
        if hi:
            joined = " " + " ".join(tokens)[:MAX_CHARS] + " "
            size = len(joined)
            blocks.append(({joined[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1)}, self._chars))
        return blocks

    def score(self, text: str, recent_texts: Sequence[str] = ()) -> Scores:
        """P(elevated+) and P(imminent) of ``text`` after ``recent_texts`` (oldest first)."""
        z_e, z_i = self.bias
        blocks = self._message_blocks(text)
        if self.context_turns and recent_texts:
            blocks.append((context_features(recent_texts, self.context_turns), self._words))
        for feats, table in blocks:
            # Each block is L2-normalised over its known features, weighted by idf.
            get = table.get
            ss = s_e = s_i = 0.0
            for f in feats:
                w = get(f)
                if w is not None:
                    ss += w[0]
                    s_e += w[1]
                    s_i += w[2]
            if ss:
                norm = 1.0 / math.sqrt(ss)
                z_e += s_e * norm
                z_i += s_i * norm
        return Scores(_sigmoid(z_e), _sigmoid(z_i))

    def category(self, text: str) -> str | None:
        """The most likely risk category (self_harm, harm_to_others, abuse), if the model has a category head."""
        if not self._has_category:
            return None
        z = list(self.category_bias)
        n = len(z)
        for feats, table in self._message_blocks(text):
            get = table.get
            ss = 0.0
            acc = [0.0] * n
            for f in feats:
                w = get(f)
                if w is None:
                    continue
                ss += w[0]
                for k in range(n):
                    acc[k] += w[3 + k]
            if ss:
                norm = 1.0 / math.sqrt(ss)
                for k in range(n):
                    z[k] += acc[k] * norm
        best = max(range(n), key=z.__getitem__)
        return CATEGORIES[best]

    # ------------------------------------------------------------------ file

    def to_dict(self) -> dict:
        if self._serving:
            raise ValueError("a serving model keeps only its scoring tables and cannot be saved")

        def table(weights: dict[str, tuple[float, ...]]) -> dict:
            keys = sorted(weights)
            return {"features": keys, "weights": [[round(v, 4) for v in weights[k]] for k in keys]}

        return {
            "format": FORMAT,
            "heads": list(HEADS),
            "bias": [round(v, 6) for v in self.bias],
            "thresholds": {k: round(v, 6) for k, v in self.thresholds.items()},
            "char_range": list(self.char_range),
            "context_turns": self.context_turns,
            "features": table(self.weights),
            "categories": {
                "labels": list(CATEGORIES),
                "bias": [round(v, 6) for v in self.category_bias],
                **table(self.category_weights),
            },
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_PATH) -> RiskModel:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelFileError(f"{path}: model file not found (rebuild it with manage.py safety_train)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: not a readable JSON model file: {exc}") from None
        try:
            return cls.from_dict(data)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: object) -> RiskModel:
        if not isinstance(data, dict):
            raise ModelFileError("expected a JSON object")
        if data.get("format") != FORMAT:
            raise ModelFileError(f"format {data.get('format')!r}; expected {FORMAT!r}")
        try:
            bias = _floats(data["bias"], 2, "bias")
            thresholds = {k: float(data["thresholds"][k]) for k in HEADS}
            for k, v in thresholds.items():
                if not 0.0 < v <= 1.0:
                    raise ModelFileError(f"threshold {k}={v} outside (0, 1]")
            lo, hi = (int(v) for v in data.get("char_range", (3, 5)))
            weights = _table(data["features"], 3, "features")
            cats = data.get("categories") or {}
            cat_weights = _table(cats, len(CATEGORIES), "categories") if cats.get("features") else {}
            cat_bias = _floats(cats["bias"], len(CATEGORIES), "categories.bias") if cat_weights else ()
            turns = int(data.get("context_turns", 0))
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed model: {type(exc).__name__}: {exc}") from None
        if not weights:
            raise ModelFileError("the model has no features")
        return cls(
            weights=weights,
            bias=bias,
            thresholds=thresholds,
            context_turns=turns,
            category_weights=cat_weights,
            category_bias=cat_bias,
            char_range=(lo, hi),
            meta=dict(data.get("meta") or {}),
        )


def _floats(values, n: int, what: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if len(out) != n or not all(math.isfinite(v) for v in out):
        raise ModelFileError(f"{what}: expected {n} finite numbers")
    return out


def _table(table: dict, n: int, what: str) -> dict[str, tuple[float, ...]]:
    keys, rows = table["features"], table["weights"]
    if len(keys) != len(rows):
        raise ModelFileError(f"{what}: {len(keys)} features but {len(rows)} weight rows")
    out = {}
    for k, row in zip(keys, rows):
        if len(row) != n:
            raise ModelFileError(f"{what}: feature {k!r} has {len(row)} weights; expected {n}")
        out[str(k)] = tuple(float(v) for v in row)
    return out


_lock = threading.Lock()
_cache: dict[Path, RiskModel] = {}
_failures: dict[Path, tuple[float, ModelFileError]] = {}
RETRY_AFTER = 30.0  # seconds before a file that failed to load is read again


def get_model(path: str | Path = DEFAULT_MODEL_PATH) -> RiskModel:
    """The model in ``path``, loaded once per process (thread-safe). Raises ModelFileError.

    A file that fails to load is not read again for ``RETRY_AFTER`` seconds (the
    same error is raised meanwhile), so a broken deployment does not read the
    disk for every message."""
    model = _cache.get(path)  # keyed by the argument as given too: no Path() per message
    if model is None:
        path = Path(path)
        with _lock:
            model = _cache.get(path)
            if model is None:
                failed = _failures.get(path)
                if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER:
                    raise failed[1]
                try:
                    model = RiskModel.load(path).serving()
                except ModelFileError as exc:
                    _failures[path] = (time.monotonic(), exc)
                    raise
                _failures.pop(path, None)
                _cache[path] = model
                _cache[str(path)] = model
    return model


def clear_cache() -> None:
    """Forget loaded models and load failures (tests, and a retrained file in a long-lived shell)."""
    with _lock:
        _cache.clear()
        _failures.clear()
