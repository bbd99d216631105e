"""Reads for the staffing and safety dashboard: aggregates only, never text, aliases or people's ids.

Every figure is a ``Figure``: labelled columns and rows of cells, already
suppressed, so the page, the CSV and the JSON API show exactly the same
numbers. Counting, grouping by hour of the week, day or week, and the
durations (``matched_at - created_at`` …) are done in SQL; percentiles are
taken in Python over the durations the database already filtered and grouped,
because the ORM has no portable percentile aggregate (SQLite has none at all).
Listener hours are split into clock hours in Python for the same reason: a
shift spans many hours of the week and SQL without ``generate_series`` (SQLite)
cannot spread it.

**Small numbers are hidden.** A count from 1 to ``METRICS_MIN_COUNT - 1``, and
any figure computed from so few rows (a median of three waits), becomes
``HIDDEN`` ("fewer than N"): a manager must not be able to pick one person's
evening out of the figures. Zero is shown: it describes nobody.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, Count, DurationField, ExpressionWrapper, F, Min, Q
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from chat.models import ChatRequest, Conversation, RequestStatus
from listeners.models import Shift
from metrics.filters import MetricsFilter
from safety.classifier import Level
from safety.models import Report, SafetyFlag, Sanction
from support.models import AgeGroup

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_OF_WEEK = 7 * 24
ALERT_MIN_LEVEL = Level.ELEVATED


class _Hidden:
    """A cell withheld because it rests on fewer than ``METRICS_MIN_COUNT`` rows."""

    def __repr__(self) -> str:
        return "HIDDEN"

    def __bool__(self) -> bool:
        return False


HIDDEN = _Hidden()


def min_count() -> int:
    return settings.METRICS_MIN_COUNT


def hidden_label() -> str:
    return f"fewer than {min_count()}"


def guard_count(n: int):
    """The one rule for small numbers: 1 … min−1 is hidden, 0 and min or more are shown."""
    return HIDDEN if 0 < n < min_count() else n


def guard_value(value, *, basis: int):
    """A figure computed from ``basis`` rows: nothing to show from none, hidden from too few."""
    if basis == 0:
        return None
    if basis < min_count():
        return HIDDEN
    return value


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list: the smallest value with at least p % at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | count | seconds | hours | percent | ratio: how the page formats the cell.
    kind: str = "count"


@dataclass
class Chart:
    """What the page draws: ``series`` columns against the ``x`` column, as bars or lines."""

    x: tuple[str, ...]  # the column(s) whose text labels a bar or point
    series: tuple[str, ...]
    kind: str = "bar"  # bar | line
    unit: str = ""


@dataclass
class Figure:
    key: str
    title: str
    caption: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: Chart | None = None

    def column(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)


def hour_of_week_label(index: int) -> str:
    return f"{WEEKDAYS[index // 24]} {index % 24:02d}:00"


def _hour_of_week(local: dt.datetime) -> int:
    return local.weekday() * 24 + local.hour


def _local_hour_of_week(when: dt.datetime, tz) -> int:
    return _hour_of_week(when.astimezone(tz))


def _clock_hour(field_name: str):
    """The UTC clock hour of a timestamp as text ("2026-11-02 10"), cut by the database itself.

    Grouping by it lets SQL count per hour without a per-row time-zone
    conversion (SQLite does those in Python, one call per row); each group is
    then placed in the local hour, day or week once. Connections run in UTC
    (``USE_TZ``), which both SQLite's stored text and PostgreSQL's text cast
    follow. In a zone whose offset is not whole hours, a clock hour is counted
    in the local hour it starts in.
    """
    return Substr(Cast(field_name, output_field=CharField()), 1, 13)


def _local(clock_hour: str, tz) -> dt.datetime:
    return dt.datetime.strptime(clock_hour, "%Y-%m-%d %H").replace(tzinfo=dt.UTC).astimezone(tz)


def _counts_by_clock_hour(queryset, field_name: str, **aggregates) -> list[dict]:
    return list(
        queryset.annotate(clock_hour=_clock_hour(field_name)).values("clock_hour").annotate(**aggregates).order_by()
    )


def _seeker_requests(flt: MetricsFilter):
    """Requests seekers made in the range (a listener's hand-over is not demand)."""
    requests = ChatRequest.objects.filter(created_at__gte=flt.start, created_at__lt=flt.end, transfer_from__isnull=True)
    if flt.topic is not None:
        requests = requests.filter(topic=flt.topic)
    return requests


# --- the live line -----------------------------------------------------------------
def line_now(*, topic=None, now: dt.datetime | None = None) -> Figure:
    """Seekers in line now (waiting or offered, not away) by topic and age group, with the longest wait."""
    now = now or timezone.now()
    waiting = ChatRequest.objects.filter(
        status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], away_since__isnull=True, transfer_from__isnull=True
    )
    if topic is not None:
        waiting = waiting.filter(topic=topic)
    groups = (
        waiting.values("topic__name", "age_group")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("topic__name", "age_group")
    )
    ages = dict(AgeGroup.choices)
    figure = Figure(
        key="line",
        title="Waiting now",
        caption="Seekers in line now, by topic and age group, with how long the longest has waited.",
        columns=[
            Column("topic", "Topic", "text"),
            Column("age_group", "Age group", "text"),
            Column("waiting", "Waiting"),
            Column("longest_wait_s", "Longest wait", "seconds"),
        ],
        chart=Chart(x=("topic", "age_group"), series=("waiting",)),
    )
    total, oldest = 0, None
    for group in groups:
        n = group["n"]
        total += n
        oldest = group["oldest"] if oldest is None else min(oldest, group["oldest"])
        wait = (now - group["oldest"]).total_seconds()
        figure.rows.append(
            [
                group["topic__name"] or "Any topic",
                ages.get(group["age_group"], group["age_group"]),
                guard_count(n),
                guard_value(round(wait), basis=n),
            ]
        )
    figure.rows.append(
        [
            "All topics",
            "All ages",
            guard_count(total),
            guard_value(round((now - oldest).total_seconds()) if oldest else None, basis=total),
        ]
    )
    return figure


