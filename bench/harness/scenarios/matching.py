"""Matching (S3): listeners on shift across topics, seekers asking for a chat
within one second. Figures: request -> match latency (``request.create``
sent, at its *scheduled* time, to the seeker's ``conversation.started``),
time to drain the queue; checks from the database: every request matched,
no request assigned twice, no listener over capacity, offers made in queue
order within each topic.

Needs a target with the Hearth chat protocol (``family == "hearth"``);
others are skipped. Listeners are bots that accept every offer at once
(``MATCHING_AUTO_ASSIGN=0``: the default offer/accept round trip is timed).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.harness.latency import Latency
from bench.harness.pacing import now_ns, sleep_until
from bench.harness.scenarios.common import Context, Meter

TOPICS = ["anxiety", "stress", "loneliness", "relationships", "sleep"]


def check_matching(report: dict, seekers: int) -> dict:
    """Pure checks on ``hearth_setup matching-report`` output."""
    requests = report["requests"]
    conversations = {int(k): v for k, v in report["conversations"].items()}
    accepted = {int(k): v for k, v in report["accepted_per_request"].items()}
    active = {int(k): v for k, v in report["active_per_listener"].items()}
    capacity = {int(k): v for k, v in report["capacity"].items()}
    first_offer = {int(k): v for k, v in report["first_offer"].items()}
    matched = [r for r in requests if r["matched_at"] is not None]
    per_seeker: dict[int, int] = defaultdict(int)
    for c in conversations.values():
        if c["status"] == "active":
            per_seeker.setdefault(0, 0)
    active_by_seeker: dict[int, int] = defaultdict(int)
    for r in requests:
        c = conversations.get(r["conversation"])
        if c and c["status"] == "active":
            active_by_seeker[r["seeker"]] += 1
    double = sum(1 for n in accepted.values() if n > 1) + sum(1 for n in active_by_seeker.values() if n > 1)
    over = sum(1 for listener, n in active.items() if n > capacity.get(listener, 0))
    inversions: list[dict] = []
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for r in requests:
        if r["id"] in first_offer:
            by_topic[r["topic"]].append(r)
    for rs in by_topic.values():
        rs.sort(key=lambda r: (r["queued_at"], r["id"]))
        for a, b in zip(rs, rs[1:]):
            if first_offer[b["id"]] < first_offer[a["id"]]:
                # The gap tells a real queue jump from two requests whose
                # transactions committed in the other order (then the older one
                # was not yet visible to the dispatcher).
                inversions.append(
                    {
                        "topic": a["topic"],
                        "older": a["id"],
                        "younger": b["id"],
                        "queued_gap_ms": round((b["queued_at"] - a["queued_at"]) * 1000, 1),
                    }
                )
    return {
        "requests": len(requests),
        "matched": len(matched),
        "double_assignments": double,
        "listeners_over_capacity": over,
        "order_inversions": len(inversions),
        "order_inversion_detail": inversions[:10],
        "ok": len(matched) == seekers == len(requests) and not double and not over and not inversions,
    }


STAGES = (
    ("request_in_line", "sent", "queued"),  # the request frame until its row is stamped, under the line lock
    ("request_acked", "queued", "acked"),  # ... until the seeker has "request.created" (commit, place in line)
    ("offer_made", "queued", "offered"),  # ... until a dispatch round has made the offer
    (
        "offer_answered",
        "offered",
        "answered",
    ),  # the offer reaching the listener, who accepts, until the accept takes it
    (
        "seeker_told",
        "answered",
        "started",
    ),  # the rest of the accept, its commit, until the seeker has "conversation.started"
)


def stage_breakdown(report: dict, client: dict[int, dict[str, float]]) -> dict:
    """Where a seeker's request→match time goes, per stage: p50 and p90 in ms.

    ``client``: per request id, epoch seconds at which the seeker sent the
    request (its scheduled time), got ``request.created`` and got
    ``conversation.started``; the database times (queued, offered, answered)
    come from ``report``. Both clocks are this machine's."""
    offers = {int(k): v for k, v in report.get("offer_times", {}).items()}
    spans: dict[str, list[float]] = defaultdict(list)
    for r in report["requests"]:
        seen, offer = client.get(r["id"]), offers.get(r["id"])
        if not seen or not offer or r["queued_at"] is None or "started" not in seen:
            continue
        t = {**seen, "queued": r["queued_at"], "offered": offer[0], "answered": offer[1]}
        for name, start, end in STAGES:
            spans[name].append((t[end] - t[start]) * 1000)

    def quantile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {name: {"p50_ms": quantile(v, 0.5), "p90_ms": quantile(v, 0.9), "n": len(v)} for name, v in spans.items()}


