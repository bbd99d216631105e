"""Redis killed (kill -9) mid-chat and restarted empty, and a recipient overflowing its channel.

Real Daphne processes on PostgreSQL with a redis-server of the test's own.
The promises: every acknowledged message is in the database; every send is
acknowledged or answered with an explicit error; the servers stay up; the
consumers rejoin their groups (live delivery resumes); every client ends with
exactly the stored messages, within 10 s of Redis returning.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.servers import DaphneCluster
from tests.hardening.conftest import size
from tests.hardening.proto import E2E_ENV, OwnRedis, seeker_pair, stored_messages

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]
CONVERGE_SECONDS = 10


async def _writer_loop(writer, conversation, texts, stop: asyncio.Event, interval: float):
    i = 0
    while not stop.is_set():
        text = f"{writer.name} #{i}"
        texts.append(text)
        await writer.send_message(conversation, text)
        i += 1
        await asyncio.sleep(interval)


async def _converged(pairs, database_url) -> bool:
    stored = await asyncio.to_thread(stored_messages, database_url, [p[2] for p in pairs])
    for writer, reader, conversation, _ in pairs:
        seqs = [row[0] for row in stored[conversation]]
        for client in (writer, reader):
            if sorted(client.messages.get(conversation, {})) != seqs:
                return False
    return True


async def _redis_outage(servers, redis: OwnRedis, database_url: str, *, pairs_count: int, outage: float) -> dict:
    pairs = [await seeker_pair(servers, name=f"p{i}", periodic_sync=2) for i in range(pairs_count)]
    stop = asyncio.Event()
    texts: dict[str, list[str]] = {p[0].name: [] for p in pairs}
    loops = [asyncio.create_task(_writer_loop(w, c, texts[w.name], stop, 0.25)) for w, _, c, _ in pairs]
    await asyncio.sleep(2)
    redis.kill()
    killed_at = time.monotonic()
    await asyncio.sleep(0.5)
    for _, reader, _, _ in pairs:  # readers lose their connection and reconnect while Redis is down
        reader.socket.transport.abort()
    await asyncio.sleep(max(0.0, outage - 0.5))
    redis.start()  # empty: no groups, no channels, no rate-limit counters
    back_at = time.monotonic()
    await asyncio.sleep(4)
    stop.set()
    await asyncio.gather(*loops)
    # Messages written after the heartbeat re-joined the groups must arrive live, not only by sync.
    live_probe = {}
    for writer, _reader, conversation, _ in pairs:
        client_id = await writer.send_message(conversation, f"{writer.name} live probe")
        live_probe[conversation] = client_id
    deadline = back_at + 4 + CONVERGE_SECONDS + 5
    converged_at = None
    while time.monotonic() < deadline:
        if not any(w.pending for w, *_ in pairs) and await _converged(pairs, database_url):
            converged_at = time.monotonic()
            break
        await asyncio.sleep(0.25)
    result = {
        "pairs": pairs,
        "texts": texts,
        "outage": back_at - killed_at,
        "live_probe": live_probe,
        "converged_after_return": None if converged_at is None else converged_at - back_at,
    }
    return result


def _diagnose(result, stored) -> str:
    lines = []
    for writer, reader, conversation, _ in result["pairs"]:
        seqs = [row[0] for row in stored[conversation]]
        for client in (writer, reader):
            have = sorted(client.messages.get(conversation, {}))
            missing = sorted(set(seqs) - set(have))
            lines.append(
                f"{client.name}: pending={len(client.pending)} stored={len(seqs)} have={len(have)} missing={missing[:5]} "
                f"closes={client.stats.close_codes} errors={client.stats.unexpected_errors[:2]} connected={client.connected.is_set()}"
            )
    return "\n".join(lines)


def test_redis_killed_mid_chat_and_restarted_empty_loses_nothing_acknowledged(tmp_path, postgres_url):
    outage = size(3, 10)
    with (
        OwnRedis(tmp_path) as redis,
        DaphneCluster(
            workdir=tmp_path,
            postgres_url=postgres_url,
            redis_url=redis.url,
            extra_env={**E2E_ENV, "HEARTH_WS_HEARTBEAT_SECONDS": "1"},
        ) as cluster,
    ):
        servers = [cluster.start(), cluster.start()]

        async def scenario():
            result = await _redis_outage(servers, redis, cluster.database_url, pairs_count=size(4, 10), outage=outage)
            stored = await asyncio.to_thread(stored_messages, cluster.database_url, [p[2] for p in result["pairs"]])
            for writer, reader, *_ in result["pairs"]:
                await writer.stop()
                await reader.stop()
            return result, stored

        result, stored = asyncio.run(scenario())
        alive = [server.process.poll() is None for server in servers]
        logs = "\n".join(server.log() for server in servers)

    assert all(alive), "a Daphne process died during the Redis outage:\n" + logs[-4000:]
    assert all(r.stats.connects >= 2 for _, r, *_ in result["pairs"]), "readers did not reconnect during the outage"
    assert result["converged_after_return"] is not None, "clients did not converge on the database: " + _diagnose(
        result, stored
    )
    assert result["converged_after_return"] <= CONVERGE_SECONDS, result["converged_after_return"]
    sent_total = acked_total = 0
    for writer, reader, conversation, _ in result["pairs"]:
        rows = stored[conversation]
        by_client_id = {row[2]: row[0] for row in rows if row[2]}
        # Every acknowledged message is stored with the acknowledged seq.
        for client_id, seq in writer.acked.items():
            assert by_client_id.get(client_id) == seq
        # Nothing silently dropped: every send was answered (ack or explicit error).
        assert not writer.pending, f"unanswered sends: {list(writer.pending)[:3]}"
        sent_total += len(result["texts"][writer.name]) + 1
        acked_total += len(writer.acked)
        # No duplicates, gap-free seqs.
        assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
        client_ids = [row[2] for row in rows if row[2]]
        assert len(client_ids) == len(set(client_ids))
        # Live delivery came back: the probe written after the outage arrived as message.created.
        probe_seq = writer.acked[result["live_probe"][conversation]]
        assert probe_seq in reader.live.get(conversation, set()), "the reader's consumer did not rejoin its group"
        assert sorted(reader.messages[conversation]) == [row[0] for row in rows]
    assert sent_total == acked_total + sum(len(w.stats.send_errors) for w, *_ in result["pairs"])
    print(
        f"redis outage {result['outage']:.1f}s: {acked_total} acknowledged, "
        f"{sum(len(w.stats.send_errors) for w, *_ in result['pairs'])} explicit errors, converged "
        f"{result['converged_after_return']:.1f}s after Redis returned"
    )
    codes = [code for w, r, *_ in result["pairs"] for code in w.stats.close_codes + r.stats.close_codes]
    assert 1011 not in codes, "a consumer crashed (1011) during the outage"


async def _overflow(servers, database_url, *, writers: int, burst: int) -> dict:
    # Periodic sync: a loss at the very end of a burst leaves no later message to reveal the gap.
    writer, reader, conversation, http = await seeker_pair(servers, name="burst", periodic_sync=2)
    from tests.hardening.proto import ResilientClient

    tabs = [writer] + [ResilientClient(servers, http, name=f"burst-{i}") for i in range(writers - 1)]
    for tab in tabs[1:]:
        await tab.start()
    for tab in tabs:
        tab.conversations.add(conversation)

    async def blast(tab):
        for i in range(burst):
            await tab.send_message(conversation, f"{tab.name} burst {i}")

    await asyncio.gather(*(blast(tab) for tab in tabs))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(tab.pending for tab in tabs):
        await asyncio.sleep(0.2)
    # The reader resumes from the database on the gap it saw; give the sync a moment.
    rows = []
    while time.monotonic() < deadline:
        rows = (await asyncio.to_thread(stored_messages, database_url, [conversation]))[conversation]
        if sorted(reader.messages.get(conversation, {})) == [row[0] for row in rows]:
            break
        await asyncio.sleep(0.2)
    result = {"reader": reader, "rows": rows, "tabs": tabs, "conversation": conversation}
    for tab in tabs + [reader]:
        await tab.stop()
    return result


def test_a_recipient_overflowing_its_channel_sees_the_gap_and_ends_with_exactly_the_stored_messages(
    tmp_path, postgres_url, redis_url
):
    with DaphneCluster(
        workdir=tmp_path,
        postgres_url=postgres_url,
        redis_url=redis_url,
        extra_env={**E2E_ENV, "CHANNEL_LAYER_KIND": "core", "CHANNEL_LAYER_CAPACITY": "1"},
    ) as cluster:
        servers = [cluster.start(), cluster.start()]
        result = asyncio.run(_overflow(servers, cluster.database_url, writers=size(6, 12), burst=size(25, 100)))
    reader, rows = result["reader"], result["rows"]
    stored_seqs = [row[0] for row in rows]
    live = reader.live.get(result["conversation"], set())
    print(
        f"overflow: {len(rows)} stored, {len(live)} delivered live, {reader.stats.gaps} gaps seen, {reader.stats.syncs} syncs"
    )
    assert len(live) < len(stored_seqs), "nothing overflowed: the test did not exercise the channel capacity"
    assert reader.stats.gaps >= 1
    assert sorted(reader.messages[result["conversation"]]) == stored_seqs
    for tab in result["tabs"]:
        assert not tab.pending
        assert all(seq in stored_seqs for seq in tab.acked.values())
