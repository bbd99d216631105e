"""The dashboard's filters: a date range and a topic, validated once for the page, the CSV and the API.

Dates are ISO calendar days in ``TIME_ZONE``; ``to`` is included. Without them
the range is the last ``DEFAULT_DAYS`` days up to today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from support.errors import DomainError
from support.models import Topic

DEFAULT_DAYS = 28
MAX_DAYS = 366

INVALID_DATE = "Dates must be calendar days written as YYYY-MM-DD."
RANGE_REVERSED = "The start date must be on or before the end date."
RANGE_TOO_LONG = f"Choose a range of at most {MAX_DAYS} days."
UNKNOWN_TOPIC = "There is no topic with that name."
# Far enough either way for any real range, near enough that date arithmetic cannot overflow.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)
DATE_OUT_OF_RANGE = f"Dates must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."


@dataclass(frozen=True)
class MetricsFilter:
    date_from: dt.date
    date_to: dt.date  # included
    topic: Topic | None

    @property
    def start(self) -> dt.datetime:
        """The first instant of ``date_from`` in the current time zone."""
        return timezone.make_aware(dt.datetime.combine(self.date_from, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The first instant after ``date_to`` (exclusive bound)."""
        return timezone.make_aware(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def as_query(self) -> dict[str, str]:
        query = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.topic is not None:
            query["topic"] = self.topic.slug
        return query


def _date(raw: str | None, field: str) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        # fromisoformat also takes "20260101" and week dates; only the plain calendar form is documented.
        if len(raw) != 10:
            raise ValueError(raw)
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError("invalid_date", INVALID_DATE, field=field) from None
    if not EARLIEST <= day <= LATEST:
        raise DomainError("date_out_of_range", DATE_OUT_OF_RANGE, field=field)
    return day


def metrics_filter_parse(*, params, today: dt.date | None = None) -> MetricsFilter:
    """Validate ``from``, ``to`` and ``topic`` from a query string; raise ``DomainError`` (400) with a code."""
    today = today or timezone.localdate()
    date_from = _date(params.get("from"), "from")
    date_to = _date(params.get("to"), "to")
    if date_to is None:
        date_to = max(today, date_from) if date_from else today
    if date_from is None:
        date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise DomainError("range_reversed", RANGE_REVERSED)
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise DomainError("range_too_long", RANGE_TOO_LONG, max_days=MAX_DAYS)
    topic = None
    slug = params.get("topic") or ""
    if slug:
        topic = Topic.objects.filter(slug=slug).first()
        if topic is None:
            raise DomainError("unknown_topic", UNKNOWN_TOPIC, field="topic")
    return MetricsFilter(date_from=date_from, date_to=date_to, topic=topic)