# --- waits and abandonment -----------------------------------------------------------
def waits_by_hour(flt: MetricsFilter) -> Figure:
    """Per hour of the week (when asked): requests, matches, median and p90 wait, abandonment.

    Wait = ``matched_at - created_at`` of matched requests. Abandoned = closed
    without a match (the seeker cancelled, left, or the chat ended before a
    listener joined). Requests still open are neither.
    """
    tz = timezone.get_current_timezone()
    requests = _seeker_requests(flt)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"total": 0, "matched": 0, "abandoned": 0})
    for row in _counts_by_clock_hour(
        requests,
        "created_at",
        total=Count("id"),
        matched=Count("id", filter=Q(matched_at__isnull=False)),
        abandoned=Count("id", filter=Q(status=RequestStatus.CANCELLED, matched_at__isnull=True)),
    ):
        bucket = counts[_hour_of_week(_local(row["clock_hour"], tz))]
        for key in ("total", "matched", "abandoned"):
            bucket[key] += row[key]
    waits: dict[int, list[float]] = defaultdict(list)
    places: dict[str, int] = {}
    durations = (
        requests.filter(matched_at__isnull=False)
        .annotate(
            clock_hour=_clock_hour("created_at"),
            wait=ExpressionWrapper(F("matched_at") - F("created_at"), output_field=DurationField()),
        )
        .values_list("clock_hour", "wait")
    )
    for clock_hour, wait in durations:
        if clock_hour not in places:
            places[clock_hour] = _hour_of_week(_local(clock_hour, tz))
        waits[places[clock_hour]].append(wait.total_seconds())

    figure = Figure(
        key="waits",
        title="Waits and people who gave up, by hour of the week",
        caption=(
            "Requests by the hour of the week they were made: how many, how many were matched, the median "
            "and 90th-percentile wait for a listener, and how many ended without a match."
        ),
        columns=[
            Column("hour", "Hour of the week", "text"),
            Column("requests", "Requests"),
            Column("matched", "Matched"),
            Column("median_wait_s", "Median wait", "seconds"),
            Column("p90_wait_s", "90th percentile wait", "seconds"),
            Column("abandoned", "Ended without a match"),
            Column("abandoned_pct", "Share ended without a match", "percent"),
        ],
        chart=Chart(x=("hour",), series=("median_wait_s", "p90_wait_s"), kind="line", unit="s"),
    )
    for index in range(HOURS_OF_WEEK):
        row = counts.get(index, {"total": 0, "matched": 0, "abandoned": 0})
        values = waits.get(index, [])
        total, matched, abandoned = row["total"], row["matched"], row["abandoned"]
        figure.rows.append(
            [
                hour_of_week_label(index),
                guard_count(total),
                guard_count(matched),
                guard_value(round(percentile(values, 50)) if values else None, basis=len(values)),
                guard_value(round(percentile(values, 90)) if values else None, basis=len(values)),
                guard_count(abandoned),
                guard_value(round(100 * abandoned / total, 1) if total else None, basis=total),
            ]
        )
    return figure


