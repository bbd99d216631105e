"""Micro-benchmark for the safety classifier.

    .venv/bin/python bench/classifier_bench.py [FILE.csv] [--repeat N]

Prints messages/second for the full pipeline on the evaluation set (cache
bypassed, so every message is normalised and matched afresh), for the
ordinary messages alone (the common case on a live chat), for PII masking,
and for assess() with its per-process cache warm.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safety.classifier import assess, get_rules, mask_personal_info  # noqa: E402
from safety.classifier.engine import _analyse, _analyse_uncached  # noqa: E402
from safety.classifier.evaluation import DEFAULT_SET  # noqa: E402


def _rate(fn, texts, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        for t in texts:
            fn(t)
    elapsed = time.perf_counter() - start
    n = len(texts) * repeat
    return n / elapsed, elapsed / n * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(DEFAULT_SET))
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)

    with open(args.file, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["text"] for r in rows]
    ordinary = [r["text"] for r in rows if r["level"] == "none" and not r.get("category")]

    t0 = time.perf_counter()
    get_rules("en")
    print(f"rule file load + compile (once per process): {(time.perf_counter() - t0) * 1e3:.1f} ms")

    cases = [
        ("assess, all eval messages, uncached", lambda t: _analyse_uncached(t, "en"), texts),
        ("assess, ordinary messages only, uncached", lambda t: _analyse_uncached(t, "en"), ordinary),
        ("mask_personal_info, all eval messages", mask_personal_info, texts),
    ]
    for label, fn, data in cases:
        rate, us = _rate(fn, data, args.repeat)
        print(f"{label:<45} {rate:>10,.0f} msg/s  {us:7.1f} us/msg  (n={len(data)})")
    _analyse.cache_clear()
    rate, us = _rate(assess, texts, args.repeat)
    print(f"{'assess() public API, cache warm after pass 1':<45} {rate:>10,.0f} msg/s  {us:7.1f} us/msg")


if __name__ == "__main__":
    main()
