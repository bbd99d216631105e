"""Speed and memory of the risk model and of the whole assessment (rules + model).

    .venv/bin/python bench/model_bench.py [FILE.csv] [--repeat N]

Prints, for one process: the model's load time and the resident memory it
adds, the model's scoring time per message, and the time per message of the
rules alone and of the combined backend (p50/p99, wall clock and the
thread's CPU time; the rules' per-process cache is cleared before each pass
so every message is analysed afresh).
Run it on an otherwise idle machine; docs/safety-rules.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safety.classifier import AssessmentContext, assess, get_rules  # noqa: E402
from safety.classifier.engine import _analyse  # noqa: E402
from safety.classifier.evaluation import DEFAULT_SET, read_examples  # noqa: E402

CORPUS_DEV = ROOT / "safety" / "data" / "corpus" / "dev.csv"


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentiles(seconds: list[float]) -> str:
    s = sorted(seconds)
    p = lambda q: s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1e3  # noqa: E731
    return f"p50 {p(0.50):.3f} ms  p99 {p(0.99):.3f} ms  max {s[-1] * 1e3:.3f} ms"


def timed(fn, examples, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread's) seconds per call. On a shared machine the
    wall-clock tail mostly measures waiting for a core; the CPU time is the cost."""
    wall, cpu = [], []
    clock, cpu_clock = time.perf_counter, time.thread_time
    for _ in range(repeat):
        _analyse.cache_clear()
        for text, ctx in examples:
            c0 = cpu_clock()
            t0 = clock()
            fn(text, ctx)
            wall.append(clock() - t0)
            cpu.append(cpu_clock() - c0)
    return wall, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(CORPUS_DEV if CORPUS_DEV.exists() else DEFAULT_SET))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    examples = [
        (ex.text, AssessmentContext(sender_role=ex.role, recent_texts=ex.context)) for ex in read_examples(args.file)
    ]
    print(f"{args.file}: {len(examples)} messages x {args.repeat} passes, pid {os.getpid()}")

    get_rules("en")
    before = rss()
    t0 = time.perf_counter()
    from safety.classifier import combined
    from safety.classifier.model import get_model

    model = get_model()
    load = time.perf_counter() - t0
    print(
        f"model load (import + read + build): {load * 1e3:.0f} ms, resident memory added {(rss() - before) / 2**20:.1f} MiB, "
        f"{len(model._words) + len(model._chars)} features"
    )

    score = timed(lambda t, c: model.score(t, c.recent_texts), examples, args.repeat)
    rules = timed(assess, examples, args.repeat)
    both = timed(combined.assess, examples, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for label, (wall, cpu) in (
        ("model scoring only", score),
        ("rules only (assess)", rules),
        ("rules + model (combined)", both),
    ):
        print(f"{label:<28} wall {percentiles(wall)}")
        print(f"{'':<28} cpu  {percentiles(cpu)}")


if __name__ == "__main__":
    main()