# --- chats per day -------------------------------------------------------------------
def chats_by_day(flt: MetricsFilter) -> Figure:
    """Chats (a listener joined) started and ended on each day of the range."""
    tz = timezone.get_current_timezone()
    chats = Conversation.objects.filter(started_at__isnull=False)
    if flt.topic is not None:
        chats = chats.filter(topic=flt.topic)

    def per_day(field_name: str) -> dict[dt.date, int]:
        days: dict[dt.date, int] = defaultdict(int)
        in_range = chats.filter(**{f"{field_name}__gte": flt.start, f"{field_name}__lt": flt.end})
        for row in _counts_by_clock_hour(in_range, field_name, n=Count("id")):
            days[_local(row["clock_hour"], tz).date()] += row["n"]
        return days

    started, ended = per_day("started_at"), per_day("ended_at")
    figure = Figure(
        key="chats",
        title="Chats started and ended, per day",
        caption="One-to-one chats a listener joined, by the day they started and the day they ended.",
        columns=[Column("day", "Day", "text"), Column("started", "Started"), Column("ended", "Ended")],
        chart=Chart(x=("day",), series=("started", "ended"), kind="line"),
    )
    for offset in range(flt.days):
        day = flt.date_from + dt.timedelta(days=offset)
        figure.rows.append([day.isoformat(), guard_count(started.get(day, 0)), guard_count(ended.get(day, 0))])
    return figure


