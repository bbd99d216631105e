"""Capacity holds across two real Daphne processes on one PostgreSQL and one Redis.

Ten seekers, five on each process, ask for someone at the same moment; three listeners with
capacity two (two on one process, one on the other) accept every offer they get. Exactly six
chats start: no listener over capacity, no request matched twice, four seekers still waiting.
Checked both from the database and from the frames every client received.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient

pytestmark = [pytest.mark.e2e]

LISTENERS = [("CapOne", "cap-one-pass"), ("CapTwo", "cap-two-pass"), ("CapThree", "cap-three-pass")]
CAPACITY = 2
SEEKERS = 10


class Client:
    """A chat socket that keeps every frame it received, and accepts offers when told to."""

    def __init__(self, name: str, server, http: HttpClient):
        self.name, self.server, self.http = name, server, http
        self.frames: list[dict] = []
        self.arrived = asyncio.Event()
        self.accept_offers = False

    async def connect(self):
        self.ws = await websockets.connect(
            f"{self.server.ws}/ws/v1/chat/",
            origin=self.server.http,
            additional_headers=self.http.ws_headers(),
            compression=None,
            max_size=None,
        )
        self.reader = asyncio.create_task(self._read())
        return await self.expect("hello")

    async def _read(self):
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                self.arrived.set()
                if frame["type"] == "offer.created" and self.accept_offers:
                    await self.send(
                        {"type": "offer.accept", "offer": frame["offer"]["id"], "ref": f"accept-{frame['offer']['id']}"}
                    )
        except websockets.ConnectionClosed:
            pass

    async def send(self, frame: dict):
        await self.ws.send(json.dumps(frame))

    async def expect(self, frame_type: str, timeout: float = 15, start: int = 0) -> dict:
        async def wait():
            seen = start
            while True:
                for frame in self.frames[seen:]:
                    seen += 1
                    if frame["type"] == frame_type:
                        return frame
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(wait(), timeout)

    def of(self, frame_type: str) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == frame_type]

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


def started_conversations(listeners: list[Client]) -> dict[int, set[str]]:
    """Conversation id -> the listeners whose sockets were told it started for them."""
    owners: dict[int, set[str]] = defaultdict(set)
    for client in listeners:
        for frame in client.of("conversation.started"):
            owners[frame["conversation"]["id"]].add(client.name)
    return owners


async def scenario(first, second) -> dict:
    listeners = []
    for index, (alias, password) in enumerate(LISTENERS):
        server = first if index != 1 else second
        http = HttpClient(server.http)
        http.login(alias.lower(), password)
        client = Client(alias, server, http)
        await client.connect()
        await client.send({"type": "shift.start", "topics": ["anxiety"], "ref": "shift"})
        ack = await client.expect("shift.start.ack")
        assert ack["shift"]["capacity"] == CAPACITY  # the capacity hearth_accounts gave them
        client.accept_offers = True
        listeners.append(client)

    seekers = []
    for index in range(SEEKERS):
        server = first if index % 2 == 0 else second
        http = HttpClient(server.http)
        http.start_anonymous(age=30)
        client = Client(f"seeker{index}", server, http)
        await client.connect()
        seekers.append(client)
    await asyncio.gather(*(s.send({"type": "request.create", "topic": "anxiety", "ref": "ask"}) for s in seekers))
    for seeker in seekers:
        await seeker.expect("request.created")

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(started_conversations(listeners)) < len(LISTENERS) * CAPACITY and loop.time() < deadline:
        await asyncio.sleep(0.2)
    # Keep listening a while: an over-capacity offer or a second match would show up now.
    await asyncio.sleep(4)
    for client in listeners + seekers:
        await client.close()
    return {
        "listeners": {c.name: c.frames for c in listeners},
        "seekers": {c.name: c.frames for c in seekers},
        "owners": started_conversations(listeners),
        "requests": {c.name: c.of("request.created")[0]["request"]["conversation"] for c in seekers},
    }


def test_ten_seekers_on_two_processes_fill_three_listeners_to_capacity_and_no_further(
    tmp_path, postgres_url, redis_url
):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url) as cluster:
        for alias, password in LISTENERS:
            cluster.manage(
                "hearth_accounts",
                "listener",
                "--alias",
                alias,
                "--password",
                password,
                "--topics",
                "anxiety",
                "--capacity",
                str(CAPACITY),
            )
        first, second = cluster.start(), cluster.start()
        result = asyncio.run(scenario(first, second))

        import psycopg

        with psycopg.connect(cluster.database_url) as conn:
            per_listener = dict(
                conn.execute(
                    "SELECT u.alias, count(*) FROM chat_conversation c JOIN support_user u ON u.id = c.listener_id "
                    "WHERE c.status = 'active' GROUP BY u.alias"
                ).fetchall()
            )
            matched = conn.execute(
                "SELECT r.id, r.conversation_id, count(o.id) FILTER (WHERE o.status = 'accepted') "
                "FROM chat_chatrequest r LEFT JOIN chat_offer o ON o.request_id = r.id "
                "WHERE r.status = 'matched' GROUP BY r.id, r.conversation_id"
            ).fetchall()
            waiting = conn.execute(
                "SELECT count(*) FROM chat_chatrequest WHERE status IN ('waiting', 'offered')"
            ).fetchone()[0]
            requests = conn.execute("SELECT count(*) FROM chat_chatrequest").fetchone()[0]
            accepted_per_listener = conn.execute(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM chat_offer o JOIN chat_chatrequest r ON r.id = o.request_id "
                "WHERE o.status = 'accepted' GROUP BY o.listener_id) counts"
            ).fetchone()[0]

    # The database: six chats, two per listener, every matched request once, four still waiting.
    assert per_listener == {alias: CAPACITY for alias, _ in LISTENERS}, per_listener
    assert len(matched) == len(LISTENERS) * CAPACITY and requests == SEEKERS and waiting == SEEKERS - len(matched)
    assert all(accepted == 1 for _, _, accepted in matched), matched
    assert len({conversation for _, conversation, _ in matched}) == len(matched)
    assert accepted_per_listener == CAPACITY

    # The frames: each started conversation belongs to one listener, none has more than two.
    owners = result["owners"]
    assert len(owners) == len(LISTENERS) * CAPACITY
    assert all(len(names) == 1 for names in owners.values()), owners
    assert Counter(next(iter(names)) for names in owners.values()) == {alias: CAPACITY for alias, _ in LISTENERS}
    for name, frames in result["listeners"].items():
        accepted = [f for f in frames if f["type"] == "offer.accepted"]
        assert len(accepted) == CAPACITY, (name, accepted)
        offered = [f for f in frames if f["type"] == "offer.created"]
        assert len(offered) == CAPACITY, (name, offered)  # never offered a chat beyond a free seat
        errors = [f for f in frames if f["type"] == "error"]
        assert not errors, (name, errors)
    # Seekers: six told their chat started (their own conversation, with its listener), four still in line.
    started = {}
    for name, frames in result["seekers"].items():
        mine = {
            f["conversation"]["id"]: f["conversation"]["peer"]["alias"]
            for f in frames
            if f["type"] == "conversation.started"
        }
        assert set(mine) <= {result["requests"][name]}, (name, mine)
        started.update(mine)
    assert len(started) == len(LISTENERS) * CAPACITY
    assert {conversation: {alias} for conversation, alias in started.items()} == owners
