"""Every dashboard figure, checked number by number on a week whose history is known."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.filters import metrics_filter_parse
from metrics.selectors import (
    HIDDEN,
    alerts_by_level,
    chats_by_day,
    line_now,
    percentile,
    reports_by_week,
    staffing_by_hour,
    waits_by_hour,
)
from support.models import Topic
from tests.metrics.history import WEEK, build_line, build_week

pytestmark = pytest.mark.django_db


def week(topic: str = ""):
    return metrics_filter_parse(params={**WEEK, "topic": topic})


def row(figure, label):
    found = [r for r in figure.rows if r[0] == label]
    assert len(found) == 1, label
    return dict(zip([c.key for c in figure.columns], found[0], strict=True))


def test_percentiles_are_nearest_rank():
    assert percentile([10, 20, 30, 40, 50, 600], 50) == 30
    assert percentile([10, 20, 30, 40, 50, 600], 90) == 600
    assert percentile([7], 90) == 7


def test_waits_and_abandonment_by_hour_of_the_week():
    build_week()
    figure = waits_by_hour(week())
    assert len(figure.rows) == 168
    # Twelve seeker requests at Mon 10 (the hand-over is not one): seven matched, five gave up.
    assert row(figure, "Mon 10:00") == {
        "hour": "Mon 10:00",
        "requests": 12,
        "matched": 7,
        "median_wait_s": 30,
        "p90_wait_s": 600,
        "abandoned": 5,
        "abandoned_pct": 41.7,
    }
    assert row(figure, "Mon 11:00") == {
        "hour": "Mon 11:00",
        "requests": 0,
        "matched": 0,
        "median_wait_s": None,
        "p90_wait_s": None,
        "abandoned": 0,
        "abandoned_pct": None,
    }


def test_a_topic_filter_keeps_only_that_topics_requests():
    build_week()
    assert row(waits_by_hour(week("anxiety")), "Mon 10:00") == {
        "hour": "Mon 10:00",
        "requests": 11,
        "matched": 6,
        "median_wait_s": 30,
        "p90_wait_s": 600,
        "abandoned": 5,
        "abandoned_pct": 45.5,
    }
    assert row(waits_by_hour(week("sleep")), "Mon 10:00")["requests"] is HIDDEN


def test_an_hour_with_fewer_than_the_minimum_hides_its_counts_and_waits():
    build_week()
    tuesday = row(waits_by_hour(week()), "Tue 09:00")
    assert tuesday["requests"] is HIDDEN
    assert tuesday["matched"] is HIDDEN
    assert tuesday["median_wait_s"] is HIDDEN
    assert tuesday["p90_wait_s"] is HIDDEN
    assert tuesday["abandoned"] == 0


def test_the_minimum_comes_from_the_setting(settings):
    build_week()
    settings.METRICS_MIN_COUNT = 3
    tuesday = row(waits_by_hour(week()), "Tue 09:00")
    assert (tuesday["requests"], tuesday["median_wait_s"], tuesday["p90_wait_s"]) == (3, 101, 102)


def test_chats_started_and_ended_per_day():
    build_week()
    figure = chats_by_day(week())
    assert [r[0] for r in figure.rows] == [f"2026-11-0{d}" for d in range(2, 9)]
    # Monday: seven seeker chats plus the hand-over's conversation; Tuesday's three are hidden.
    assert row(figure, "2026-11-02") == {"day": "2026-11-02", "started": 8, "ended": 8}
    assert row(figure, "2026-11-03") == {"day": "2026-11-03", "started": HIDDEN, "ended": HIDDEN}
    assert row(figure, "2026-11-04") == {"day": "2026-11-04", "started": 0, "ended": 0}


def test_listener_hours_against_demand():
    build_week()
    figure = staffing_by_hour(week())
    assert row(figure, "Mon 10:00") == {
        "hour": "Mon 10:00",
        "listener_hours": 6.0,
        "requests": 12,
        "requests_per_listener_hour": 2.0,
    }
    assert row(figure, "Mon 11:00") == {
        "hour": "Mon 11:00",
        "listener_hours": 2.5,
        "requests": 0,
        "requests_per_listener_hour": 0.0,
    }
    assert row(figure, "Mon 12:00")["listener_hours"] == 0
    anxiety = staffing_by_hour(week("anxiety"))
    assert row(anxiety, "Mon 10:00") == {
        "hour": "Mon 10:00",
        "listener_hours": 5.0,
        "requests": 11,
        "requests_per_listener_hour": 2.2,
    }
    # The one sleep shift is too few to show.
    assert row(staffing_by_hour(week("sleep")), "Mon 10:00")["listener_hours"] is HIDDEN


def test_a_shift_counts_only_inside_the_range():
    build_week()
    # From Monday 11:00 … the range starts on Tuesday: nothing of Monday's shifts.
    figure = staffing_by_hour(metrics_filter_parse(params={"from": "2026-11-03", "to": "2026-11-08"}))
    assert sum(r[1] for r in figure.rows if isinstance(r[1], float)) == 0


def test_alerts_by_level_with_time_to_acknowledge_and_resolve():
    build_week()
    figure = alerts_by_level(week())
    assert [r[0] for r in figure.rows] == ["2 (elevated)", "3 (imminent)"]
    assert row(figure, "2 (elevated)") == {
        "level": "2 (elevated)",
        "alerts": 6,
        "acknowledged": 6,
        "median_ack_s": 90,
        "p90_ack_s": 180,
        "resolved": 5,
        "median_resolve_s": 3 * 3600,
        "p90_resolve_s": 5 * 3600,
    }
    assert row(figure, "3 (imminent)") == {
        "level": "3 (imminent)",
        "alerts": HIDDEN,
        "acknowledged": HIDDEN,
        "median_ack_s": HIDDEN,
        "p90_ack_s": HIDDEN,
        "resolved": 0,
        "median_resolve_s": None,
        "p90_resolve_s": None,
    }
    assert row(alerts_by_level(week("sleep")), "2 (elevated)")["alerts"] == 0


def test_reports_and_sanctions_by_week():
    build_week()
    figure = reports_by_week(week())
    assert figure.rows == [["2026-11-02", 5, HIDDEN]]
    longer = reports_by_week(metrics_filter_parse(params={"from": "2026-10-28", "to": "2026-11-10"}))
    assert longer.rows == [["2026-10-26", 0, 0], ["2026-11-02", 5, HIDDEN], ["2026-11-09", 0, 0]]


def test_the_live_line_by_topic_and_age_group():
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    build_line(now=now)
    figure = line_now(now=now)
    assert figure.rows == [
        ["Anxiety", "Adult (18+)", 5, 600],
        ["Anxiety", "Teen (13–17)", HIDDEN, HIDDEN],
        ["All topics", "All ages", 6, 600],
    ]
    assert line_now(topic=Topic.objects.get(slug="sleep"), now=now).rows == [["All topics", "All ages", 0, None]]
