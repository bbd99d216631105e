"""The rules of listener paging, pure: quiet hours, and which lines call for a page.

No ORM and no I/O (like ``chat.matching``): ``listeners.paging`` reads the rows and
applies these, and the tests drive them with plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chat.matching import Candidate, Want, could_serve


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """IANA names this server can convert to (the API refuses any other)."""
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The zone named ``name``; UTC for a name the server no longer knows (a tzdata change)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_quiet_hours(now: datetime, *, start: time | None, end: time | None, time_zone: str) -> bool:
    """Whether the aware instant ``now`` falls in the quiet hours ``[start, end)``, read on the
    listener's own clock in ``time_zone``.

    ``end`` before ``start`` spans midnight (22:00–07:00 is quiet at 23:30 and at 06:59, not
    at 07:00). No quiet hours when either is unset or they are equal.
    """
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(zone(time_zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class Line:
    """The part of the line one listener could take: requests of one topic (``None``: any topic)."""

    topic_id: int | None
    count: int
    oldest_queued_at: datetime


def unserved(wants: Iterable[Want], on_shift: Iterable[Candidate]) -> list[Want]:
    """The waiting requests that no listener on shift could take in a free seat now."""
    free = [candidate for candidate in on_shift if candidate.available and candidate.has_free_seat]
    return [want for want in wants if not any(could_serve(want, candidate) for candidate in free)]


def lines_for(listener: Candidate, wants: Iterable[Want]) -> list[Line]:
    """The requests ``listener`` could take (``could_serve``: their topics, teen/adult approval,
    blocks, "not me"), grouped by topic."""
    counts: dict[int | None, int] = {}
    oldest: dict[int | None, datetime] = {}
    for want in wants:
        if not could_serve(want, listener):
            continue
        counts[want.topic_id] = counts.get(want.topic_id, 0) + 1
        if want.topic_id not in oldest or want.queued_at < oldest[want.topic_id]:
            oldest[want.topic_id] = want.queued_at
    return [Line(topic_id, count, oldest[topic_id]) for topic_id, count in counts.items()]


def line_to_page(lines: Iterable[Line], *, now: datetime, threshold: int, wait_seconds: int) -> Line | None:
    """The line that calls for a page: ``threshold`` or more requests, or (with ``wait_seconds``
    above 0) one waiting that long. The longest such line, then the longest wait; None if none."""
    due = [
        line
        for line in lines
        if line.count >= threshold
        or (wait_seconds > 0 and now - line.oldest_queued_at >= timedelta(seconds=wait_seconds))
    ]
    if not due:
        return None
    return min(due, key=lambda line: (-line.count, line.oldest_queued_at, line.topic_id or 0))
