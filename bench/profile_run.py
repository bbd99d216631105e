"""Profile a target's servers with py-spy under steady relay (S1) load, or through a matching (S3) burst.

    python -m bench.profile_run --target hearth-memory --pairs 250 --rate 150 --seconds 20
    python -m bench.profile_run --target hearth-redis-pubsub --procs 2 ...
    python -m bench.profile_run --scenario matching --target hearth-redis-pubsub --procs 2 --seconds 2 [--gil | --idle]

Relay: starts the servers, prepares the pairs, opens the sockets, then runs
one open-loop load phase while ``py-spy record`` (``pip install py-spy``)
samples every server process. Matching: runs the quick S3 scenario and
samples the servers from the moment its burst of requests begins, for
``--seconds``. Writes ``<out>/<stamp>-<target>-<i>.txt`` (collapsed stacks:
feed to flamegraph.pl or speedscope) and prints the figures and
``bench.profile_summary`` of each profile.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from bench.harness.clients import Fleet
from bench.harness.profiles import QUICK
from bench.harness.scenarios.common import Context, flat, load_phase
from bench.harness.scenarios.relay import pair_members, relay_plans
from bench.profile_summary import summarise
from bench.targets import resolve


def spy_on(py_spy: str, pid: int, path: Path, a: argparse.Namespace, rate: int = 200) -> subprocess.Popen:
    mode = ["--gil"] if a.gil else ["--idle", "--threads"] if a.idle else []
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(max(1, round(a.seconds))),
            "-r",
            str(rate),
            "-f",
            "raw",
            "-o",
            str(path),
            "--nonblocking",
            *mode,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def matching_burst(a: argparse.Namespace) -> None:
    """The quick S3 scenario, with every server process sampled from the start of its burst."""
    from bench.harness.scenarios import matching

    target = resolve(a.target)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    ctx = Context(target, QUICK, out / f"{stamp}-logs", procs=a.procs if target.multi_process else 1)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    mark = out / f"{stamp}-burst.json"
    os.environ["BENCH_BURST_MARK"] = str(mark)
    target.plan(QUICK, ["matching"])
    await target.prepare_shared()
    scenario = asyncio.create_task(matching.run(ctx))
    while not mark.exists() and not scenario.done():
        await asyncio.sleep(0.01)
    paths, spies = [], []
    if mark.exists() and not a.no_profile:
        for i, pid in enumerate(json.loads(mark.read_text())["pids"]):
            paths.append(out / f"{stamp}-{target.name}-matching-{i}.txt")
            spies.append(spy_on(py_spy, pid, paths[-1], a, rate=400))
    rows = await scenario
    for spy in spies:
        spy.wait(timeout=60)
    keep = ("match_p50_ms", "match_p99_ms", "drain_s", "server_cpu_s", "server_cpu_util", "other_cpu_util", "failed")
    print(json.dumps([{k: row.get(k) for k in keep} for row in rows], indent=1))
    for path in paths:
        print(f"\n== {path}")
        print(summarise(str(path), a.only, a.top))


async def main(a: argparse.Namespace) -> None:
    if a.scenario == "matching":
        return await matching_burst(a)
    target = resolve(a.target)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    ctx = Context(target, QUICK, out / f"{stamp}-logs", procs=a.procs if target.multi_process else 1)
    run_id = ctx.new_run_id()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        async with ctx.servers(run_id) as group:
            members = pair_members(a.pairs, group.ports)
            await target.prepare(len(members), run_id)
            fleet = Fleet(target, lambda *x: None, QUICK.payload_bytes)
            try:
                await fleet.open(members)
                paths = [out / f"{stamp}-{target.name}-{i}.txt" for i in range(len(group.processes))]
                spies = (
                    [] if a.no_profile else [spy_on(py_spy, p.pid, path, a) for p, path in zip(group.processes, paths)]
                )
                if a.no_profile:
                    paths = []
                plans = relay_plans(members, a.rate, a.seconds, target.self_delivery, random.Random(1))
                phase = flat(await load_phase(ctx, fleet, group, plans, {}, a.seconds))
                for spy in spies:
                    spy.wait(timeout=60)
            finally:
                await fleet.close()
    finally:
        await target.cleanup(run_id)
    keep = (
        "sent_msgs_per_s",
        "latency_p50_ms",
        "latency_p99_ms",
        "ack_p50_ms",
        "ack_p99_ms",
        "lost",
        "server_cpu_util",
        "server_cpu_ms_per_1k_msgs",
        "other_cpu_util",
        "client_bound",
    )
    print(json.dumps({k: phase.get(k) for k in keep}, indent=1))
    for path in paths:
        print(f"\n== {path}")
        print(summarise(str(path), a.only, a.top))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        prog="python -m bench.profile_run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scenario", choices=["relay", "matching"], default="relay")
    ap.add_argument("--target", default="hearth-memory")
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=250)
    ap.add_argument("--rate", type=float, default=150.0, help="offered msgs/s")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--only", default=None, help="only stacks containing this (e.g. message_send)")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument(
        "--gil",
        action="store_true",
        help="sample only the thread holding the GIL: where the CPU goes, not where threads wait",
    )
    ap.add_argument(
        "--idle",
        action="store_true",
        help="sample every thread, waiting or not (py-spy --idle --threads): where the time goes",
    )
    ap.add_argument(
        "--no-profile",
        action="store_true",
        help="run the phase without py-spy: CPU per message and latency at one steady rate, for A/B runs",
    )
    ap.add_argument("--out", default="var/bench/profiles")
    asyncio.run(main(ap.parse_args()))
