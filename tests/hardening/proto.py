"""A resilient protocol client and fault tools for the end-to-end hardening tests.

``ResilientClient`` follows docs/protocol.md the way the web app does: it keeps
every message by ``seq``, syncs after a reconnect and on a seq gap (and, if
asked, every few seconds), reconnects with jittered exponential backoff
(0.5 s doubling to 15 s) and re-sends every unacknowledged message with its
original ``client_id`` after each reconnect and, like the web app, whenever a
send has had no answer for ``ack_timeout`` seconds (10 s by default) on an open
socket. ``Stats`` counts both kinds of re-send so a test can report them. ``OwnRedis`` runs a private redis-server that a test
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
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
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

    def __enter__(self) -> "OwnRedis":
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
    # and after ack_timeout seconds without an answer on an open socket.
    resends_after_reconnect: int = 0
    resends_after_timeout: int = 0
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

    ACK_TIMEOUT = 10.0  # the web app's ACK_TIMEOUT_MS (frontend/static/frontend/js/socket.js)

    def __init__(self, servers: list, http: HttpClient, *, name: str, periodic_sync: float | None = None,
                 path: str = "/ws/v1/chat/", rng: random.Random | None = None,
                 ack_timeout: float | None = ACK_TIMEOUT):
        self.servers, self.http, self.name, self.path = servers, http, name, path
        self.periodic_sync = periodic_sync
        self.ack_timeout = ack_timeout  # None: re-send only after a reconnect
        self.rng = rng or random.Random(name)
        self.messages: dict[int, dict[int, dict]] = {}
        self.live: dict[int, set[int]] = {}  # seqs that arrived as message.created
        self.conversations: set[int] = set()
        self.acked: dict[str, int] = {}
        self.pending: dict[str, dict] = {}  # client_id -> frame not yet answered
        self.first_sent_at: dict[str, float] = {}  # client_id -> when send_message queued it (monotonic)
        self.last_sent_at: dict[str, float] = {}  # client_id -> its latest transmission on an open socket
        self.timed_out: set[str] = set()  # client_ids re-sent at least once by the ack timeout
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
                    f"{server.ws}{self.path}", origin=server.http, additional_headers=self.http.ws_headers(),
                    compression=None, open_timeout=10, ping_interval=5, ping_timeout=10,
                )
            except Exception:
                self._server_index += 1
                await asyncio.sleep(delay * (0.5 + self.rng.random()))  # jittered exponential backoff
                delay = min(delay * 2, 15)
                continue
            delay = 0.5
            self.stats.connects += 1
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
        """Re-send, with the same client_id, every send unanswered for ack_timeout seconds.

        Only while the socket has said hello: before that, the hello handler
        re-sends everything pending anyway. The server answers a repeated
        client_id with the original ack, so a re-send never stores twice.
        """
        tick = min(1.0, self.ack_timeout / 4)
        while True:
            await asyncio.sleep(tick)
            if not self.connected.is_set():
                continue
            now = time.monotonic()
            for client_id, frame_out in list(self.pending.items()):
                if now - self.last_sent_at.get(client_id, now) >= self.ack_timeout:
                    self.stats.resends_after_timeout += 1
                    self.timed_out.add(client_id)
                    await self._transmit(client_id, frame_out)

    # --- protocol -------------------------------------------------------------
    def highest(self, conversation: int) -> int:
        """The highest seq up to which this client holds every message (what a resume asks after)."""
        held = self.messages.get(conversation, {})
        seq = 0
        while seq + 1 in held:
            seq += 1
        return seq

    async def _send_raw(self, frame: dict) -> bool:
        try:
            await self.socket.send(json.dumps(frame))
            return True
        except Exception:
            return False

    async def sync(self, conversation: int) -> None:
        self.stats.syncs += 1
        await self._send_raw({"type": "conversation.sync", "conversation": conversation,
                              "after_seq": self.highest(conversation), "ref": f"sync-{conversation}"})

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
                await self._transmit(client_id, frame_out)
        elif kind in CARRY:
            conversation = frame["conversation"]["id"] if isinstance(frame["conversation"], dict) else frame["conversation"]
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
        self.last_sent_at.pop(client_id, None)
        sent_at = self.first_sent_at.pop(client_id)
        waited = time.monotonic() - sent_at
        self.stats.slowest_answer_seconds = max(self.stats.slowest_answer_seconds, waited)
        self.stats.answers.append((sent_at, waited))
        if client_id in self.timed_out:
            self.stats.answered_after_timeout += 1
        return True

    async def _transmit(self, client_id: str, frame: dict) -> None:
        self.last_sent_at[client_id] = time.monotonic()
        await self._send_raw(frame)

    async def send_message(self, conversation: int, text: str) -> str:
        client_id = uuid.uuid4().hex
        frame = {"type": "message.send", "conversation": conversation, "client_id": client_id, "text": text,
                 "ref": f"send-{client_id}"}
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
    "HEARTH_SCHEDULER_IN_PROCESS": "0",
}
