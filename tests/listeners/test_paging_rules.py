"""The pure rules of listener paging: quiet hours on the listener's clock, and which line is due."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from chat.matching import Candidate, Want
from listeners.paging_rules import Line, in_quiet_hours, line_to_page, lines_for, unserved

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def want(request_id, *, topic_id=1, age_group="adult", minutes_ago=1, barred=()):
    return Want(
        request_id=request_id,
        seeker_id=100 + request_id,
        topic_id=topic_id,
        age_group=age_group,
        priority=1,
        queued_at=NOW - timedelta(minutes=minutes_ago),
        barred_listener_ids=frozenset(barred),
    )


def candidate(listener_id=1, *, topics=(1,), teens=False, load=0, capacity=2, available=True):
    return Candidate(
        listener_id=listener_id,
        topic_ids=frozenset(topics),
        capacity=capacity,
        load=load,
        idle_since=NOW,
        approved_for_teens=teens,
        approved_for_adults=True,
        available=available,
    )


def at(hour, minute=0):
    return datetime(2026, 1, 10, hour, minute, tzinfo=UTC)


def test_quiet_hours_within_one_day():
    quiet = {"start": time(9, 0), "end": time(17, 0), "time_zone": "UTC"}
    assert in_quiet_hours(at(9), **quiet)
    assert in_quiet_hours(at(16, 59), **quiet)
    assert not in_quiet_hours(at(17), **quiet)
    assert not in_quiet_hours(at(8, 59), **quiet)


def test_quiet_hours_across_midnight():
    quiet = {"start": time(22, 0), "end": time(7, 0), "time_zone": "UTC"}
    assert in_quiet_hours(at(23, 30), **quiet)
    assert in_quiet_hours(at(0), **quiet)
    assert in_quiet_hours(at(6, 59), **quiet)
    assert not in_quiet_hours(at(7), **quiet)
    assert not in_quiet_hours(at(21, 59), **quiet)


def test_quiet_hours_are_read_on_the_listeners_own_clock():
    # 22:00–07:00 in Tokyo (UTC+9) is 13:00–22:00 UTC.
    tokyo = {"start": time(22, 0), "end": time(7, 0), "time_zone": "Asia/Tokyo"}
    assert in_quiet_hours(at(13), **tokyo)
    assert in_quiet_hours(at(21, 59), **tokyo)
    assert not in_quiet_hours(at(12, 59), **tokyo)
    assert not in_quiet_hours(at(22), **tokyo)
    # New York in summer is UTC-4: 22:00 local is 02:00 UTC the next day.
    new_york = {"start": time(22, 0), "end": time(7, 0), "time_zone": "America/New_York"}
    assert in_quiet_hours(datetime(2026, 7, 1, 2, 0, tzinfo=UTC), **new_york)
    assert not in_quiet_hours(datetime(2026, 7, 1, 1, 59, tzinfo=UTC), **new_york)
    assert not in_quiet_hours(datetime(2026, 7, 1, 11, 0, tzinfo=UTC), **new_york)


def test_no_quiet_hours_when_unset_or_empty_or_the_zone_is_unknown_falls_back_to_utc():
    assert not in_quiet_hours(at(3), start=None, end=None, time_zone="UTC")
    assert not in_quiet_hours(at(3), start=time(3), end=time(3), time_zone="UTC")
    assert in_quiet_hours(at(3), start=time(2), end=time(4), time_zone="Nowhere/Gone")


def test_unserved_leaves_out_requests_someone_on_shift_could_take_in_a_free_seat():
    wants = [want(1, topic_id=1), want(2, topic_id=2)]
    assert unserved(wants, [candidate(topics=(1,))]) == [wants[1]]
    # At capacity, or unavailable (paused, at the daily cap): they cannot take it now.
    assert unserved(wants, [candidate(topics=(1,), load=2)]) == wants
    assert unserved(wants, [candidate(topics=(1,), available=False)]) == wants
    # Teens need a listener approved for teens.
    teen = [want(3, age_group="teen")]
    assert unserved(teen, [candidate(topics=(1,))]) == teen
    assert unserved(teen, [candidate(topics=(1,), teens=True)]) == []


def test_lines_for_count_only_what_the_listener_could_take_by_topic():
    wants = [
        want(1, topic_id=1),
        want(2, topic_id=1, minutes_ago=9),
        want(3, topic_id=2),
        want(4, topic_id=1, age_group="teen"),
        want(5, topic_id=1, barred=(1,)),
        want(6, topic_id=None),
    ]
    lines = {line.topic_id: line for line in lines_for(candidate(topics=(1,)), wants)}
    assert set(lines) == {1, None}
    assert lines[1].count == 2 and lines[1].oldest_queued_at == NOW - timedelta(minutes=9)
    assert lines[None].count == 1


def test_a_line_is_due_at_the_threshold_or_after_the_longest_wait():
    short = Line(topic_id=1, count=2, oldest_queued_at=NOW - timedelta(minutes=3))
    long = Line(topic_id=2, count=4, oldest_queued_at=NOW - timedelta(minutes=1))
    assert line_to_page([short], now=NOW, threshold=3, wait_seconds=0) is None
    assert line_to_page([short, long], now=NOW, threshold=3, wait_seconds=0) == long
    assert line_to_page([short], now=NOW, threshold=3, wait_seconds=180) == short
    assert line_to_page([short], now=NOW, threshold=3, wait_seconds=181) is None
