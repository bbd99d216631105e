"""A resilient protocol client and fault tools for the end-to-end hardening tests.

``ResilientClient`` follows docs/protocol.md the way the web app does: it keeps
every message by ``seq``, syncs after a reconnect and on a seq gap (and, if
asked, every few seconds), reconnects with jittered exponential backoff
(0.5 s doubling to 15 s) and re-sends every unacknowledged message with its
original ``client_id`` after each reconnect. On an open socket it re-sends a
message, like the web app (``AckTimer`` in frontend/static/frontend/js/socket.js),
only when its ack wait has run out (``ack_timeout``, 10 s, doubling per re-send
to 60 s, ±20 %; a reconnect starts it again) *and* a ping sent after it has been
answered: the server handles a socket's frames in order, so that pong proves the
send was handled and its answer lost; without it the send is still queued on a
busy server. At most ``max_resends_in_flight`` such re-sends await an answer at
once. ``Stats`` counts both kinds of re-send, the probes and the sends held back,
so a test can report them. ``OwnRedis`` runs a private redis-server that a test
may kill and restart empty, never touching the shared one.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

from tests.e2e.servers import HttpClient, free_port

CARRY = {"conversation.started", "conversation.waiting", "conversation.messages"}


class OwnRedis:
    """A redis-server of this test's own on a free port: kill -9 and restart it empty on the same port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> OwnRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


@dataclass
class Stats:
    connects: int = 0
    reconnects: int = 0
    gaps: int = 0
    syncs: int = 0
    send_errors: list = field(default_factory=list)
    # Re-sends of a message.send with its original client_id: after a (re)connect's hello,
    # and after its ack wait ran out on an open socket that proved it handled the send.
    resends_after_reconnect: int = 0
    resends_after_timeout: int = 0
    # Pings sent to prove overdue sends handled; messages whose overdue re-send was held back at
    # least once because no pong had proven them handled yet (queued on a busy server), or for a
    # free slot (max_resends_in_flight); the most timeout re-sends awaiting an answer at once.
    probes: int = 0
    held_while_busy: int = 0
    held_by_cap: int = 0
    max_resends_in_flight: int = 0
    # client_ids whose answer came only after at least one timeout re-send.
    answered_after_timeout: int = 0
    # The longest wait from a message's first send to its answer (ack or error), in seconds.
    slowest_answer_seconds: float = 0.0
    # (when it was first sent, how long its answer took), monotonic seconds, one per answered message.
    answers: list = field(default_factory=list)
    # Errors about a client_id already answered (a re-send that crossed its answer): not a second outcome.
    stale_errors: int = 0
    unexpected_errors: list = field(default_factory=list)
    close_codes: list = field(default_factory=list)


