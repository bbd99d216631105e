"""Fan-out (S2-like): one big room. Last-recipient latency at 1 msg/s and in
bursts of 10 msgs/s; then the room grows, with 4 concurrent senders, until
p95 last-recipient latency passes the limit."""

from __future__ import annotations

import random
import time

from bench.harness.analysis import find_knee
from bench.harness.clients import Fleet, Member
from bench.harness.pacing import burst_schedule, now_ns, poisson_schedule
from bench.harness.scenarios.common import Context, Plan, flat, load_phase

LEAD_NS = 200_000_000
ROOM = "fan"


def recipients(fleet: Fleet, sender: int, self_delivery: bool) -> list[int]:
    return [m for m in fleet.members if self_delivery or m != sender]


async def _grow(fleet: Fleet, target, size: int, group, run_id: str) -> dict:
    """Add members up to ``size`` (untimed); returns how long joining took and
    how long the servers then needed to go quiet (a join can make the server
    tell every member, e.g. Hearth's ``room.presence``)."""
    have = len(fleet)
    if size <= have:
        return {}
    await target.prepare_room(ROOM, size, run_id)
    t0 = time.monotonic()
    await fleet.open([Member(m, ROOM, group.ports[m % len(group.ports)]) for m in range(have, size)])
    join_s = time.monotonic() - t0
    return {"join_s": round(join_s, 2), "join_quiesce_s": await group.quiesce()}


async def run(ctx: Context) -> list[dict]:
    p, target = ctx.profile, ctx.target
    rng = random.Random(ctx.seed)
    rows: list[dict] = []
    run_id = ctx.new_run_id()
    seqs: dict[int, int] = {}
    try:
        async with ctx.servers(run_id) as group:
            fleet = Fleet(target, lambda *a: None, p.payload_bytes)
            try:
                joined = await _grow(fleet, target, p.fanout_room, group, run_id)
                rcpt = recipients(fleet, 0, target.self_delivery)

                start = now_ns() + LEAD_NS
                slow = [Plan(0, list(burst_schedule(start, start + int(p.fanout_slow_s * 1e9), 1.0, 1)), rcpt)]
                phase = await load_phase(ctx, fleet, group, slow, seqs, p.fanout_slow_s)
                rows.append(
                    ctx.row("fanout", f"room{p.fanout_room}-1/s", members=p.fanout_room, **joined, **flat(phase))
                )

                start = now_ns() + LEAD_NS
                burst = [
                    Plan(0, list(burst_schedule(start, start + int(p.fanout_burst_s * 1e9), 1.0, p.fanout_burst)), rcpt)
                ]
                phase = await load_phase(ctx, fleet, group, burst, seqs, p.fanout_burst_s)
                rows.append(
                    ctx.row(
                        "fanout", f"room{p.fanout_room}-burst{p.fanout_burst}/s", members=p.fanout_room, **flat(phase)
                    )
                )

                rows.append(await _growing(ctx, fleet, group, seqs, rng, run_id))
            finally:
                await fleet.close()
        check = await target.verify(run_id, sum(seqs.values()))
        if check is not None:
            rows.append(ctx.row("fanout", "persisted", **check, failed=not check["db_rows_match"]))
    finally:
        await target.cleanup(run_id)
    return rows


async def _growing(ctx, fleet, group, seqs, rng, run_id) -> dict:
    p, target = ctx.profile, ctx.target
    steps = []
    for size in p.fanout_grow_sizes:
        joined = await _grow(fleet, target, size, group, run_id)
        start = now_ns() + LEAD_NS
        end = start + int(p.fanout_grow_step_s * 1e9)
        senders = range(p.fanout_grow_senders)
        plans = [
            Plan(
                s,
                list(poisson_schedule(start, end, 1 / p.fanout_grow_sender_rate, rng)),
                recipients(fleet, s, target.self_delivery),
            )
            for s in senders
        ]
        phase = flat(await load_phase(ctx, fleet, group, plans, seqs, p.fanout_grow_step_s))
        phase["members"] = size
        phase.update(joined)
        steps.append(phase)
        if find_knee(steps, "last_recipient_p95_ms", p.fanout_grow_p95_ms)["passed_at"] is not None:
            break
    knee = find_knee(steps, "last_recipient_p95_ms", p.fanout_grow_p95_ms)
    best = knee["knee"] or {}
    passed = knee["passed_at"]
    return ctx.row(
        "fanout",
        "grow",
        senders=p.fanout_grow_senders,
        max_members_within_limit=best.get("members"),
        passed_at_members=passed.get("members") if passed else None,
        limit_not_reached=passed is None,
        last_recipient_p50_ms=best.get("last_recipient_p50_ms"),
        last_recipient_p95_ms=best.get("last_recipient_p95_ms"),
        last_recipient_p99_ms=best.get("last_recipient_p99_ms"),
        deliveries_per_s=best.get("deliveries_per_s"),
        server_cpu_ms_per_1k_deliveries=best.get("server_cpu_ms_per_1k_deliveries"),
        client_bound=any(s["client_bound"] for s in steps),
        lost=sum(s["lost"] for s in steps),
        duplicated=sum(s["duplicated"] for s in steps),
        out_of_order=sum(s["out_of_order"] for s in steps),
        unexpected=sum(s["unexpected"] for s in steps),
        failed=any(s["lost"] or s["duplicated"] or s["unexpected"] for s in steps),
        steps=steps,
    )