# --- listener hours against demand --------------------------------------------------------
def staffing_by_hour(flt: MetricsFilter, *, now: dt.datetime | None = None) -> Figure:
    """Listener hours on shift and requests made, per hour of the week, over the whole range.

    A shift counts for the part of it inside the range (an open shift up to
    now); with a topic, only shifts that offered that topic. The basis of an
    hour's listener-hours is the number of shifts that touched it.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    shifts = Shift.objects.filter(started_at__lt=flt.end).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=flt.start))
    if flt.topic is not None:
        shifts = shifts.filter(topics=flt.topic)
    seconds = [0.0] * HOURS_OF_WEEK
    touched = [0] * HOURS_OF_WEEK
    places: dict[int, int] = {}  # UTC clock hour (hours since the epoch) → local hour of the week
    range_start, range_end, until = flt.start.timestamp(), flt.end.timestamp(), now.timestamp()
    # The id only keeps two shifts with the same times apart (and a shift with two topics once).
    for _pk, started_at, ended_at in shifts.values_list("id", "started_at", "ended_at").distinct():
        cursor = max(started_at.timestamp(), range_start)
        finish = min(ended_at.timestamp() if ended_at else until, range_end, until)
        seen: set[int] = set()
        # Walk the shift in UTC clock hours, each placed in the local hour it starts in (as _clock_hour).
        hour = math.floor(cursor / 3600)
        while cursor < finish:
            piece_end = min((hour + 1) * 3600, finish)
            index = places.get(hour)
            if index is None:
                index = places[hour] = _local_hour_of_week(dt.datetime.fromtimestamp(hour * 3600, dt.UTC), tz)
            seconds[index] += piece_end - cursor
            seen.add(index)
            cursor = piece_end
            hour += 1
        for index in seen:
            touched[index] += 1

    requests: dict[int, int] = defaultdict(int)
    for row in _counts_by_clock_hour(_seeker_requests(flt), "created_at", n=Count("id")):
        requests[_hour_of_week(_local(row["clock_hour"], tz))] += row["n"]
    figure = Figure(
        key="staffing",
        title="Listener hours on shift against requests, by hour of the week",
        caption=(
            "For each hour of the week, the listener hours on shift and the requests made in that hour over "
            "the whole range, and the requests per listener hour."
        ),
        columns=[
            Column("hour", "Hour of the week", "text"),
            Column("listener_hours", "Listener hours", "hours"),
            Column("requests", "Requests"),
            Column("requests_per_listener_hour", "Requests per listener hour", "ratio"),
        ],
        chart=Chart(x=("hour",), series=("listener_hours", "requests"), kind="line"),
    )
    for index in range(HOURS_OF_WEEK):
        hours = round(seconds[index] / 3600, 1)
        n = requests.get(index, 0)
        ratio = round(n / hours, 2) if hours else None
        figure.rows.append(
            [
                hour_of_week_label(index),
                guard_value(hours, basis=touched[index]) if touched[index] else 0,
                guard_count(n),
                guard_value(ratio, basis=min(n, touched[index]) if n else touched[index])
                if ratio is not None
                else None,
            ]
        )
    return figure


# --- alerts ----------------------------------------------------------------------------
def alerts_by_level(flt: MetricsFilter) -> Figure:
    """Alerts (flags at level 2 or more) raised in the range, by level, with time to acknowledge and resolve."""
    flags = SafetyFlag.objects.filter(created_at__gte=flt.start, created_at__lt=flt.end, level__gte=ALERT_MIN_LEVEL)
    if flt.topic is not None:
        flags = flags.filter(conversation__topic=flt.topic)
    counts = {
        row["level"]: row
        for row in flags.values("level")
        .annotate(
            n=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        )
        .order_by()
    }
    to_ack: dict[int, list[float]] = defaultdict(list)
    to_resolve: dict[int, list[float]] = defaultdict(list)
    durations = flags.annotate(
        ack=ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField()),
        res=ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
    ).values_list("level", "ack", "res")
    for level, ack, res in durations:
        if ack is not None:
            to_ack[level].append(ack.total_seconds())
        if res is not None:
            to_resolve[level].append(res.total_seconds())

    figure = Figure(
        key="alerts",
        title="Safety alerts by level",
        caption=(
            "Alerts (risk level elevated or imminent) raised in the range: how many, and the median and "
            "90th-percentile time until a reviewer acknowledged and resolved them."
        ),
        columns=[
            Column("level", "Level", "text"),
            Column("alerts", "Alerts"),
            Column("acknowledged", "Acknowledged"),
            Column("median_ack_s", "Median time to acknowledge", "seconds"),
            Column("p90_ack_s", "90th percentile time to acknowledge", "seconds"),
            Column("resolved", "Resolved"),
            Column("median_resolve_s", "Median time to resolve", "seconds"),
            Column("p90_resolve_s", "90th percentile time to resolve", "seconds"),
        ],
        chart=Chart(x=("level",), series=("median_ack_s", "p90_ack_s", "median_resolve_s", "p90_resolve_s"), unit="s"),
    )
    for level in (Level.ELEVATED, Level.IMMINENT):
        row = counts.get(int(level), {"n": 0, "acknowledged": 0, "resolved": 0})
        acks, resolves = to_ack.get(int(level), []), to_resolve.get(int(level), [])
        figure.rows.append(
            [
                f"{int(level)} ({level.label})",
                guard_count(row["n"]),
                guard_count(row["acknowledged"]),
                guard_value(round(percentile(acks, 50)) if acks else None, basis=len(acks)),
                guard_value(round(percentile(acks, 90)) if acks else None, basis=len(acks)),
                guard_count(row["resolved"]),
                guard_value(round(percentile(resolves, 50)) if resolves else None, basis=len(resolves)),
                guard_value(round(percentile(resolves, 90)) if resolves else None, basis=len(resolves)),
            ]
        )
    return figure


# --- reports and sanctions ------------------------------------------------------------------
def reports_by_week(flt: MetricsFilter) -> Figure:
    """Reports made and sanctions imposed, per week (weeks start on Monday)."""
    tz = timezone.get_current_timezone()
    reports = Report.objects.filter(created_at__gte=flt.start, created_at__lt=flt.end)
    sanctions = Sanction.objects.filter(created_at__gte=flt.start, created_at__lt=flt.end)
    if flt.topic is not None:
        reports = reports.filter(conversation__topic=flt.topic)
        sanctions = sanctions.filter(flag__conversation__topic=flt.topic)

    def by_week(queryset) -> dict[dt.date, int]:
        weeks: dict[dt.date, int] = defaultdict(int)
        for row in _counts_by_clock_hour(queryset, "created_at", n=Count("id")):
            day = _local(row["clock_hour"], tz).date()
            weeks[day - dt.timedelta(days=day.weekday())] += row["n"]
        return weeks

    made, imposed = by_week(reports), by_week(sanctions)
    figure = Figure(
        key="reports",
        title="Reports and sanctions, per week",
        caption="Reports people made and sanctions staff imposed, by the week (from Monday) they were made.",
        columns=[Column("week", "Week of", "text"), Column("reports", "Reports"), Column("sanctions", "Sanctions")],
        chart=Chart(x=("week",), series=("reports", "sanctions")),
    )
    week = flt.date_from - dt.timedelta(days=flt.date_from.weekday())
    while week <= flt.date_to:
        figure.rows.append([week.isoformat(), guard_count(made.get(week, 0)), guard_count(imposed.get(week, 0))])
        week += dt.timedelta(days=7)
    return figure


FIGURES = ("line", "waits", "chats", "staffing", "alerts", "reports")


def dashboard_get(*, flt: MetricsFilter, now: dt.datetime | None = None) -> list[Figure]:
    """Every figure of the dashboard for ``flt``, in page order."""
    now = now or timezone.now()
    return [
        line_now(topic=flt.topic, now=now),
        waits_by_hour(flt),
        chats_by_day(flt),
        staffing_by_hour(flt, now=now),
        alerts_by_level(flt),
        reports_by_week(flt),
    ]


def figure_get(*, key: str, flt: MetricsFilter, now: dt.datetime | None = None) -> Figure:
    """One figure by key (for its CSV); ``KeyError`` for an unknown key."""
    now = now or timezone.now()
    readers = {
        "line": lambda: line_now(topic=flt.topic, now=now),
        "waits": lambda: waits_by_hour(flt),
        "chats": lambda: chats_by_day(flt),
        "staffing": lambda: staffing_by_hour(flt, now=now),
        "alerts": lambda: alerts_by_level(flt),
        "reports": lambda: reports_by_week(flt),
    }
    return readers[key]()


def retention_horizon(*, now: dt.datetime | None = None) -> dt.date:
    """The first day whose closed requests retention still keeps (waits before it are incomplete)."""
    now = now or timezone.now()
    return timezone.localdate(now) - dt.timedelta(days=settings.SAFETY_RETENTION_QUEUE_DAYS - 1)
