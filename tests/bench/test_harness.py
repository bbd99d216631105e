"""Pure parts of the load harness: no servers, no sockets, no timing."""

import asyncio
import random

import pytest

from bench.harness.accounting import DUPLICATE, LAST, OK, UNEXPECTED, Ledger
from bench.harness.analysis import find_knee, linear_fit
from bench.harness.pacing import burst_schedule, poisson_schedule
from bench.harness.report import markdown, ratio_table
from bench.harness.target import ChatMessage
from bench.targets.baselines import CompactCodec

# -- accounting -------------------------------------------------------------


def test_ledger_clean_run():
    ledger = Ledger()
    for seq in range(3):
        ledger.expect(1, seq, [1, 2])
    results = [ledger.deliver(r, 1, s) for s in range(3) for r in (2, 1)]
    assert results == [OK, LAST] * 3
    t = ledger.tally
    assert (t.sent, t.expected, t.delivered, t.lost, t.duplicated, t.out_of_order) == (3, 6, 6, 0, 0, 0)
    assert not t.failed


def test_ledger_counts_lost_per_recipient():
    ledger = Ledger()
    ledger.expect(1, 0, [2, 3, 4])
    ledger.deliver(2, 1, 0)
    assert ledger.outstanding() == 2
    assert ledger.tally.lost == 2 and ledger.tally.failed


def test_ledger_duplicate_is_not_a_delivery():
    ledger = Ledger()
    ledger.expect(1, 0, [2])
    assert ledger.deliver(2, 1, 0) == LAST
    assert ledger.deliver(2, 1, 0) == DUPLICATE
    assert ledger.tally.delivered == 1 and ledger.tally.duplicated == 1 and ledger.tally.failed


def test_ledger_out_of_order_is_per_sender_and_receiver():
    ledger = Ledger()
    for seq in range(3):
        ledger.expect(1, seq, [2, 3])
    ledger.expect(5, 0, [2])
    ledger.deliver(2, 1, 2)
    ledger.deliver(2, 5, 0)  # another sender: its own stream
    ledger.deliver(2, 1, 0)  # late: out of order
    ledger.deliver(2, 1, 1)  # still older than 2
    for seq in range(3):
        ledger.deliver(3, 1, seq)  # in order for receiver 3
    t = ledger.tally
    assert t.out_of_order == 2 and t.lost == 0
    assert not t.failed  # reordering is reported, not a failure


def test_ledger_unexpected_message_or_recipient():
    ledger = Ledger()
    ledger.expect(1, 0, [2])
    assert ledger.deliver(2, 1, 7) == UNEXPECTED
    assert ledger.deliver(9, 1, 0) == UNEXPECTED
    assert ledger.tally.unexpected == 2 and ledger.tally.failed


# -- knee and fit -------------------------------------------------------------


def _step(rate, p99, failed=False):
    return {"rate": rate, "p99_ms": p99, "failed": failed}


def test_knee_is_last_step_within_limit():
    steps = [_step(100, 5), _step(200, 40), _step(400, 150), _step(800, 20)]
    knee = find_knee(steps, "p99_ms", 100)
    assert knee["knee"]["rate"] == 200
    assert knee["passed_at"]["rate"] == 400  # later steps are ignored


def test_knee_not_reached_and_first_step_bad():
    assert find_knee([_step(1, 1), _step(2, 2)], "p99_ms", 100)["passed_at"] is None
    first_bad = find_knee([_step(1, 500)], "p99_ms", 100)
    assert first_bad["knee"] is None and first_bad["passed_at"]["rate"] == 1


def test_knee_stops_at_loss_or_missing_figure():
    assert find_knee([_step(1, 1), _step(2, 1, failed=True)], "p99_ms", 100)["knee"]["rate"] == 1
    assert find_knee([_step(1, 1), _step(2, None)], "p99_ms", 100)["passed_at"]["rate"] == 2


def test_linear_fit():
    slope, intercept = linear_fit([0, 500, 1000, 1500], [10, 20, 30, 40])
    assert slope == pytest.approx(0.02) and intercept == pytest.approx(10)
    with pytest.raises(ValueError):
        linear_fit([1], [1])


# -- pacing and codec -----------------------------------------------------------


def test_schedules_are_bounded_and_ordered():
    times = list(poisson_schedule(0, 10 * 10**9, 0.5, random.Random(3)))
    assert times == sorted(times) and all(0 < t < 10 * 10**9 for t in times)
    assert len(list(poisson_schedule(0, 10**18, 0.001, random.Random(3), limit=50))) == 50
    assert list(burst_schedule(0, 2 * 10**9, 1.0, 3)) == [0, 0, 0, 10**9, 10**9, 10**9]


def test_compact_codec_roundtrip_and_size():
    codec = CompactCodec()
    msg = ChatMessage(12, 34, 5_678_901_234)
    text = codec.encode(msg, 200)
    assert len(text) == 200 and codec.decode(text) == msg
    assert codec.decode("not a chat frame") is None