class ResilientClient:
    """One socket of one user, following the protocol's delivery rules."""

    # The web app's ACK_TIMEOUT_MS, ACK_TIMEOUT_MAX_MS, ACK_JITTER and MAX_RESENDS_IN_FLIGHT
    # (frontend/static/frontend/js/socket.js).
    ACK_TIMEOUT = 10.0
    ACK_TIMEOUT_MAX = 60.0
    ACK_JITTER = 0.2
    MAX_RESENDS_IN_FLIGHT = 4

    def __init__(
        self,
        servers: list,
        http: HttpClient,
        *,
        name: str,
        periodic_sync: float | None = None,
        path: str = "/ws/v1/chat/",
        rng: random.Random | None = None,
        ack_timeout: float | None = ACK_TIMEOUT,
        ack_timeout_max: float | None = None,
        max_resends_in_flight: int = MAX_RESENDS_IN_FLIGHT,
    ):
        self.servers, self.http, self.name, self.path = servers, http, name, path
        self.periodic_sync = periodic_sync
        self.ack_timeout = ack_timeout  # the first ack wait; None: re-send only after a reconnect
        # The web app's ratio (60 s for a 10 s first wait), so a short test timeout scales alike.
        self.ack_timeout_max = ack_timeout_max or (ack_timeout or 0) * self.ACK_TIMEOUT_MAX / self.ACK_TIMEOUT
        self.max_resends_in_flight = max_resends_in_flight
        self.rng = rng or random.Random(name)
        self.messages: dict[int, dict[int, dict]] = {}
        self.live: dict[int, set[int]] = {}  # seqs that arrived as message.created
        self.conversations: set[int] = set()
        self.acked: dict[str, int] = {}
        self.pending: dict[str, dict] = {}  # client_id -> frame not yet answered
        self.first_sent_at: dict[str, float] = {}  # client_id -> when send_message queued it (monotonic)
        self.timed_out: set[str] = set()  # client_ids re-sent at least once by the ack timeout
        # The ack timer (as the web app's AckTimer), per pending client_id: timeout re-sends since the
        # last (re)connect, when its ack is overdue, where its latest send stood on the socket
        # (generation, frame number), and every wait planned for it (for the tests).
        self.resends: dict[str, int] = {}
        self.due_at: dict[str, float] = {}
        self.position: dict[str, tuple[int, int]] = {}
        self.waits: dict[str, list[float]] = {}
        self.in_flight: set[str] = set()  # client_ids re-sent by the timeout, not answered yet
        self._held_busy: set[str] = set()
        self._held_cap: set[str] = set()
        # Proof of handling: frames sent on this socket, the frame number of each unanswered probe,
        # the frame number of the newest probe answered.
        self._generation = 0
        self._sent = 0
        self._probes: dict[str, int] = {}
        self._next_probe = 1
        self._last_probe_at = 0.0
        self._answered_mark = 0
        self.frames: asyncio.Queue = asyncio.Queue()
        self.stats = Stats()
        self.socket = None
        self.hello: dict | None = None
        self.connected = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._server_index = self.rng.randrange(len(servers))
        self.last_reconnect_seconds: float | None = None

    # --- lifecycle ------------------------------------------------------------
    async def start(self) -> dict:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), 30)
        return self.hello

    async def stop(self) -> None:
        self._stopping = True
        if self.socket is not None:
            await self.socket.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        delay = 0.5
        lost_at = None
        while not self._stopping:
            server = self.servers[self._server_index % len(self.servers)]
            try:
                self.socket = await websockets.connect(
                    f"{server.ws}{self.path}",
                    origin=server.http,
                    additional_headers=self.http.ws_headers(),
                    compression=None,
                    open_timeout=10,
                    ping_interval=5,
                    ping_timeout=10,
                )
            except Exception:
                self._server_index += 1
                await asyncio.sleep(delay * (0.5 + self.rng.random()))  # jittered exponential backoff
                delay = min(delay * 2, 15)
                continue
            delay = 0.5
            self.stats.connects += 1
            self._new_socket()
            timers = []
            if self.periodic_sync:
                timers.append(asyncio.create_task(self._periodic()))
            if self.ack_timeout:
                timers.append(asyncio.create_task(self._ack_watch()))
            try:
                async for raw in self.socket:
                    await self._on_frame(json.loads(raw))
                    if lost_at is not None and self.connected.is_set():
                        self.last_reconnect_seconds = time.monotonic() - lost_at
                        lost_at = None
            except websockets.ConnectionClosed:
                pass
            finally:
                for timer in timers:
                    timer.cancel()
            self.stats.close_codes.append(self.socket.close_code)
            self.connected.clear()
            if self._stopping:
                return
            if self.socket.close_code in (4401, 4403, 4404, 4410):
                return  # documented: do not retry
            lost_at = lost_at or time.monotonic()
            self.stats.reconnects += 1
            self._server_index += 1
            pause = 5 if self.socket.close_code == 4429 else delay
            await asyncio.sleep(pause * (0.5 + self.rng.random()))

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.periodic_sync * (0.8 + 0.4 * self.rng.random()))
            for conversation in list(self.conversations):
                await self.sync(conversation)

    async def _ack_watch(self) -> None:
        """Check the overdue sends every tick (a pong to a probe checks them at once too).

        Only while the socket has said hello: before that, the hello handler
        re-sends everything pending anyway.
        """
        tick = min(1.0, self.ack_timeout / 4)
        while True:
            await asyncio.sleep(tick)
            if self.connected.is_set():
                await self._resend_overdue()

    # --- the ack timer (the web app's AckTimer) -----------------------------------
    def ack_wait(self, resends: int) -> float:
        """The wait for an ack after ``resends`` timeout re-sends: doubling up to the cap, ±20 %."""
        base = min(self.ack_timeout_max, self.ack_timeout * 2**resends)
        return base * (1 - self.ACK_JITTER + 2 * self.ACK_JITTER * self.rng.random())

    def _new_socket(self) -> None:
        """Proofs and re-sends in flight belong to one socket."""
        self._generation += 1
        self._sent = 0
        self._probes.clear()
        self._answered_mark = 0
        self.in_flight.clear()

    def _handled(self, position: tuple[int, int] | None) -> bool:
        """True once a probe sent after ``position`` on this socket was answered: the server handled that frame."""
        return position is not None and position[0] == self._generation and self._answered_mark > position[1]

    async def _probe(self, position: tuple[int, int], now: float) -> None:
        """Send a ping that will prove ``position`` handled, unless one sent after it is still recent."""
        waiting = position[0] == self._generation and max(self._probes.values(), default=0) > position[1]
        if waiting and now - self._last_probe_at < self.ack_timeout:
            return
        ref = f"probe-{self._next_probe}"
        self._next_probe += 1
        mark = await self._send_raw({"type": "ping", "ref": ref})
        if mark:
            self._probes[ref] = mark
            self._last_probe_at = now
            self.stats.probes += 1

    async def _probe_answered(self, ref: str) -> None:
        mark = self._probes.get(ref)
        if mark is None:
            return
        self._answered_mark = max(self._answered_mark, mark)
        for other, other_mark in list(self._probes.items()):
            if other_mark <= mark:  # answered in order: older probes were handled too
                del self._probes[other]
        await self._resend_overdue()

    async def _resend_overdue(self) -> None:
        """Re-send (same client_id) what the server proved it handled without our getting its answer."""
        if not self.ack_timeout or not self.connected.is_set():
            return
        now = time.monotonic()
        unproven = None
        for client_id, frame_out in list(self.pending.items()):
            due = self.due_at.get(client_id)
            if due is None or now < due or client_id not in self.pending:
                continue
            position = self.position.get(client_id)
            if not self._handled(position):
                # Still queued behind other frames on a busy server (or the socket is dead, which the
                # reconnect handles): a re-send would only lengthen the queue.
                self._count_held(self._held_busy, client_id, "held_while_busy")
                if position and (unproven is None or position > unproven):
                    unproven = position
                continue
            if client_id not in self.in_flight:
                if len(self.in_flight) >= self.max_resends_in_flight:
                    self._count_held(self._held_cap, client_id, "held_by_cap")
                    continue
                self.in_flight.add(client_id)
                self.stats.max_resends_in_flight = max(self.stats.max_resends_in_flight, len(self.in_flight))
            self.stats.resends_after_timeout += 1
            self.timed_out.add(client_id)
            await self._transmit(client_id, frame_out, resend=True)
        if unproven is not None:
            await self._probe(unproven, now)

    def _count_held(self, held: set, client_id: str, stat: str) -> None:
        if client_id not in held:
            held.add(client_id)
            setattr(self.stats, stat, getattr(self.stats, stat) + 1)

    # --- protocol -------------------------------------------------------------
    def highest(self, conversation: int) -> int:
        """The highest seq up to which this client holds every message (what a resume asks after)."""
        held = self.messages.get(conversation, {})
        seq = 0
        while seq + 1 in held:
            seq += 1
        return seq

    async def _send_raw(self, frame: dict) -> int:
        """Send ``frame``; its number on this socket (counted before the await, in call order), 0 if it failed."""
        self._sent += 1
        mark = self._sent
        try:
            await self.socket.send(json.dumps(frame))
            return mark
        except Exception:
            return 0

    async def sync(self, conversation: int) -> None:
        self.stats.syncs += 1
        await self._send_raw(
            {
                "type": "conversation.sync",
                "conversation": conversation,
                "after_seq": self.highest(conversation),
                "ref": f"sync-{conversation}",
            }
        )

    def _keep(self, message: dict, *, live: bool) -> None:
        self.messages.setdefault(message["conversation"], {})[message["seq"]] = message
        if live:
            self.live.setdefault(message["conversation"], set()).add(message["seq"])

    async def _on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "hello":
            self.hello = frame
            self.conversations |= {c["id"] for c in frame.get("conversations", [])}
            self.connected.set()
            # After any (re)connect: resume every conversation, then re-send what was never answered.
            for conversation in list(self.conversations):
                await self.sync(conversation)
            for client_id, frame_out in list(self.pending.items()):
                self.stats.resends_after_reconnect += 1
                await self._transmit(client_id, frame_out, reset=True)
        elif kind in CARRY:
            conversation = (
                frame["conversation"]["id"] if isinstance(frame["conversation"], dict) else frame["conversation"]
            )
            self.conversations.add(conversation)
            for message in frame["messages"]:
                self._keep(message, live=False)
            if kind == "conversation.messages" and frame.get("has_more"):
                await self.sync(conversation)
        elif kind == "message.created":
            message = frame["message"]
            conversation = message["conversation"]
            self.conversations.add(conversation)
            gap = message["seq"] > self.highest(conversation) + 1
            self._keep(message, live=True)
            gap = gap and message["seq"] > self.highest(conversation)
            if gap:
                self.stats.gaps += 1
                await self.sync(conversation)
        elif kind == "pong" and isinstance(frame.get("ref"), str) and frame["ref"].startswith("probe-"):
            await self._probe_answered(frame["ref"])
        elif kind == "message.ack":
            self.acked[frame["client_id"]] = frame["seq"]
            self._answered(frame["client_id"])
        elif kind == "error":
            ref = frame.get("ref")
            if isinstance(ref, str) and ref.startswith("send-"):
                client_id = ref[5:]
                if self._answered(client_id):
                    self.stats.send_errors.append(frame)
                else:
                    self.stats.stale_errors += 1
            else:
                self.stats.unexpected_errors.append(frame)
        await self.frames.put(frame)

    def _answered(self, client_id: str) -> bool:
        """Record the first answer to ``client_id``; False if it was answered before (or never sent)."""
        if self.pending.pop(client_id, None) is None:
            return False
        for bookkeeping in (self.resends, self.due_at, self.position):
            bookkeeping.pop(client_id, None)
        self.in_flight.discard(client_id)
        sent_at = self.first_sent_at.pop(client_id)
        waited = time.monotonic() - sent_at
        self.stats.slowest_answer_seconds = max(self.stats.slowest_answer_seconds, waited)
        self.stats.answers.append((sent_at, waited))
        if client_id in self.timed_out:
            self.stats.answered_after_timeout += 1
        return True

    async def _transmit(self, client_id: str, frame: dict, *, resend: bool = False, reset: bool = False) -> None:
        """Send a message.send and start its ack wait: the next one after a timeout re-send, the first after a reconnect."""
        resends = 0 if reset else self.resends.get(client_id, 0) + (1 if resend else 0)
        self.resends[client_id] = resends
        if self.ack_timeout:
            wait = self.ack_wait(resends)
            self.waits.setdefault(client_id, []).append(wait)
            self.due_at[client_id] = time.monotonic() + wait  # set before the await: no second re-send meanwhile
        mark = await self._send_raw(frame)
        if mark:
            self.position[client_id] = (self._generation, mark)
        else:
            self.position.pop(client_id, None)  # not sent: nothing to prove; the reconnect re-sends it

    async def send_message(self, conversation: int, text: str) -> str:
        client_id = uuid.uuid4().hex
        frame = {
            "type": "message.send",
            "conversation": conversation,
            "client_id": client_id,
            "text": text,
            "ref": f"send-{client_id}",
        }
        self.pending[client_id] = frame
        self.first_sent_at[client_id] = time.monotonic()
        if self.connected.is_set():
            await self._transmit(client_id, frame)
        return client_id

    async def send(self, frame: dict) -> None:
        await self._send_raw(frame)

    async def expect(self, kind: str, timeout: float = 15) -> dict:
        async def wait():
            while True:
                frame = await self.frames.get()
                if frame.get("type") == kind:
                    return frame

        return await asyncio.wait_for(wait(), timeout)


