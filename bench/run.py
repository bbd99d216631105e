"""Benchmark CLI.

    python -m bench.run [--quick|--full] [--scenario relay,matching,reconnect,idle,fanout]
                        [--targets raw,channels-memory,...,hearth-memory,...] [--out var/bench] [--procs N]

Defaults: --quick runs bare Channels and Hearth on the in-memory layer and on
Redis pub/sub (two server processes for the Redis targets) through relay
(S1), fanout (S2), matching (S3), reconnect (S6) and idle (S4) at small
sizes; --full adds the raw ASGI and channels-redis core targets, full sizes.

Writes var/bench/<timestamp>.json and .md and prints the markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

from bench.harness import environment, procstat, redisinfo, report
from bench.harness.profiles import PROFILES
from bench.harness.scenarios import SCENARIOS
from bench.harness.scenarios.common import Context
from bench.targets import BASELINES, HEARTH, resolve

SKIP_REASONS = {
    "matching": "needs Hearth's matching protocol (no bare-Channels counterpart)",
    "reconnect": "needs Hearth's resume protocol (conversation.sync, client_id re-send)",
}
DEFAULT_SCENARIOS = {"quick": "relay,fanout,matching,reconnect,idle", "full": "relay,fanout,matching,reconnect,idle"}
DEFAULT_TARGETS = {
    "quick": "channels-memory,channels-redis-pubsub,hearth-memory,hearth-redis-pubsub",
    "full": ",".join(BASELINES + HEARTH),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="profile", action="store_const", const="quick")
    mode.add_argument("--full", dest="profile", action="store_const", const="full")
    ap.set_defaults(profile="quick")
    ap.add_argument(
        "--scenario", default=None, help="comma-separated: " + ",".join(SCENARIOS) + " (default: see above)"
    )
    ap.add_argument(
        "--targets", default=None, help="comma-separated target names or module:factory (default: see above)"
    )
    ap.add_argument("--out", default="var/bench", type=Path)
    ap.add_argument(
        "--procs",
        type=int,
        default=2,
        help="server processes per target (targets whose rooms are in-process run with 1)",
    )
    ap.add_argument(
        "--no-pin", action="store_true", help="do not pin the client to CPU 0 and servers to the other CPUs"
    )
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument(
        "--scenario-timeout",
        type=float,
        default=None,
        help="seconds per scenario per target (default 150 quick, 2400 full)",
    )
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args(argv)


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _pinning(no_pin: bool) -> tuple[set[int] | None, set[int] | None]:
    cpus = sorted(os.sched_getaffinity(0))
    if no_pin or len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


async def main(args: argparse.Namespace) -> int:
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    profile = PROFILES[args.profile]
    args.scenario = args.scenario or DEFAULT_SCENARIOS[profile.name]
    args.targets = args.targets or DEFAULT_TARGETS[profile.name]
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    for s in scenarios:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")
    try:
        targets = [resolve(t.strip()) for t in args.targets.split(",") if t.strip()]
    except KeyError as exc:  # an unknown name: say which exist, no traceback
        raise SystemExit(exc.args[0]) from None
    # Pinning separates client and server on a 2-core box; with several server
    # processes they need every core, so nothing is pinned then.
    client_cpus, server_cpus = _pinning(args.no_pin or args.procs > 1)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    timeout = args.scenario_timeout or (150 if profile.name == "quick" else 2400)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = args.out / f"{stamp}-logs"
    result = {
        "meta": environment.describe(await redisinfo.version(args.redis_url)),
        "profile": profile.as_dict(),
        "settings": {
            "scenarios": scenarios,
            "targets": [t.describe() for t in targets],
            "procs": args.procs,
            "client_cpus": sorted(client_cpus or []),
            "server_cpus": sorted(server_cpus or []),
            "redis_url": args.redis_url,
            "seed": args.seed,
            "scenario_timeout_s": timeout,
            "client": {"library": "websockets", "compression": None, "ping_interval": None},
            "server": {"cmd": "daphne -b 127.0.0.1 -p PORT -v 0 APP", "daphne_ping_interval_s": 20},
            "argv": sys.argv,
        },
        "rows": [],
        "errors": [],
        "skipped": [],
        "failed": False,
        "timings": [],
        "loadavg_start": procstat.loadavg(),
    }
    started = time.monotonic()
    for target in targets:
        target.plan(profile, scenarios)
    try:
        # Untimed shared set-up (Hearth's template databases) before any scenario, so a scenario's
        # wall time is its own. One target after another: built side by side on 2 cores, SQLite's
        # and PostgreSQL's took 26 s against 24 s in turn (each slowed the other).
        for target in targets:
            try:
                await target.prepare_shared()
            except Exception as e:  # the scenarios try again and report their own failure
                result["errors"].append(f"{target.name}/shared set-up: {e!r}")
        result["timings"].append(
            {
                "target": "all",
                "scenario": "shared set-up",
                "wall_s": round(time.monotonic() - started, 1),
                "measured_s": 0,
            }
        )
        for target in targets:
            procs = args.procs if target.multi_process else 1
            ctx = Context(
                target, profile, log_dir, procs=procs, server_cpus=server_cpus, redis_url=args.redis_url, seed=args.seed
            )
            for name in scenarios:
                t0, n_rows = time.monotonic(), len(result["rows"])
                print(f"[bench] {target.name}: {name} ...", file=sys.stderr, flush=True)
                try:
                    rows = await asyncio.wait_for(SCENARIOS[name](ctx), timeout)
                    result["rows"].extend(rows)
                    if not rows:
                        result["skipped"].append(f"{target.name}/{name}: {SKIP_REASONS.get(name, 'not applicable')}")
                except Exception as e:  # one broken scenario must not hide the others
                    result["errors"].append(f"{target.name}/{name}: {e!r}")
                    traceback.print_exc()
                took = round(time.monotonic() - t0, 1)
                # Measured windows (load phases with their drain, idle windows) vs
                # everything else (servers, untimed setup, joins, quiesce waits).
                measured = sum(s.get("wall_s") or 0 for r in result["rows"][n_rows:] for s in [r, *r.get("steps", [])])
                result["timings"].append(
                    {"target": target.name, "scenario": name, "wall_s": took, "measured_s": round(measured, 1)}
                )
                print(f"[bench] {target.name}: {name} done in {took}s", file=sys.stderr, flush=True)
    except asyncio.CancelledError:
        result["errors"].append("interrupted")
    finally:
        result["elapsed_s"] = round(time.monotonic() - started, 1)
        # Untimed set-up that an earlier run may have done (bench.targets.template_cache).
        result["templates"] = [entry for t in targets for entry in getattr(t, "template_log", list)()]
        result["loadavg_end"] = procstat.loadavg()
        others = [
            s.get("other_cpu_util")
            for r in result["rows"]
            for s in [r, *r.get("steps", [])]
            if s.get("other_cpu_util") is not None
        ]
        result["max_other_cpu_util"] = max(others, default=None)
        result["ratios"] = report.ratio_table(result["rows"])
        result["failed"] = bool(result["errors"]) or any(r.get("failed") for r in result["rows"])
        json_path, md_path = report.write(result, args.out, stamp)
        print(report.markdown(result))
        print(f"\n[bench] wrote {json_path} and {md_path} in {result['elapsed_s']}s", file=sys.stderr)
    return 1 if result["failed"] else 0


def cli(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _raise_fd_limit()
    try:
        return asyncio.run(main(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(cli())