# -- ratio table -------------------------------------------------------------------


def _row(target, family, layer, scenario="relay", phase="knee", **metrics):
    return {
        "target": target,
        "family": family,
        "layer": layer,
        "scenario": scenario,
        "phase": phase,
        "procs": 1,
        **metrics,
    }


def test_ratio_table_matches_scenario_phase_and_layer():
    rows = [
        _row("channels-redis", "channels", "redis", knee_msgs_per_s=500, latency_p99_ms=10),
        _row("channels-memory", "channels", "memory", knee_msgs_per_s=1000, latency_p99_ms=5),
        _row("raw", "raw", "inproc", knee_msgs_per_s=9000),
        _row("hearth-redis", "hearth", "redis", knee_msgs_per_s=250, latency_p99_ms=30),
        _row("hearth-redis", "hearth", "redis", phase="base-50", latency_p99_ms=3),  # no baseline
    ]
    ratios = {
        r["metric"]: r
        for r in ratio_table(rows, metrics={"relay": ["knee_msgs_per_s", "latency_p99_ms", "latency_p50_ms"]})
    }
    assert ratios["knee_msgs_per_s"]["ratio"] == 0.5
    assert ratios["knee_msgs_per_s"]["baseline"] == "channels-redis"
    assert ratios["latency_p99_ms"]["ratio"] == 3.0
    assert ratios["latency_p50_ms"]["ratio"] is None  # missing on both sides
    assert all(r["target"] == "hearth-redis" and r["phase"] == "knee" for r in ratios.values())


def test_markdown_renders_rows_and_ratios():
    rows = [
        _row("channels-redis", "channels", "redis", knee_msgs_per_s=500, failed=False),
        _row("hearth-redis", "hearth", "redis", knee_msgs_per_s=250, failed=True),
    ]
    result = {
        "meta": {
            "date_utc": "d",
            "git_commit": "c",
            "git_dirty": False,
            "python": "3.11",
            "cpu_count": 2,
            "cpu_model": "x",
            "redis_server": "7",
            "packages": {"channels": "4"},
        },
        "profile": {"name": "quick"},
        "rows": rows,
        "ratios": ratio_table(rows),
        "failed": True,
        "errors": [],
    }
    text = markdown(result)
    assert "hearth-redis" in text and "FAILED" in text and "0.5" in text


def test_knee_search_goes_on_from_a_base_phase_within_the_limit_and_below_one_past_it():
    from bench.harness.profiles import QUICK
    from bench.harness.scenarios.relay import knee_start

    calm = {"rate": 94.3, "latency_p99_ms": 40.0, "failed": False}
    steps, next_rate = knee_start(calm, QUICK)
    assert steps == [calm] and next_rate == pytest.approx(94.3 * QUICK.relay_knee_factor)
    for slow in (
        {"rate": 94.3, "latency_p99_ms": 180.0, "failed": False},
        {"rate": 94.3, "latency_p99_ms": 20.0, "failed": True},
    ):
        assert knee_start(slow, QUICK) == ([], QUICK.relay_knee_start_rate)


async def test_drain_waits_out_a_backlog_that_is_still_arriving_but_not_a_silence():
    from bench.harness.scenarios.common import drain

    owed = [5]

    async def deliver_slowly():
        while owed[0]:
            await asyncio.sleep(0.03)
            owed[0] -= 1

    feeder = asyncio.ensure_future(deliver_slowly())
    # Each message comes 30 ms after the last: longer in all than quiet_s, but never silent that long.
    assert await drain(lambda: owed[0], quiet_s=0.1, max_s=5) is True
    await feeder
    owed[0] = 3
    assert await drain(lambda: owed[0], quiet_s=0.1, max_s=5) is False  # nothing arrives: lost
    assert await drain(lambda: owed[0], quiet_s=5, max_s=0.1) is False  # the overall cap holds


def test_profile_summary_attributes_samples_to_hearth_code_across_files(tmp_path):
    from bench.profile_summary import summarise

    loop = "<module> (daphne/__main__.py:1);Server.run (daphne/server.py:2);"
    thread = "Thread.run (threading.py:1);_worker (concurrent/futures/thread.py:2);"
    (tmp_path / "a.txt").write_text(
        f"{thread}call (/work/main/support/events.py:109);message_send (/work/main/chat/services/messages.py:5);execute (psycopg/cursor.py:1) 6\n"
        f"{loop}receive (/work/main/support/ws.py:1);send (channels/consumer.py:3) 3\n"
    )
    (tmp_path / "b.txt").write_text(f"{loop}select (selectors.py:1) 1\n")
    text = summarise([tmp_path / "a.txt", tmp_path / "b.txt"], by_hearth=2)
    assert text.startswith("10 samples")
    assert " 60.0%  worker thread: call > message_send" in text
    assert " 30.0%  event loop: receive" in text
    assert " 10.0%  event loop: (no Hearth frame)" in text
