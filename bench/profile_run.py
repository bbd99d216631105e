"""Profile a target's servers under steady relay (S1) load with py-spy.

    python -m bench.profile_run --target hearth-memory --pairs 250 --rate 150 --seconds 20
    python -m bench.profile_run --target hearth-redis-pubsub --procs 2 ...

Starts the servers, prepares the pairs, opens the sockets, then runs one
open-loop load phase while ``py-spy record`` (``pip install py-spy``)
samples every server process. Writes ``<out>/<stamp>-<target>-<i>.txt``
(collapsed stacks: feed to flamegraph.pl or speedscope) and prints the
phase figures and ``bench.profile_summary`` of each profile.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
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


async def main(a: argparse.Namespace) -> None:
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
                spies = [] if a.no_profile else [subprocess.Popen([py_spy, "record", "-p", str(p.pid), "-d", str(int(a.seconds)),
                                           "-r", "200", "-f", "raw", "-o", str(path), "--nonblocking"]
                                          + (["--gil"] if a.gil else []),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for p, path in zip(group.processes, paths)]
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
    keep = ("sent_msgs_per_s", "latency_p50_ms", "latency_p99_ms", "ack_p50_ms", "ack_p99_ms", "lost",
            "server_cpu_util", "server_cpu_ms_per_1k_msgs", "other_cpu_util", "client_bound")
    print(json.dumps({k: phase.get(k) for k in keep}, indent=1))
    for path in paths:
        print(f"\n== {path}")
        print(summarise(str(path), a.only, a.top))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m bench.profile_run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="hearth-memory")
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=250)
    ap.add_argument("--rate", type=float, default=150.0, help="offered msgs/s")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--only", default=None, help="only stacks containing this (e.g. message_send)")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--gil", action="store_true",
                    help="sample only the thread holding the GIL: where the CPU goes, not where threads wait")
    ap.add_argument("--no-profile", action="store_true",
                    help="run the phase without py-spy: CPU per message and latency at one steady rate, for A/B runs")
    ap.add_argument("--out", default="var/bench/profiles")
    asyncio.run(main(ap.parse_args()))
