"""Relay (S1-like): N pairs of sockets in rooms of two, each side posting
messages at exponential intervals; then the offered rate is stepped up until
one-way p99 latency passes the limit (the knee)."""

from __future__ import annotations

import random

from bench.harness.analysis import find_knee
from bench.harness.clients import Fleet, Member
from bench.harness.pacing import now_ns, poisson_schedule
from bench.harness.scenarios.common import Context, Plan, flat, load_phase

LEAD_NS = 200_000_000  # first sends are scheduled 0.2 s after planning


def pair_members(pairs: int, ports: list[int]) -> list[Member]:
    # Sides of a pair go to different processes when there are several.
    return [Member(m, f"p{m // 2}", ports[m % len(ports)]) for m in range(2 * pairs)]


def relay_plans(
    members: list[Member], rate: float, duration_s: float, self_delivery: bool, rng: random.Random
) -> list[Plan]:
    mean_interval = len(members) / rate
    start = now_ns() + LEAD_NS
    end = start + int(duration_s * 1e9)
    plans = []
    for m in members:
        peer = m.member ^ 1
        recipients = [m.member, peer] if self_delivery else [peer]
        plans.append(Plan(m.member, list(poisson_schedule(start, end, mean_interval, rng)), recipients))
    return plans


async def run(ctx: Context) -> list[dict]:
    p, target = ctx.profile, ctx.target
    rng = random.Random(ctx.seed)
    rows: list[dict] = []
    run_id = ctx.new_run_id()
    seqs: dict[int, int] = {}
    try:
        async with ctx.servers(run_id) as group:
            for i, pairs in enumerate(p.relay_pairs):
                last = i == len(p.relay_pairs) - 1
                members = pair_members(pairs, group.ports)
                await target.prepare(len(members), run_id)
                fleet = Fleet(target, lambda *a: None, p.payload_bytes)
                try:
                    await fleet.open(members)
                    # Opening hundreds of sockets leaves the server work (presence, hello
                    # follow-ups) that is not the chat's: measure from a quiet server.
                    await group.quiesce()
                    base_rate = 2 * pairs / p.relay_mean_interval_s
                    phase = await load_phase(
                        ctx,
                        fleet,
                        group,
                        relay_plans(members, base_rate, p.relay_base_s, target.self_delivery, rng),
                        seqs,
                        p.relay_base_s,
                    )
                    rows.append(ctx.row("relay", f"base-{pairs}", pairs=pairs, **flat(phase)))
                    if last:
                        base = {**flat(phase), "rate": round(base_rate, 1)}
                        rows.append(await _knee(ctx, fleet, group, members, seqs, rng, pairs, base))
                finally:
                    await fleet.close()
        check = await target.verify(run_id, sum(seqs.values()))
        if check is not None:
            rows.append(ctx.row("relay", "persisted", **check, failed=not check["db_rows_match"]))
    finally:
        await target.cleanup(run_id)
    return rows


async def _refine(ctx, fleet, group, members, seqs, rng, steps) -> list[dict]:
    """Bisect (geometrically) between the knee and the first step past it."""
    p = ctx.profile
    for _ in range(p.relay_knee_refine_steps):
        knee = find_knee(steps, "latency_p99_ms", p.relay_knee_p99_ms)
        if knee["knee"] is None or knee["passed_at"] is None:
            break
        rate = (knee["knee"]["rate"] * knee["passed_at"]["rate"]) ** 0.5
        phase = flat(
            await load_phase(
                ctx,
                fleet,
                group,
                relay_plans(members, rate, p.relay_knee_step_s, ctx.target.self_delivery, rng),
                seqs,
                p.relay_knee_step_s,
            )
        )
        phase["rate"] = round(rate, 1)
        phase["quiesce_s"] = await group.quiesce()
        steps = sorted([*steps, phase], key=lambda s: s["rate"])
    return steps


def knee_start(base: dict, profile) -> tuple[list[dict], float]:
    """The knee search's first steps and the next rate to offer. The base phase is a step of
    the search (same pairs and schedule, at the base rate): when it is within the limit the
    search goes on from there, rather than re-measuring lower rates; when it is not, the search
    starts from ``relay_knee_start_rate``."""
    if find_knee([base], "latency_p99_ms", profile.relay_knee_p99_ms)["passed_at"] is None:
        return [base], base["rate"] * profile.relay_knee_factor
    return [], profile.relay_knee_start_rate


async def _knee(ctx, fleet, group, members, seqs, rng, pairs, base: dict) -> dict:
    p = ctx.profile
    await group.quiesce()  # a base phase past the server's capacity leaves a backlog
    steps, rate = knee_start(base, p)
    for _ in range(p.relay_knee_max_steps - len(steps)):
        phase = flat(
            await load_phase(
                ctx,
                fleet,
                group,
                relay_plans(members, rate, p.relay_knee_step_s, ctx.target.self_delivery, rng),
                seqs,
                p.relay_knee_step_s,
            )
        )
        phase["rate"] = round(rate, 1)
        steps.append(phase)
        # Past the knee the server holds a backlog: let it drain before the
        # next step so stragglers do not land in (and fail) that step.
        phase["quiesce_s"] = await group.quiesce()
        if find_knee(steps, "latency_p99_ms", p.relay_knee_p99_ms)["passed_at"] is not None:
            break
        rate *= p.relay_knee_factor
    steps = await _refine(ctx, fleet, group, members, seqs, rng, steps)
    knee = find_knee(steps, "latency_p99_ms", p.relay_knee_p99_ms)
    best = knee["knee"] or {}
    passed = knee["passed_at"]
    # A step past the knee is expected to be slow, but must not lose messages.
    failed = any(s["lost"] or s["duplicated"] or s["unexpected"] for s in steps)
    return ctx.row(
        "relay",
        "knee",
        pairs=pairs,
        knee_msgs_per_s=best.get("sent_msgs_per_s"),
        knee_offered_msgs_per_s=best.get("rate"),
        passed_at_offered_msgs_per_s=passed.get("rate") if passed else None,
        knee_not_reached=passed is None,
        latency_p50_ms=best.get("latency_p50_ms"),
        latency_p99_ms=best.get("latency_p99_ms"),
        latency_p999_ms=best.get("latency_p999_ms"),
        ack_p50_ms=best.get("ack_p50_ms"),
        ack_p99_ms=best.get("ack_p99_ms"),
        server_cpu_ms_per_1k_msgs=best.get("server_cpu_ms_per_1k_msgs"),
        redis_cpu_ms_per_1k_msgs=best.get("redis_cpu_ms_per_1k_msgs"),
        client_bound=any(s["client_bound"] for s in steps),
        lost=sum(s["lost"] for s in steps),
        duplicated=sum(s["duplicated"] for s in steps),
        out_of_order=sum(s["out_of_order"] for s in steps),
        unexpected=sum(s["unexpected"] for s in steps),
        failed=failed,
        steps=steps,
    )
