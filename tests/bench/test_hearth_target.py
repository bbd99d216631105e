"""The Hearth adapter's pure parts: the message codec survives Hearth's own
screening, frames are read back exactly, and the matching checks catch what
they promise to catch. No servers."""

from __future__ import annotations

import json

from bench.harness.report import ratio_table
from bench.harness.scenarios.matching import check_matching, stage_breakdown
from bench.harness.target import ChatMessage
from bench.targets.hearth import Hearth, RunState
from safety.screening import screen_message


def _target() -> Hearth:
    target = Hearth("memory")
    target.current = RunState("r1", {}, conversation={7: 41, 8: 41})
    return target


def _created(frame: dict) -> str:
    """What the server sends to the conversation for an accepted message.send."""
    return json.dumps(
        {
            "type": "message.created",
            "message": {"conversation": frame["conversation"], "seq": 3, "kind": "text", "text": frame["text"]},
        }
    )


def test_message_send_frame_carries_sender_seq_and_time_through_the_server_unchanged():
    target = _target()
    msg = ChatMessage(sender=7, seq=1234, sched_ns=98765432101234)
    frame = json.loads(target.encode(msg, 200))
    assert frame["type"] == "message.send" and frame["conversation"] == 41
    assert 180 <= len(frame["text"]) <= 200
    # The server stores what screening returns: digits would be masked as a phone number.
    screened = screen_message(text=frame["text"], sender_role="seeker")
    assert not screened.masked and screened.text == frame["text"]
    assert target.decode(_created(frame)) == msg


def test_no_sender_seq_or_time_is_ever_mistaken_for_contact_details():
    # "ig:…" (a sender number spelled with the wrong letters) was masked as an Instagram handle.
    import random

    target = _target()
    target.current.conversation.update(dict.fromkeys(range(1000), 41))
    rng = random.Random(8)
    for _ in range(2000):
        msg = ChatMessage(rng.randrange(1000), rng.randrange(100000), rng.randrange(10**9, 10**14))
        text = json.loads(target.encode(msg, 200))["text"]
        assert not screen_message(text=text, sender_role="seeker").masked, text


def test_ack_frames_give_ack_latency_and_error_frames_are_counted_not_decoded():
    target = _target()
    target.phase_begin()
    msg = ChatMessage(7, 0, 1)
    client_id = json.loads(target.encode(msg, 200))["client_id"]
    assert target.decode(json.dumps({"type": "message.ack", "client_id": client_id, "seq": 3})) is None
    assert target.decode(json.dumps({"type": "error", "code": "rate_limited"})) is None
    figures = target.phase_end()
    assert figures["ack"]["n"] == 1
    assert figures["server_error_frames"] == {"rate_limited": 1}


def test_a_masked_message_is_counted_as_undecodable():
    target = _target()
    target.phase_begin()
    frame = {"conversation": 41, "text": "hb:[phone removed]: hello"}
    assert target.decode(_created(frame)) is None
    assert target.phase_end()["undecodable"] == 1


def _report(**overrides) -> dict:
    report = {
        "requests": [
            {"id": 1, "seeker": 10, "conversation": 100, "topic": "sleep", "queued_at": 1.0, "matched_at": 2.0},
            {"id": 2, "seeker": 11, "conversation": 101, "topic": "sleep", "queued_at": 1.5, "matched_at": 2.5},
        ],
        "conversations": {"100": {"listener": 5, "status": "active"}, "101": {"listener": 6, "status": "active"}},
        "accepted_per_request": {"1": 1, "2": 1},
        "active_per_listener": {"5": 1, "6": 1},
        "capacity": {"5": 1, "6": 1},
        "first_offer": {"1": 50, "2": 51},
    }
    report.update(overrides)
    return report


def test_matching_checks_pass_a_clean_run():
    checks = check_matching(_report(), seekers=2)
    assert checks["ok"] and checks["matched"] == 2


def test_matching_checks_catch_double_assignment_overload_and_queue_jumping():
    assert check_matching(_report(accepted_per_request={"1": 2, "2": 1}), 2)["double_assignments"] == 1
    assert check_matching(_report(active_per_listener={"5": 2, "6": 0}), 2)["listeners_over_capacity"] == 1
    assert check_matching(_report(first_offer={"1": 52, "2": 51}), 2)["order_inversions"] == 1
    unmatched = _report()
    unmatched["requests"][1] = {**unmatched["requests"][1], "matched_at": None}
    assert not check_matching(unmatched, 2)["ok"]


