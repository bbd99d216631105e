"""Shared scenario machinery: the run context and the open-loop load phase."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import procstat, redisinfo
from bench.harness.accounting import DUPLICATE, LAST, UNEXPECTED, Ledger
from bench.harness.clients import Fleet
from bench.harness.latency import Latency
from bench.harness.pacing import now_ns, sleep_until
from bench.harness.profiles import Profile
from bench.harness.servers import ServerGroup
from bench.harness.target import ChatMessage, Target

CLIENT_BOUND_UTIL = 0.85  # client process CPU share of one core above which figures are suspect
_run_ids = itertools.count()


@dataclass
class Context:
    target: Target
    profile: Profile
    log_dir: Path
    procs: int = 1
    server_cpus: set[int] | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    seed: int = 1
    notes: list[str] = field(default_factory=list)

    def new_run_id(self) -> str:
        return f"{int(time.time())}-{next(_run_ids)}"

    def servers(self, run_id: str) -> ServerGroup:
        return ServerGroup(self.target, self.procs, run_id, self.log_dir, self.server_cpus)

    def row(self, scenario: str, phase: str, **metrics) -> dict:
        return {
            "scenario": scenario,
            "phase": phase,
            "target": self.target.name,
            "family": self.target.family,
            "layer": self.target.layer,
            "procs": self.procs,
            **metrics,
        }


@dataclass
class Plan:
    """One sender's messages for a phase: send times and who should get them."""

    sender: int
    times_ns: list[int]
    recipients: list[int]


class Meter:
    """Server/Redis/client CPU and wall time over a window."""

    def __init__(self, group: ServerGroup, redis_url: str | None) -> None:
        self.group, self.redis_url = group, redis_url

    async def __aenter__(self) -> Meter:
        self.t0 = time.monotonic()
        self.client0 = time.process_time()
        self.cpu0 = self.group.cpu_seconds()
        self.busy0 = procstat.system_busy_seconds()
        self.redis0 = await redisinfo.cpu_seconds(self.redis_url) if self.redis_url else None
        return self

    async def __aexit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.t0
        self.server_cpu = self.group.cpu_seconds() - self.cpu0
        self.client_cpu = time.process_time() - self.client0
        self.busy = procstat.system_busy_seconds() - self.busy0
        redis1 = await redisinfo.cpu_seconds(self.redis_url) if self.redis_url else None
        self.redis_cpu = (redis1 - self.redis0) if (redis1 is not None and self.redis0 is not None) else None

    def figures(self, messages: int, deliveries: int) -> dict:
        per_k = lambda cpu, n: round(cpu / n * 1e6, 2) if n and cpu is not None else None
        client_util = self.client_cpu / self.wall if self.wall else 0.0
        return {
            "wall_s": round(self.wall, 3),
            "server_cpu_s": round(self.server_cpu, 3),
            "server_cpu_util": round(self.server_cpu / self.wall, 3) if self.wall else None,
            "server_cpu_ms_per_1k_msgs": per_k(self.server_cpu, messages),
            "server_cpu_ms_per_1k_deliveries": per_k(self.server_cpu, deliveries),
            "redis_cpu_ms_per_1k_msgs": per_k(self.redis_cpu, messages),
            "client_cpu_util": round(client_util, 3),
            "client_bound": client_util > CLIENT_BOUND_UTIL,
            # CPU used on the machine by anything but the servers, the client
            # and Redis: other work disturbing the measurement.
            "other_cpu_util": round(
                max(0.0, self.busy - self.server_cpu - self.client_cpu - (self.redis_cpu or 0.0)) / self.wall, 3
            )
            if self.wall
            else None,
        }


