"""Split the rows written blind into a training part and a development part.

    python safety/data/blind/split.py WRITER.csv [WRITER.csv ...]

The rows here were written by writers who never saw Hearth's rules, model,
corpus, tests or evaluation sets, only the level definitions (docs/safety-rules.md,
"Rows written blind"). Each writer's file is read, checked and written into
``train.csv`` (80 %) or ``dev.csv`` (20 %) beside this script, by a hash of the
row's folded text (the corpus's ``fold``), so a re-run puts every row where it was.

Decontamination: a row whose folded text is also in the corpus's dev or test split
or in an independent held-out set is dropped, so no text that scores the classifier
is ever trained on; a row repeated across writers is kept once.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
sys.path.insert(0, str(DATA / "corpus"))
from split import CATEGORIES, FIELDS, LANGS, LEVELS, fold  # noqa: E402

DEV_SHARE = 20
KEEP_OUT = [DATA / "corpus" / "dev.csv", DATA / "corpus" / "test.csv", *sorted((DATA / "holdout").glob("*.csv"))]


def part_of(text: str) -> str:
    bucket = int(hashlib.sha256(("blind:" + fold(text)).encode("utf-8")).hexdigest(), 16) % 100
    return "dev" if bucket < DEV_SHARE else "train"


def checked(row: dict, where: str) -> dict:
    row = {name: (row.get(name) or "").strip() for name in FIELDS}
    row["role"] = row["role"] or "seeker"
    row["lang"] = row["lang"] or "en"
    problems = []
    if not row["text"]:
        problems.append("empty text")
    if row["level"] not in LEVELS:
        problems.append(f"level {row['level']!r}")
    if row["category"] not in CATEGORIES:
        problems.append(f"category {row['category']!r}")
    if row["level"] in {"elevated", "imminent"} and row["category"] not in {"self_harm", "harm_to_others", "abuse"}:
        problems.append("a risk row needs a risk category")
    if row["lang"] not in LANGS:
        problems.append(f"lang {row['lang']!r}")
    if problems:
        raise SystemExit(f"{where}: {', '.join(problems)}")
    return row


def main(paths: list[str]) -> None:
    kept_out = {fold(row["text"]) for path in KEEP_OUT for row in csv.DictReader(path.open(encoding="utf-8"))}
    parts: dict[str, list[dict]] = {"train": [], "dev": []}
    seen: set[tuple[str, str]] = set()
    dropped = Counter()
    for path in paths:
        for number, raw in enumerate(csv.DictReader(Path(path).open(encoding="utf-8")), start=2):
            row = checked(raw, f"{path}:{number}")
            key = (fold(row["text"]), fold(row["context"]))
            if fold(row["text"]) in kept_out:
                dropped["in an evaluation set"] += 1
                continue
            if key in seen:
                dropped["repeated"] += 1
                continue
            seen.add(key)
            parts[part_of(row["text"])].append(row)
    for name, rows in parts.items():
        with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        print(name, len(rows), dict(Counter(row["level"] for row in rows)))
    print("dropped", dict(dropped))


if __name__ == "__main__":
    main(sys.argv[1:])
