"""The adapter interface between scenarios and the system under test.

A scenario only talks to a server through a ``Target``: how to start it, which
URL a member's socket opens, what to do after the socket opens (log in, join
a room), and how a chat message is written to / read from a text frame.
Subclass ``Target`` (see ``bench/targets/baselines.py``) and register it in
``bench/targets/__init__.py`` to benchmark a new system.
"""

from __future__ import annotations

import abc
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChatMessage:
    sender: int  # member id of the sending socket
    seq: int  # per-sender sequence number, 0, 1, 2, ... in send order
    sched_ns: int  # scheduled send time, time.monotonic_ns() of the client


@dataclass
class ServerSpec:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def daphne_argv(app: str, port: int) -> list[str]:
    """``daphne -b 127.0.0.1 -p PORT app`` with the access log off (-v 0)."""
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", app]


class Target(abc.ABC):
    #: CLI name, e.g. "channels-redis"; unique.
    name: str
    #: "raw" | "channels" | "hearth": ratios compare a family to "channels".
    family: str
    #: "inproc" | "memory" | "redis" | "redis-pubsub": ratios only compare
    #: rows of the same scenario, phase *and* layer.
    layer: str
    #: True when sockets of one room may live on different server processes.
    multi_process: bool = False
    #: True when a room broadcast also comes back to its sender. The ledger
    #: then expects that copy too (loss/dup/order), but latency figures only
    #: count deliveries to *other* members.
    self_delivery: bool = True

    # -- server lifecycle ---------------------------------------------------
    @abc.abstractmethod
    def server(self, port: int, run_id: str) -> ServerSpec:
        """Command + extra environment for one server process on ``port``.
        ``run_id`` is unique per server group (use it to namespace Redis keys)."""

    @abc.abstractmethod
    def probe_url(self, port: int) -> str:
        """A websocket URL that accepts a connection once the server is ready."""

    def probe_options(self) -> dict:
        """Extra ``websockets.connect`` keyword arguments for the probe (e.g. an Origin)."""
        return {}

    def plan(self, profile, scenarios: list[str]) -> None:
        """Once, before any scenario: the run's profile (sizes) and scenario
        names, e.g. to size data prepared once and reused by every server group."""

    async def prepare_shared(self) -> None:
        """Once, after ``plan`` and before any scenario, not timed: data every server group
        copies (e.g. template databases)."""

    async def setup(self, run_id: str) -> None:
        """Before the server processes of ``run_id`` start, not timed: e.g.
        create the database they will use."""

    async def prepare(self, members: int, run_id: str) -> None:
        """Before sockets open, not timed: e.g. create ``members`` users/tokens."""

    async def prepare_room(self, room: str, members: int, run_id: str) -> None:
        """Like ``prepare``, when members ``0 .. members-1`` will all join the one
        room ``room`` (fan-out). Called again as the room grows."""
        await self.prepare(members, run_id)

    async def cleanup(self, run_id: str) -> None:
        """After the servers stopped: e.g. delete Redis keys or DB rows."""

    # -- sockets ------------------------------------------------------------
    @abc.abstractmethod
    def socket_url(self, port: int, room: str, member: int) -> str:
        """URL the socket of ``member`` (in ``room``) connects to."""

    def connect_options(self, member: int) -> dict:
        """Extra ``websockets.connect`` keyword arguments for ``member``,
        e.g. ``{"additional_headers": {"Cookie": ...}}`` to log in."""
        return {}

    async def join(self, ws, room: str, member: int) -> None:
        """After the socket opened: log in / join ``room`` and wait until the
        server confirms, so that the scenario's first message is deliverable.
        Frames read here never reach the ledger."""

    # -- chat messages ------------------------------------------------------
    @abc.abstractmethod
    def encode(self, msg: ChatMessage, size: int) -> str:
        """The text frame a member sends to post ``msg`` to its room, about
        ``size`` bytes long."""

    @abc.abstractmethod
    def decode(self, text: str) -> ChatMessage | None:
        """The chat message carried by a received frame, or None for frames
        that are not chat messages (acks, presence, ...): those are ignored."""

    # -- extra figures and checks ---------------------------------------------
    def phase_begin(self) -> None:
        """A load phase starts (reset per-phase counters such as ack latency)."""

    def phase_end(self) -> dict:
        """Extra figures for the phase just ended, merged into its row."""
        return {}

    async def verify(self, run_id: str, sent: int) -> dict | None:
        """After a scenario's load, before cleanup: check the server's own
        record (e.g. rows persisted == ``sent``). None when not applicable;
        otherwise a dict whose ``db_rows_match`` False fails the run."""
        return None

    def describe(self) -> dict:
        """Settings worth recording in the results (layer config, ...)."""
        return {
            "name": self.name,
            "family": self.family,
            "layer": self.layer,
            "multi_process": self.multi_process,
            "self_delivery": self.self_delivery,
        }
