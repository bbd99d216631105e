"""Results as JSON and markdown, including the target/baseline ratio table."""

from __future__ import annotations

import json
from pathlib import Path

# Columns per scenario: (row key, header). Missing keys print as "–".
COLUMNS = {
    "relay": [
        ("sent_msgs_per_s", "msgs/s"),
        ("knee_msgs_per_s", "knee msgs/s"),
        ("knee_not_reached", "knee beyond last step"),
        ("passed_at_offered_msgs_per_s", "p99>limit at offered"),
        ("latency_p50_ms", "p50 ms"),
        ("latency_p99_ms", "p99 ms"),
        ("latency_p999_ms", "p99.9 ms"),
        ("latency_n", "n"),
        ("ack_p50_ms", "ack p50 ms"),
        ("ack_p99_ms", "ack p99 ms"),
        ("server_cpu_ms_per_1k_msgs", "srv CPU ms/1k msgs"),
        ("redis_cpu_ms_per_1k_msgs", "redis CPU ms/1k msgs"),
        ("messages_sent", "msgs sent"),
        ("db_text_rows", "DB text rows"),
        ("db_rows_match", "rows = sent"),
    ],
    "fanout": [
        ("members", "members"),
        ("sent_msgs_per_s", "msgs/s"),
        ("max_members_within_limit", "max members p95≤limit"),
        ("passed_at_members", "p95>limit at"),
        ("limit_not_reached", "limit beyond last size"),
        ("last_recipient_p50_ms", "last-rcpt p50 ms"),
        ("last_recipient_p95_ms", "last-rcpt p95 ms"),
        ("last_recipient_p99_ms", "last-rcpt p99 ms"),
        ("last_recipient_n", "n"),
        ("deliveries_per_s", "deliveries/s"),
        ("server_cpu_ms_per_1k_deliveries", "srv CPU ms/1k deliveries"),
    ],
    "matching": [
        ("seekers", "seekers"),
        ("listeners", "listeners"),
        ("match_p50_ms", "match p50 ms"),
        ("match_p99_ms", "match p99 ms"),
        ("match_max_ms", "match max ms"),
        ("drain_s", "drain s"),
        ("matched", "matched"),
        ("double_assignments", "double assigned"),
        ("listeners_over_capacity", "over capacity"),
        ("order_inversions", "order inversions"),
        ("server_cpu_util", "srv CPU (cores)"),
    ],
    "reconnect": [
        ("clients", "clients"),
        ("restart_s", "restart s"),
        ("back_p50_s", "back 50% s"),
        ("back_p99_s", "back 99% s"),
        ("back_all_s", "back all s"),
        ("reconnect_attempts", "retries"),
        ("messages_sent", "msgs sent"),
        ("db_text_rows", "DB text rows"),
        ("unacked", "unacked"),
    ],
    "idle": [
        ("sockets", "sockets"),
        ("rss_kib_per_conn", "RSS KiB/conn"),
        ("rss_base_mib", "RSS base MiB"),
        ("idle_cpu_util", "idle CPU (cores)"),
        ("idle_cpu_ms_per_s_per_1k_conns", "idle CPU ms/s per 1k conns"),
    ],
}
ACCOUNTING = [
    ("other_cpu_util", "other CPU"),
    ("lost", "lost"),
    ("duplicated", "dup"),
    ("out_of_order", "ooo"),
    ("client_bound", "client-bound"),
    ("failed", "FAILED"),
]

# Figures compared target/baseline in the ratio table.
RATIO_METRICS = {
    "relay": ["latency_p50_ms", "latency_p99_ms", "latency_p999_ms", "knee_msgs_per_s", "server_cpu_ms_per_1k_msgs"],
    "fanout": [
        "last_recipient_p50_ms",
        "last_recipient_p95_ms",
        "last_recipient_p99_ms",
        "max_members_within_limit",
        "server_cpu_ms_per_1k_deliveries",
    ],
    "idle": ["rss_kib_per_conn", "idle_cpu_util"],
}


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _table(headers: list[str], lines: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_fmt(v) for v in line) + " |" for line in lines]
    return "\n".join(out)


def _match_key(row: dict) -> tuple:
    return (row["scenario"], row["phase"], row["layer"], row.get("procs", 1))


