"""Load smoke: 20 sockets on two Daphne processes for 10 s in CI (60 s in the full run).

Ten seekers each hold a writer socket on one process and a reader socket on
the other, so every message crosses PostgreSQL and Redis. Zero errors, zero
lost messages: every stored message reached its reader live, without a gap.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.servers import DaphneCluster
from tests.hardening.conftest import size
from tests.hardening.proto import E2E_ENV, seeker_pair, stored_messages

pytestmark = [pytest.mark.load, pytest.mark.e2e]


async def _run(servers, database_url, *, sockets: int, seconds: float) -> dict:
    pairs = [await seeker_pair(servers, name=f"load{i}") for i in range(sockets // 2)]
    stop = asyncio.Event()
    latencies: list[float] = []

    async def writer_loop(writer, reader, conversation):
        i = 0
        while not stop.is_set():
            await writer.send_message(conversation, f"{writer.name} {i}")
            i += 1
            await asyncio.sleep(0.5)

    started = time.monotonic()
    loops = [asyncio.create_task(writer_loop(w, r, c)) for w, r, c, _ in pairs]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*loops)
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 15
    stored = {}
    while time.monotonic() < deadline:
        stored = await asyncio.to_thread(stored_messages, database_url, [p[2] for p in pairs])
        if not any(w.pending for w, *_ in pairs) and all(
            sorted(r.live.get(c, set())) == [row[0] for row in stored[c]] for _, r, c, _ in pairs
        ):
            break
        await asyncio.sleep(0.25)
    for w, r, *_ in pairs:
        await w.stop()
        await r.stop()
    return {"pairs": pairs, "stored": stored, "elapsed": elapsed, "latencies": latencies}


def test_twenty_sockets_on_two_processes_with_no_errors_and_no_lost_messages(tmp_path, postgres_url, redis_url):
    sockets, seconds = 20, size(10, 60)
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url, extra_env=E2E_ENV) as cluster:
        servers = [cluster.start(), cluster.start()]
        result = asyncio.run(_run(servers, cluster.database_url, sockets=sockets, seconds=seconds))
    total = 0
    for writer, reader, conversation, _ in result["pairs"]:
        rows = result["stored"][conversation]
        seqs = [row[0] for row in rows]
        total += len(rows)
        for client in (writer, reader):
            assert not client.stats.unexpected_errors and not client.stats.send_errors, client.stats
            assert client.stats.reconnects == 0, client.stats.close_codes
        assert not writer.pending
        assert sorted(writer.acked.values()) == [seq for seq, _, client_id, _ in rows if client_id]
        assert sorted(reader.live.get(conversation, set())) == seqs, "a message did not reach its reader live"
        assert reader.stats.gaps == 0
    print(f"load smoke: {sockets} sockets, {result['elapsed']:.0f}s, {total} messages stored and delivered, 0 errors")
