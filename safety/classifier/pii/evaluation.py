"""Measure masking on a labelled corpus (pure Python, no Django).

CSV columns: ``text``; ``kind`` (the contact kinds in the text, joined by
"|", empty for an ordinary text); ``secret`` (the contact details themselves,
joined by ";", each an exact substring of ``text``); ``split`` (dev or test).

* **recall**: the share of texts with contact details in which every secret
  is masked, each occurrence covered completely by masked spans.
* **false masking**: the share of ordinary texts that come out changed.

    python -m safety.classifier.pii.evaluation [FILE.csv] [--split dev] [--misses] [--speed]

``--speed`` also times masking with its cache bypassed: the corpus's ordinary
texts, its texts with contact details, and plain chat (the risk evaluation
set's messages with no digit, "@" or platform word), in microseconds per message.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..types import MaskResult
from . import _mask, mask_personal_info
from .vocab import PLATFORM_WORDS

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "masking" / "masking_en.csv"


@dataclass(frozen=True)
class Row:
    text: str
    kinds: frozenset[str]
    secrets: tuple[str, ...]
    split: str
    line: int


@dataclass
class SplitScore:
    split: str
    positives: int = 0
    caught: int = 0
    ordinary: int = 0
    changed: int = 0
    missed: list[tuple[Row, str]] = field(default_factory=list)
    overmasked: list[tuple[Row, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 1.0

    @property
    def false_masking(self) -> float:
        return self.changed / self.ordinary if self.ordinary else 0.0


def load_corpus(path: str | Path = DEFAULT_CORPUS) -> list[Row]:
    rows: list[Row] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "kind", "secret", "split"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for n, r in enumerate(reader, start=2):
            kinds = frozenset(k for k in (r["kind"] or "").split("|") if k)
            secrets = tuple(s for s in (r["secret"] or "").split(";") if s)
            if bool(kinds) != bool(secrets):
                raise ValueError(f"{path}: line {n}: kind and secret must be both set or both empty")
            if any(s not in r["text"] for s in secrets):
                raise ValueError(f"{path}: line {n}: a secret is not in the text")
            rows.append(Row(r["text"], kinds, secrets, r["split"], n))
    return rows


def secrets_masked(row: Row, result: MaskResult) -> bool:
    """Every occurrence of every secret lies inside the masked spans."""
    covered = [False] * len(row.text)
    for span in result.spans:
        for i in range(span.start, span.end):
            covered[i] = True
    for secret in row.secrets:
        at = row.text.find(secret)
        while at >= 0:
            if not all(covered[at : at + len(secret)]):
                return False
            at = row.text.find(secret, at + 1)
    return True


def evaluate(rows: list[Row], mask: Callable[[str], MaskResult] = mask_personal_info) -> dict[str, SplitScore]:
    scores: dict[str, SplitScore] = {}
    for row in rows:
        score = scores.setdefault(row.split, SplitScore(row.split))
        result = mask(row.text)
        if row.secrets:
            score.positives += 1
            if secrets_masked(row, result):
                score.caught += 1
            else:
                score.missed.append((row, result.text))
        else:
            score.ordinary += 1
            if result.text != row.text:
                score.changed += 1
                score.overmasked.append((row, result.text))
    return scores


def format_report(scores: dict[str, SplitScore], misses: bool = False) -> str:
    lines = []
    for split in sorted(scores):
        s = scores[split]
        lines.append(
            f"{split}: recall {s.recall:.3f} ({s.caught}/{s.positives}), "
            f"false masking {s.false_masking:.3%} ({s.changed}/{s.ordinary})"
        )
        if misses:
            lines += [f"  missed   line {r.line}: {r.text!r} -> {out!r}" for r, out in s.missed]
            lines += [f"  changed  line {r.line}: {r.text!r} -> {out!r}" for r, out in s.overmasked]
    return "\n".join(lines)


def _per_message_us(texts: list[str], repeat: int = 20) -> float:
    # CPU time of this process: on a shared machine, wall time mostly measures the neighbours
    start = time.process_time()
    for _ in range(repeat):
        for t in texts:
            _mask(t)
    return (time.process_time() - start) / (repeat * len(texts)) * 1e6 if texts else 0.0


def speed_report(rows: list[Row]) -> str:
    risk_set = DEFAULT_CORPUS.parents[1] / "eval_en.csv"
    with open(risk_set, encoding="utf-8", newline="") as fh:
        chat = [r["text"] for r in csv.DictReader(fh)]
    plain = [
        t for t in chat if not re.search(r"[0-9@]", t) and PLATFORM_WORDS.isdisjoint(re.findall(r"[a-z]+", t.lower()))
    ]
    lines = ["masking speed, cache bypassed (CPU us per message):"]
    for label, texts in (
        ("plain chat, no digit/@/platform word", plain),
        ("corpus, ordinary texts", [r.text for r in rows if not r.secrets]),
        ("corpus, texts with contact details", [r.text for r in rows if r.secrets]),
    ):
        lines.append(f"  {label:<40} {_per_message_us(texts):8.1f}  (n={len(texts)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--split", help="only this split (dev or test)")
    parser.add_argument("--misses", action="store_true", help="list missed and changed texts")
    parser.add_argument("--speed", action="store_true", help="also time masking per message")
    args = parser.parse_args(argv)
    rows = [r for r in load_corpus(args.file) if args.split in (None, r.split)]
    print(format_report(evaluate(rows), misses=args.misses))
    if args.speed:
        print(speed_report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