async def load_phase(
    ctx: Context, fleet: Fleet, group: ServerGroup, plans: Iterable[Plan], seqs: dict[int, int], duration_s: float
) -> dict:
    """Send every plan open-loop, wait for deliveries (bounded by drain_s),
    return latency, accounting and CPU figures for the phase.

    ``seqs`` holds each sender's next sequence number and persists across
    phases, so a straggler from an earlier phase is never mistaken for a
    message of this one."""
    plans = list(plans)
    ledger = Ledger()
    one_way, last_recipient, send_lag = Latency(), Latency(), Latency()

    def on_message(receiver: int, msg: ChatMessage, arrival: int) -> None:
        result = ledger.deliver(receiver, msg.sender, msg.seq)
        if result in (DUPLICATE, UNEXPECTED):
            return
        if receiver != msg.sender:
            one_way.record_ns(arrival - msg.sched_ns)
        if result == LAST:
            last_recipient.record_ns(arrival - msg.sched_ns)

    async def sender(plan: Plan) -> None:
        for t in plan.times_ns:
            await sleep_until(t)
            seq = seqs.get(plan.sender, 0)
            seqs[plan.sender] = seq + 1
            ledger.expect(plan.sender, seq, plan.recipients)
            send_lag.record_ns(now_ns() - t)
            await fleet.send(plan.sender, ChatMessage(plan.sender, seq, t))

    fleet.on_message = on_message
    ctx.target.phase_begin()
    redis_url = ctx.redis_url if ctx.target.layer.startswith("redis") else None
    async with Meter(group, redis_url) as meter:
        senders = [asyncio.create_task(sender(p)) for p in plans if p.times_ns]
        try:
            # Sends are due within duration_s; allow a sender to fall behind by
            # as much again before giving up on it (then it is reported).
            done, pending = await asyncio.wait(senders, timeout=duration_s * 2 + 5) if senders else (set(), set())
        finally:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
        send_errors = [repr(t.exception()) for t in done if not t.cancelled() and t.exception()]
        drained = await drain(ledger.outstanding, quiet_s=ctx.profile.drain_s, max_s=ctx.profile.drain_max_s)
    tally = ledger.tally
    extra = ctx.target.phase_end()
    print(
        f"[bench]   phase: {tally.sent} sent, {tally.delivered} delivered, {tally.lost} lost, p99 {one_way.ms(99)} ms",
        file=sys.stderr,
        flush=True,
    )
    figures = meter.figures(tally.sent, tally.delivered)
    offered = sum(len(p.times_ns) for p in plans) / duration_s if duration_s else 0.0
    return {
        "offered_msgs_per_s": round(offered, 1),
        "sent_msgs_per_s": round(tally.sent / duration_s, 1) if duration_s else None,
        "deliveries_per_s": round(tally.delivered / duration_s, 1) if duration_s else None,
        "latency": one_way.summary(),
        "last_recipient": last_recipient.summary(),
        "send_lag": send_lag.summary(),
        **tally.as_dict(),
        "failed": tally.failed or bool(pending) or bool(send_errors),
        "unsent": sum(len(p.times_ns) for p in plans) - tally.sent,
        "drained": drained,
        "errors": (send_errors + fleet.errors)[:5],
        **figures,
        **extra,
    }


async def drain(outstanding: Callable[[], int], *, quiet_s: float, max_s: float, poll: float = 0.02) -> bool:
    """Wait for the deliveries still owed. A message counts as lost once nothing has arrived
    for ``quiet_s`` (or after ``max_s`` in all): an overloaded step's backlog that is still
    draining is late, not lost, and its lateness is already in the latency figures."""
    start = last_progress = time.monotonic()
    owed = outstanding()
    while owed:
        now = time.monotonic()
        if now - last_progress >= quiet_s or now - start >= max_s:
            return False
        await asyncio.sleep(poll)
        still = outstanding()
        if still < owed:
            last_progress = time.monotonic()
        owed = still
    return True


def flat(phase: dict) -> dict:
    """Hoist latency percentiles for knee detection and tables."""
    out = dict(phase)
    for key in ("latency", "last_recipient", "ack"):
        for k, v in phase.get(key, {}).items():
            out[f"{key}_{k}"] = v
    return out
