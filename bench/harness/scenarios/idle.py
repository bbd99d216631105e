"""Idle sockets (S4-like): connect in steps on one process; RSS per
connection is the slope of a linear fit of RSS against open sockets, idle
CPU is measured with every socket open and silent."""

from __future__ import annotations

import asyncio
import time

from bench.harness import procstat
from bench.harness.analysis import linear_fit
from bench.harness.clients import Fleet, Member
from bench.harness.scenarios.common import Context


async def run(ctx: Context) -> list[dict]:
    p, target = ctx.profile, ctx.target
    run_id = ctx.new_run_id()
    points: list[tuple[int, int]] = []
    try:
        async with ctx.servers(run_id) as group:
            fleet = Fleet(target, lambda *a: None, p.payload_bytes)
            try:
                await asyncio.sleep(p.idle_settle_s)
                points.append((0, group.rss_bytes()))
                connect_s = []
                while len(fleet) < p.idle_max:
                    have = len(fleet)
                    size = min(have + p.idle_step, p.idle_max)
                    await target.prepare(size, run_id)
                    t0 = time.monotonic()
                    # Rooms of two, like the relay scenario.
                    await fleet.open(
                        [Member(m, f"i{m // 2}", group.ports[m % len(group.ports)]) for m in range(have, size)]
                    )
                    connect_s.append(round(time.monotonic() - t0, 3))
                    await asyncio.sleep(p.idle_settle_s)
                    points.append((size, group.rss_bytes()))
                cpu0, t0 = group.cpu_seconds(), time.monotonic()
                busy0, client0 = procstat.system_busy_seconds(), time.process_time()
                await asyncio.sleep(p.idle_cpu_window_s)
                idle_cpu = group.cpu_seconds() - cpu0
                other = procstat.system_busy_seconds() - busy0 - idle_cpu - (time.process_time() - client0)
                wall = time.monotonic() - t0
                alive = group.alive()
            finally:
                await fleet.close()
    finally:
        await target.cleanup(run_id)
    slope, intercept = linear_fit([x for x, _ in points], [y for _, y in points])
    n = points[-1][0]
    util = idle_cpu / wall
    return [
        ctx.row(
            "idle",
            f"sockets{n}",
            sockets=n,
            rss_kib_per_conn=round(slope / 1024, 2),
            rss_base_mib=round(intercept / 2**20, 1),
            rss_final_mib=round(points[-1][1] / 2**20, 1),
            idle_cpu_util=round(util, 4),
            idle_cpu_ms_per_s_per_1k_conns=round(util * 1000 / n * 1000, 3) if n else None,
            other_cpu_util=round(max(0.0, other) / wall, 3),
            connect_s_per_step=connect_s,
            points=points,
            failed=not alive,
            lost=0,
            duplicated=0,
            out_of_order=0,
            unexpected=0,
        )
    ]