async def seeker_pair(servers: list, *, name: str, periodic_sync: float | None = None, topic: str = "anxiety"):
    """One anonymous seeker with two sockets (a writer and a reader, on different processes when
    there are two) in the seeker's waiting conversation: the reader gets the writer's messages
    through the channel layer. Returns (writer, reader, conversation id, http)."""
    http = HttpClient(servers[0].http)
    await asyncio.to_thread(http.start_anonymous, 30)
    writer = ResilientClient(servers, http, name=f"{name}-w", periodic_sync=periodic_sync)
    reader = ResilientClient(servers[::-1], http, name=f"{name}-r", periodic_sync=periodic_sync)
    writer._server_index, reader._server_index = 0, 0
    await writer.start()
    await reader.start()
    await writer.send({"type": "request.create", "topic": topic, "ref": "req"})
    created = await writer.expect("request.created")
    conversation = created["request"]["conversation"]
    writer.conversations.add(conversation)
    reader.conversations.add(conversation)
    await reader.sync(conversation)
    return writer, reader, conversation, http


def stored_messages(database_url: str, conversation_ids) -> dict[int, list[tuple]]:
    """(seq, text, client_id, sender_id) per conversation, in seq order, straight from PostgreSQL."""
    import psycopg

    rows: dict[int, list[tuple]] = {cid: [] for cid in conversation_ids}
    with psycopg.connect(database_url) as conn:
        for conversation, seq, text, client_id, sender in conn.execute(
            "SELECT conversation_id, seq, text, client_id, sender_id FROM chat_message"
            " WHERE conversation_id = ANY(%s) ORDER BY conversation_id, seq",
            (list(conversation_ids),),
        ):
            rows[conversation].append((seq, text, client_id, sender))
    return rows


E2E_ENV = {
    "HEARTH_ANON_SESSIONS_PER_IP": "100000",
    "HEARTH_LOGIN_RATE_PER_IP": "100000",
    "HEARTH_WS_HANDSHAKES_PER_IP": "100000",
    "HEARTH_WS_HANDSHAKES_PER_USER": "100000",
    "HEARTH_WS_SOCKETS_PER_IP": "100000",
    "CHAT_RATE_MESSAGES": "100000",
    "CHAT_REQUESTS_PER_ADDRESS": "100000",  # every client is 127.0.0.1
    "HEARTH_WS_SYNC_PER_SOCKET": "100000",  # the resilient client syncs far more often than the web app
    "HEARTH_SCHEDULER_IN_PROCESS": "0",
}
