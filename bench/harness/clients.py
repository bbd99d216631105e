"""A fleet of client websockets: open (bounded concurrency), send, receive, close.

Every received frame is decoded by the target and handed to ``on_message``
with its arrival time; the scenario decides what to do with it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect

from bench.harness.pacing import now_ns
from bench.harness.target import ChatMessage, Target

OnMessage = Callable[[int, ChatMessage, int], None]  # (receiver, message, arrival_ns)


@dataclass
class Member:
    member: int
    room: str
    port: int


class Fleet:
    def __init__(self, target: Target, on_message: OnMessage, payload_size: int = 200) -> None:
        self.target, self.on_message, self.payload_size = target, on_message, payload_size
        self.sockets: dict[int, ClientConnection] = {}
        self.members: dict[int, Member] = {}
        self._readers: dict[int, asyncio.Task] = {}
        self.errors: list[str] = []

    async def open(self, members: list[Member], concurrency: int | None = None, timeout: float = 120.0) -> None:
        """Open (and join) every member's socket; raises if any fails."""
        gate = asyncio.Semaphore(concurrency or getattr(self.target, "connect_concurrency", 50))

        async def one(m: Member) -> None:
            async with gate:
                ws = await connect(
                    self.target.socket_url(m.port, m.room, m.member),
                    compression=None,
                    proxy=None,
                    open_timeout=15,
                    ping_interval=None,
                    close_timeout=2,
                    max_size=2**20,
                    **self.target.connect_options(m.member),
                )
                self.sockets[m.member] = ws
                self.members[m.member] = m
                await self.target.join(ws, m.room, m.member)
                self._readers[m.member] = asyncio.create_task(self._read(m.member, ws))

        await asyncio.wait_for(asyncio.gather(*(one(m) for m in members)), timeout)

    async def _read(self, member: int, ws: ClientConnection) -> None:
        decode = self.target.decode
        try:
            async for frame in ws:
                arrival = now_ns()
                if isinstance(frame, str):
                    msg = decode(frame)
                    if msg is not None:
                        self.on_message(member, msg, arrival)
        except Exception as e:  # connection closed with error: recorded, not raised
            if len(self.errors) < 100:
                self.errors.append(f"member {member}: {e!r}")

    async def send(self, member: int, msg: ChatMessage) -> None:
        await self.sockets[member].send(self.target.encode(msg, self.payload_size))

    def __len__(self) -> int:
        return len(self.sockets)

    async def close(self, timeout: float = 10.0) -> None:
        """Close every socket politely, then abort whatever is left."""
        sockets = list(self.sockets.values())
        gate = asyncio.Semaphore(200)

        async def one(ws: ClientConnection) -> None:
            async with gate:
                await ws.close()

        if sockets:
            try:
                await asyncio.wait_for(asyncio.gather(*(one(ws) for ws in sockets), return_exceptions=True), timeout)
            except TimeoutError:
                pass
            for ws in sockets:
                if ws.transport is not None and not ws.transport.is_closing():
                    ws.transport.abort()
        for task in self._readers.values():
            task.cancel()
        await asyncio.gather(*self._readers.values(), return_exceptions=True)
        self.sockets.clear()
        self.members.clear()
        self._readers.clear()


async def wait_for(predicate: Callable[[], bool], timeout: float, poll: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(poll)
    return predicate()