def ratio_table(
    rows: list[dict], baseline_family: str = "channels", metrics: dict[str, list[str]] = RATIO_METRICS
) -> list[dict]:
    """For every row of a family other than ``baseline_family`` (and "raw"),
    the ratio target/baseline of each metric, against the baseline row of the
    same scenario, phase, layer and process count. Rows without a baseline
    counterpart are skipped."""
    baselines = {_match_key(r): r for r in rows if r["family"] == baseline_family}
    out = []
    for row in rows:
        if row["family"] in (baseline_family, "raw"):
            continue
        base = baselines.get(_match_key(row))
        if base is None:
            continue
        for metric in metrics.get(row["scenario"], []):
            t, b = row.get(metric), base.get(metric)
            if isinstance(t, (int, float)) and isinstance(b, (int, float)) and not isinstance(t, bool):
                ratio = round(t / b, 2) if b else None
            else:
                ratio = None
            out.append(
                {
                    "scenario": row["scenario"],
                    "phase": row["phase"],
                    "layer": row["layer"],
                    "target": row["target"],
                    "baseline": base["target"],
                    "metric": metric,
                    "value": t,
                    "baseline_value": b,
                    "ratio": ratio,
                }
            )
    return out


def _templates_note(templates: list[dict]) -> str:
    """Elapsed time depends on whether Hearth's template databases were built or reused."""
    if not templates:
        return ""
    reused = [f"{t['store']} {t['kind']}" for t in templates if t["reused"]]
    built = [f"{t['store']} {t['kind']} ({t['seconds']} s)" for t in templates if not t["reused"]]
    return " · templates " + "; ".join(
        filter(
            None, [("reused: " + ", ".join(reused)) if reused else "", ("built: " + ", ".join(built)) if built else ""]
        )
    )


def markdown(result: dict) -> str:
    meta = result["meta"]
    parts = [
        f"# Hearth bench — {result['profile']['name']} run {meta['date_utc']}",
        "",
        f"commit `{meta['git_commit']}`{' (bench/ dirty)' if meta['git_dirty'] else ''} · "
        f"Python {meta['python']} · {meta['cpu_count']} cores ({meta['cpu_model']}) · "
        f"Redis {meta['redis_server']} · " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items() if v),
        "",
        f"Elapsed {result.get('elapsed_s')} s · load average {result.get('loadavg_start')} → "
        f"{result.get('loadavg_end')} · max CPU used by other processes during a phase: "
        f"{result.get('max_other_cpu_util')} cores" + _templates_note(result.get("templates") or []),
        "",
        "Latencies from the *scheduled* send time (open loop). "
        "Status: " + ("**FAILED** (loss, duplicates or errors — see rows)" if result["failed"] else "ok"),
        "",
    ]
    rows = result["rows"]
    for scenario, cols in COLUMNS.items():
        srows = [r for r in rows if r["scenario"] == scenario]
        if not srows:
            continue
        cols = [c for c in cols if any(r.get(c[0]) is not None for r in srows)] + ACCOUNTING
        headers = ["target", "layer", "phase"] + [h for _, h in cols]
        lines = [[r["target"], r["layer"], r["phase"]] + [r.get(k) for k, _ in cols] for r in srows]
        parts += [f"## {scenario}", "", _table(headers, lines), ""]
    ratios = result.get("ratios") or []
    if ratios:
        parts += [
            "## ratios (target / bare Channels, same scenario, phase and layer)",
            "",
            _table(
                ["target", "scenario", "phase", "layer", "metric", "value", "baseline", "ratio"],
                [
                    [
                        r["target"],
                        r["scenario"],
                        r["phase"],
                        r["layer"],
                        r["metric"],
                        r["value"],
                        r["baseline_value"],
                        r["ratio"],
                    ]
                    for r in ratios
                    if r["value"] is not None or r["baseline_value"] is not None
                ],
            ),
            "",
        ]
    if result.get("skipped"):
        parts += ["## skipped", ""] + [f"- {e}" for e in result["skipped"]] + [""]
    if result.get("errors"):
        parts += ["## errors", ""] + [f"- {e}" for e in result["errors"]] + [""]
    return "\n".join(parts)


def write(result: dict, out_dir: Path, stamp: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stamp}.json"
    md_path = out_dir / f"{stamp}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str))
    md_path.write_text(markdown(result))
    return json_path, md_path