async def run(ctx: Context) -> list[dict]:
    target = ctx.target
    if target.family != "hearth":
        return []
    from bench.targets.hearth import open_socket, until

    p = ctx.profile
    n_listeners, n_seekers = p.matching_listeners, p.matching_seekers
    rng = random.Random(ctx.seed)
    run_id = ctx.new_run_id()
    target.configure(run_id, MATCHING_AUTO_ASSIGN="0")
    target.start_blank(run_id)  # no seeded listeners on shift or chats: only this scenario's
    latency = Latency()
    matched_at: dict[int, int] = {}
    client_times: dict[int, dict[str, float]] = {}
    epoch_offset = time.time_ns() - now_ns()  # the database stamps wall-clock times
    sockets = []
    try:
        async with ctx.servers(run_id) as group:
            listeners = await target.listeners(run_id, 0, n_listeners)
            seekers = await target.seekers(run_id, n_seekers)
            gate = asyncio.Semaphore(target.connect_concurrency)

            async def listener_bot(i: int, listener: dict):
                async with gate:
                    ws = await open_socket(group.ports[i % len(group.ports)], listener["session"])
                    sockets.append(ws)
                    await until(ws, "hello")
                    topics = [TOPICS[i % len(TOPICS)], TOPICS[(i + 1) % len(TOPICS)]]
                    await ws.send(
                        json.dumps({"type": "shift.start", "topics": topics, "capacity": p.matching_capacity})
                    )
                    await until(ws, "shift.start.ack")

                async def accept_offers():
                    async for text in ws:
                        if '"offer.created"' in text[:40]:
                            offer = json.loads(text)["offer"]["id"]
                            await ws.send(json.dumps({"type": "offer.accept", "offer": offer}))

                return asyncio.create_task(accept_offers())

            async def seeker_socket(i: int, seeker: dict):
                async with gate:
                    ws = await open_socket(group.ports[i % len(group.ports)], seeker["session"])
                    sockets.append(ws)
                    await until(ws, "hello")
                    return ws

            bots = await asyncio.gather(*(listener_bot(i, l) for i, l in enumerate(listeners)))
            seeker_ws = await asyncio.gather(*(seeker_socket(i, s) for i, s in enumerate(seekers)))
            start = now_ns() + 300_000_000
            if os.environ.get("BENCH_BURST_MARK"):  # lets a profiler (bench.profile_run) sample only the burst
                Path(os.environ["BENCH_BURST_MARK"]).write_text(
                    json.dumps({"start_ns": start, "pids": [proc.pid for proc in group.processes]})
                )
            times = sorted(start + int(rng.random() * 1e9) for _ in seeker_ws)

            async def seeker(i: int, ws, t: int) -> None:
                await sleep_until(t)
                await ws.send(json.dumps({"type": "request.create", "topic": TOPICS[i % len(TOPICS)]}))
                acked = await until(ws, "request.created", timeout=p.matching_timeout_s)
                seen = client_times[acked["request"]["id"]] = {
                    "sent": (t + epoch_offset) / 1e9,
                    "acked": (now_ns() + epoch_offset) / 1e9,
                }
                await until(ws, "conversation.started", timeout=p.matching_timeout_s)
                matched_at[i] = now_ns()
                seen["started"] = (matched_at[i] + epoch_offset) / 1e9
                latency.record_ns(matched_at[i] - t)

            async with Meter(group, ctx.redis_url if target.layer.startswith("redis") else None) as meter:
                results = await asyncio.gather(
                    *(seeker(i, ws, t) for i, (ws, t) in enumerate(zip(seeker_ws, times))), return_exceptions=True
                )
            errors = [repr(r) for r in results if isinstance(r, BaseException)]
            drain_s = (max(matched_at.values()) - times[0]) / 1e9 if matched_at else None
            for bot in bots:
                bot.cancel()
            await asyncio.gather(*bots, return_exceptions=True)
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            report = await target.setup_script(run_id, "matching-report")
    finally:
        await target.cleanup(run_id)
    checks = check_matching(report, n_seekers)
    stages = stage_breakdown(report, client_times)
    print(
        f"[bench]   matching: {len(matched_at)}/{n_seekers} matched, p99 {latency.ms(99)} ms, {checks}",
        file=sys.stderr,
        flush=True,
    )
    print(
        "[bench]   matching stages p50/p90 ms: "
        + ", ".join(f"{name} {v['p50_ms']}/{v['p90_ms']}" for name, v in stages.items()),
        file=sys.stderr,
        flush=True,
    )
    summary = latency.summary()
    return [
        ctx.row(
            "matching",
            f"{n_seekers}seekers-{n_listeners}listeners",
            seekers=n_seekers,
            listeners=n_listeners,
            listener_capacity=p.matching_capacity,
            topics=len(TOPICS),
            match_p50_ms=summary["p50_ms"],
            match_p99_ms=summary["p99_ms"],
            match_max_ms=summary["max_ms"],
            match_n=summary["n"],
            drain_s=round(drain_s, 3) if drain_s is not None else None,
            stages=stages,
            **{k: v for k, v in checks.items() if k != "ok"},
            errors=errors[:5],
            **meter.figures(n_seekers, n_seekers),
            lost=n_seekers - len(matched_at),
            duplicated=checks["double_assignments"],
            out_of_order=checks["order_inversions"],
            unexpected=0,
            failed=not checks["ok"] or bool(errors) or len(matched_at) != n_seekers,
        )
    ]