def test_hearth_rows_are_compared_with_bare_channels_on_the_same_layer_only():
    rows = [
        {
            "scenario": "relay",
            "phase": "base-50",
            "layer": "memory",
            "procs": 1,
            "family": "channels",
            "target": "channels-memory",
            "latency_p99_ms": 2.0,
        },
        {
            "scenario": "relay",
            "phase": "base-50",
            "layer": "redis-pubsub",
            "procs": 2,
            "family": "channels",
            "target": "channels-redis-pubsub",
            "latency_p99_ms": 4.0,
        },
        {
            "scenario": "relay",
            "phase": "base-50",
            "layer": "memory",
            "procs": 1,
            "family": "hearth",
            "target": "hearth-memory",
            "latency_p99_ms": 10.0,
        },
    ]
    p99 = [r for r in ratio_table(rows) if r["metric"] == "latency_p99_ms"]
    assert [(r["baseline"], r["ratio"]) for r in p99] == [("channels-memory", 5.0)]


def _room_target() -> Hearth:
    target = Hearth("memory")
    target.current = RunState(
        "r2", {}, room_id=5, room_name="fan", room_pool=[{"id": 100 + m, "session": f"s{m}"} for m in range(1000)]
    )
    return target


def test_room_members_open_the_room_socket_with_their_own_session():
    target = _room_target()
    assert target.socket_url(8001, "fan", 3) == "ws://127.0.0.1:8001/ws/v1/rooms/5/"
    assert target.connect_options(3)["additional_headers"] == {"Cookie": "sessionid=s3"}


def test_room_message_frames_carry_sender_seq_and_time_and_are_never_held_for_review():
    """A room message rated elevated or carrying personal information is held
    (never delivered to the room): the bench text must pass screening as a
    member's message, with the sender's previous messages as context."""
    import random

    from rooms.services import CONTEXT_MESSAGES

    target = _room_target()
    rng = random.Random(9)
    recent: dict[int, list[str]] = {}
    for _ in range(2000):
        msg = ChatMessage(rng.randrange(1000), rng.randrange(100000), rng.randrange(10**9, 10**14))
        frame = json.loads(target.encode(msg, 200))
        assert frame["type"] == "room.message.send" and "conversation" not in frame
        text = frame["text"]
        context = tuple(recent.get(msg.sender, [])[-CONTEXT_MESSAGES:])
        screened = screen_message(text=text, sender_role="member", recent_texts=context)
        assert not screened.needs_flag and not screened.has_personal_info, text
        recent.setdefault(msg.sender, []).append(text)
        created = json.dumps(
            {
                "type": "room.message.created",
                "room": 5,
                "message": {"room": 5, "seq": 9, "kind": "text", "text": screened.text},
            }
        )
        assert target.decode(created) == msg


def test_room_acks_give_ack_latency_and_held_messages_are_reported():
    target = _room_target()
    target.phase_begin()
    client_id = json.loads(target.encode(ChatMessage(4, 0, 1), 200))["client_id"]
    assert target.decode(json.dumps({"type": "room.message.ack", "room": 5, "client_id": client_id})) is None
    figures = target.phase_end()
    assert figures["ack"]["n"] == 1 and figures["held_for_review"] == 0


def test_plan_sizes_the_seeded_template_for_the_largest_scenario():
    from bench.harness.profiles import QUICK
    from bench.targets import hearth

    saved = dict(hearth._pool_size)
    try:
        hearth._pool_size.update(pairs=0, room=0)
        Hearth("memory").plan(QUICK, ["relay", "fanout"])
        assert hearth._pool_size == {
            "pairs": max(QUICK.relay_pairs),
            "room": max(QUICK.fanout_room, *QUICK.fanout_grow_sizes),
        }
        Hearth("memory").plan(QUICK, ["idle"])  # never shrinks
        assert hearth._pool_size["pairs"] == max(max(QUICK.relay_pairs), QUICK.idle_max // 2)
    finally:
        hearth._pool_size.update(saved)


def test_the_stage_breakdown_splits_each_seekers_wait_at_the_database_times():
    report = _report(offer_times={"1": [1.02, 1.05], "2": [1.56, 1.60]})
    client = {
        1: {"sent": 0.99, "acked": 1.03, "started": 1.10},
        2: {"sent": 1.49, "acked": 1.52, "started": 1.70},
        3: {"sent": 2.0, "acked": 2.1},  # never matched: in no stage
    }
    stages = stage_breakdown(report, client)
    assert stages["request_in_line"] == {"p50_ms": 10.0, "p90_ms": 10.0, "n": 2}
    assert stages["offer_made"]["p50_ms"] == 60.0 and stages["offer_made"]["p90_ms"] == 60.0  # the larger of 20 and 60
    assert stages["offer_answered"]["p50_ms"] == 40.0
    assert stages["seeker_told"]["p90_ms"] == 100.0
    assert stages["request_acked"]["p50_ms"] == 30.0
