"""Reconnect storm (S6): every server process is restarted under load while
the clients keep chatting; each client reconnects the way docs/protocol.md
asks (jittered exponential backoff from 0.5 s doubling to 15 s), resumes
with ``conversation.sync`` from the highest ``seq`` it holds and re-sends
every message not yet acknowledged with its original ``client_id``.

Figures: time from the stop until 50 % / 99 % / all clients are back
(``hello`` received and resync sent), reconnect attempts, and after a final
resync: messages lost (sent but never seen by the peer) and duplicated (a
``client_id`` stored twice), which must both be 0. Hearth targets only.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

from bench.harness.scenarios.common import Context

BACKOFF_START_S, BACKOFF_MAX_S = 0.5, 15.0


class ResumingClient:
    """One chat socket that survives server restarts (the protocol's client rules)."""

    def __init__(self, member: int, peer: int, conversation: int, session: str, port: int, rng: random.Random):
        self.member, self.peer, self.conversation = member, peer, conversation
        self.session, self.port, self.rng = session, port, rng
        self.highest = 0  # highest seq seen in the conversation
        self.seen: set[tuple[int, int]] = set()  # (sender member, n) of peer messages received
        self.unacked: dict[str, str] = {}  # client_id -> frame
        self.sent = 0
        self.ws = None
        self.connected = asyncio.Event()
        self.back_at: float | None = None  # monotonic time the client was back after the restart
        self.attempts = 0
        self.stopping = False

    # -- connection ---------------------------------------------------------------
    async def run(self) -> None:
        from bench.targets.hearth import open_socket, until

        delay = BACKOFF_START_S
        while not self.stopping:
            try:
                self.attempts += 1
                ws = await open_socket(self.port, self.session)
                await until(ws, "hello")
                self.ws = ws
                await self._sync()
                for frame in list(self.unacked.values()):
                    await ws.send(frame)
                self.back_at = time.monotonic()
                self.connected.set()
                delay = BACKOFF_START_S
                async for text in ws:
                    await self._on_frame(text)
            except asyncio.CancelledError:
                raise
            except Exception:
                pass
            self.connected.clear()
            self.ws = None
            if self.stopping:
                return
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _sync(self) -> None:
        if self.ws is not None:
            await self.ws.send(
                json.dumps({"type": "conversation.sync", "conversation": self.conversation, "after_seq": self.highest})
            )

    def _apply(self, message: dict) -> None:
        if message["seq"] <= self.highest:
            return
        self.highest = message["seq"]
        text = message.get("text", "")
        if message.get("kind") == "text" and text.startswith("rc:"):
            _, sender, n = text.split(":", 3)[:3]
            if int(sender) == self.peer:
                self.seen.add((int(sender), int(n)))

    async def _on_frame(self, text: str) -> None:
        head = text[:40]
        if "message.created" in head:
            message = json.loads(text)["message"]
            if message["seq"] > self.highest + 1:
                await self._sync()  # a gap: fetch what is missing, in order
                return
            self._apply(message)
        elif "conversation.messages" in head:
            frame = json.loads(text)
            for message in frame["messages"]:
                self._apply(message)
            if frame.get("has_more"):
                await self._sync()
        elif "message.ack" in head:
            self.unacked.pop(json.loads(text)["client_id"], None)

    async def send(self) -> None:
        n = self.sent
        self.sent += 1
        client_id = f"rc{self.member}.{n}"
        frame = json.dumps(
            {
                "type": "message.send",
                "conversation": self.conversation,
                "client_id": client_id,
                "text": f"rc:{self.member}:{n}: still here, talking it through",
            }
        )
        self.unacked[client_id] = frame
        if self.ws is not None:
            try:
                await self.ws.send(frame)
            except Exception:
                pass  # re-sent after the reconnect


async def run(ctx: Context) -> list[dict]:
    target, p = ctx.target, ctx.profile
    if target.family != "hearth":
        return []
    rng = random.Random(ctx.seed)
    run_id = ctx.new_run_id()
    clients: list[ResumingClient] = []
    tasks: list[asyncio.Task] = []
    try:
        async with ctx.servers(run_id) as group:
            await target.prepare(2 * p.reconnect_pairs, run_id)
            state = target.runs[run_id]
            for m in range(2 * p.reconnect_pairs):
                clients.append(
                    ResumingClient(
                        m,
                        m ^ 1,
                        state.conversation[m],
                        state.sessions[m],
                        group.ports[m % len(group.ports)],
                        random.Random(rng.random()),
                    )
                )
            gate = asyncio.Semaphore(target.connect_concurrency)

            async def start(c: ResumingClient) -> None:
                async with gate:
                    tasks.append(asyncio.create_task(c.run()))
                    await asyncio.wait_for(c.connected.wait(), 60)

            await asyncio.gather(*(start(c) for c in clients))

            async def chatter(c: ResumingClient, until: float) -> None:
                # The load ends at ``until``: a send drawn past it is not made (the longest of
                # 100 draws overshot the window by up to 7 s, and the run waited for it).
                while True:
                    at = time.monotonic() + rng.expovariate(1 / p.reconnect_mean_interval_s)
                    if at >= until:
                        return
                    await asyncio.sleep(at - time.monotonic())
                    await c.send()

            load_end = time.monotonic() + p.reconnect_before_s + p.reconnect_after_s
            talk = [asyncio.create_task(chatter(c, load_end)) for c in clients]
            await asyncio.sleep(p.reconnect_before_s)
            for c in clients:
                c.back_at = None
            stopped_at = await group.restart()
            restarted_s = time.monotonic() - stopped_at
            deadline = stopped_at + p.reconnect_timeout_s
            while time.monotonic() < deadline and any(c.back_at is None for c in clients):
                await asyncio.sleep(0.05)
            await asyncio.gather(*talk)
            # Final resync: wait for acks, then every client asks for what it missed.
            settle = time.monotonic() + 20
            while time.monotonic() < settle and any(c.unacked for c in clients):
                await asyncio.sleep(0.1)
            for c in clients:
                await c._sync()
            # Up to 2 s for the sync replies; done as soon as every client
            # holds every message its peer sent (what "lost" counts below).
            settle = time.monotonic() + 2.0
            while time.monotonic() < settle and any(len(clients[c.peer].seen) < c.sent for c in clients):
                await asyncio.sleep(0.05)
            for c in clients:
                c.stopping = True
                if c.ws is not None:
                    await c.ws.close()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        sent = sum(c.sent for c in clients)
        check = await target.verify(run_id, sent)
    finally:
        for t in tasks:
            t.cancel()
        await target.cleanup(run_id)
    back = sorted(c.back_at - stopped_at for c in clients if c.back_at is not None)
    n = len(clients)

    def at(fraction: float):
        k = int(fraction * n + 0.999999) - 1
        return round(back[k], 3) if len(back) > k >= 0 else None

    lost = sum(1 for c in clients for i in range(c.sent) if (c.member, i) not in clients[c.peer].seen)
    unacked = sum(len(c.unacked) for c in clients)
    duplicated = max(0, check["db_text_rows"] - sent) if check else 0
    print(
        f"[bench]   reconnect: {len(back)}/{n} back, 99% in {at(0.99)} s, {sent} sent, {lost} lost, "
        f"{unacked} unacked, db {check}",
        file=sys.stderr,
        flush=True,
    )
    return [
        ctx.row(
            "reconnect",
            f"restart-{n}",
            clients=n,
            restart_s=round(restarted_s, 3),
            back_p50_s=at(0.5),
            back_p99_s=at(0.99),
            back_all_s=round(back[-1], 3) if len(back) == n else None,
            clients_back=len(back),
            reconnect_attempts=sum(c.attempts for c in clients) - n,
            unacked=unacked,
            **(check or {"messages_sent": sent}),
            lost=lost,
            duplicated=duplicated,
            out_of_order=0,
            unexpected=0,
            failed=bool(lost or unacked or duplicated or len(back) < n or (check and not check["db_rows_match"])),
        )
    ]
