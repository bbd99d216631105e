"""Pure analysis helpers: knee detection on stepped load, linear fit."""

from __future__ import annotations

from collections.abc import Sequence


def find_knee(steps: Sequence[dict], metric: str, limit: float) -> dict:
    """Given load steps in increasing order of offered rate, each a dict with
    ``metric`` (e.g. "p99_ms") and ``failed`` (loss/dup), return
    {"knee": last step within the limit or None, "passed_at": first step past
    it (or failing) or None}. Steps after the first bad one are ignored."""
    knee = None
    for step in steps:
        value = step.get(metric)
        if step.get("failed") or value is None or value > limit:
            return {"knee": knee, "passed_at": step}
        knee = step
    return {"knee": knee, "passed_at": None}


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept)."""
    n = len(xs)
    if n != len(ys) or n < 2:
        raise ValueError("need at least two points")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("xs are all equal")
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope, my - slope * mx
