"""Split the labelled safety corpus once into train, dev and test.

    python safety/data/corpus/split.py SOURCE_DIR [SOURCE_DIR ...]

Reads every ``*.csv`` in the source folders (corpus format: docs/safety-rules.md,
"The corpus") plus the older evaluation sets in ``safety/data/eval_*.csv``, and
writes ``train.csv``, ``dev.csv`` and ``test.csv`` beside this script. The
writers' source files were removed once split; the split files are the corpus.
To add rows, put them in a new folder and pass it together with this one
(``split.py safety/data/corpus NEW_DIR``): every existing row keeps its split.

A row's split is a function of its text alone (SHA-256 of the text folded to
lower-case letters and digits), so the same message, however it is punctuated or
capitalised, always lands in the same split, and adding rows never moves old
ones. 60 % train, 20 % dev, 20 % test. Nothing is tuned on test.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
FIELDS = ["text", "level", "category", "role", "context", "lang", "class"]
LEVELS = {"none", "distress", "elevated", "imminent"}
CATEGORIES = {"", "self_harm", "harm_to_others", "abuse", "listener_misconduct", "harassment", "personal_info"}
ROLES = {"seeker", "listener", "member"}
LANGS = {"en", "es", "fr", "de", "pt"}
SHARES = (("train", 60), ("dev", 20), ("test", 20))


def fold(text: str) -> str:
    """Lower-case letters and digits only; a text with none (emoji only) keeps its own characters,
    so two different emoji-only messages stay two rows."""
    folded = re.sub(r"[\W_]+", "", text.lower())
    return folded or re.sub(r"\s+", "", text)


def split_of(text: str) -> str:
    bucket = int(hashlib.sha256(fold(text).encode("utf-8")).hexdigest(), 16) % 100
    for name, share in SHARES:
        if bucket < share:
            return name
        bucket -= share
    raise AssertionError("shares must add up to 100")


def legacy_rows() -> list[dict]:
    """The evaluation sets that predate the corpus, in corpus form (class ``legacy``)."""
    rows = []
    for path in sorted(DATA.glob("eval_*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            rows.append(
                {
                    "text": row["text"],
                    "level": row["level"],
                    "category": row.get("category", ""),
                    "role": row.get("role") or "seeker",
                    "context": row.get("context", ""),
                    "lang": "en",
                    "class": "legacy",
                }
            )
    return rows


def check(row: dict, where: str) -> None:
    problems = []
    if not row["text"].strip():
        problems.append("empty text")
    if row["level"] not in LEVELS:
        problems.append(f"level {row['level']!r}")
    if row["category"] not in CATEGORIES:
        problems.append(f"category {row['category']!r}")
    if row["role"] not in ROLES:
        problems.append(f"role {row['role']!r}")
    if row["lang"] not in LANGS:
        problems.append(f"lang {row['lang']!r}")
    if not row["class"]:
        problems.append("no class")
    if problems:
        raise SystemExit(f"{where}: " + ", ".join(problems))


def main(sources: list[str]) -> None:
    rows = legacy_rows()
    for source in sources:
        for path in sorted(Path(source).glob("*.csv")):
            for number, row in enumerate(csv.DictReader(path.open(encoding="utf-8")), start=2):
                row = {field: (row.get(field) or "").strip() for field in FIELDS}
                check(row, f"{path}:{number}")
                rows.append(row)
    seen: set[tuple[str, str]] = set()
    splits: dict[str, list[dict]] = {name: [] for name, _ in SHARES}
    for row in rows:
        key = (fold(row["text"]), fold(row["context"]))
        if key in seen:
            continue
        seen.add(key)
        splits[split_of(row["text"])].append(row)
    for name, part in splits.items():
        with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(part)
        print(name, len(part), dict(Counter(row["level"] for row in part)))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
