"""HdrHistogram wrapper: latencies recorded in microseconds, reported in ms."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

MAX_US = 120_000_000  # 2 minutes; anything slower is clamped


class Latency:
    def __init__(self) -> None:
        self.hist = HdrHistogram(1, MAX_US, 3)

    def record_ns(self, ns: int) -> None:
        self.hist.record_value(min(max(ns // 1000, 1), MAX_US))

    @property
    def count(self) -> int:
        return self.hist.get_total_count()

    def ms(self, percentile: float) -> float | None:
        if not self.count:
            return None
        return round(self.hist.get_value_at_percentile(percentile) / 1000, 3)

    def summary(self) -> dict:
        return {
            "n": self.count,
            "p50_ms": self.ms(50),
            "p95_ms": self.ms(95),
            "p99_ms": self.ms(99),
            "p999_ms": self.ms(99.9),
            "max_ms": round(self.hist.get_max_value() / 1000, 3) if self.count else None,
        }
