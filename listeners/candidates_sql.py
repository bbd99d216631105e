"""The dispatch round's read of who can take a chat, written out by hand.

Every dispatch round reads every open shift with its listener's profile,
presence, load and chats taken today. Built by the ORM this was six queries
and ~17 ms of Python per round for 40 listeners (``select_related`` model
instances, four aggregations), most of a round and a large share of S3's
database-thread time (docs/performance.md). Here it is two statements
returning plain tuples; ``listeners.selectors.listener_candidates`` turns them
into ``Candidate`` values with the same rules as before.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connection

from support.rawsql import aware, column, db_datetime, table


@dataclass(frozen=True)
class ShiftRow:
    shift_id: int
    listener_id: int
    capacity: int
    started_at: dt.datetime
    idle_since: dt.datetime
    has_profile: bool
    profile_status: str | None
    trained_at: dt.datetime | None
    paused_until: dt.datetime | None
    approved_for_teens: bool
    approved_for_adults: bool
    accepts_direct_requests: bool
    held_for_review: bool
    present: bool
    active_chats: int
    pending_offers: int
    accepted_today: int


@functools.cache
def _open_shifts_sql(vendor: str) -> str:
    from chat.models import Conversation, Offer
    from listeners.models import ListenerProfile, Shift
    from support.models import Connection, User

    s = functools.partial(column, Shift)
    p = functools.partial(column, ListenerProfile)
    u = functools.partial(column, User)
    k = functools.partial(column, Connection)
    c = functools.partial(column, Conversation)
    o = functools.partial(column, Offer)
    return (
        f"SELECT s.{s('id')}, s.{s('listener_id')}, s.{s('capacity')}, s.{s('started_at')}, s.{s('idle_since')}, "
        f"p.{p('id')}, p.{p('status')}, p.{p('trained_at')}, p.{p('paused_until')}, p.{p('approved_for_teens')}, "
        f"p.{p('approved_for_adults')}, p.{p('accepts_direct_requests')}, p.{p('held_for_review')}, "
        f"EXISTS (SELECT 1 FROM {table(Connection)} k WHERE k.{k('user_id')} = s.{s('listener_id')} "
        f"AND k.{k('last_seen_at')} >= %s), "
        f"(SELECT COUNT(*) FROM {table(Conversation)} c WHERE c.{c('listener_id')} = s.{s('listener_id')} "
        f"AND c.{c('status')} = %s), "
        f"(SELECT COUNT(*) FROM {table(Offer)} o WHERE o.{o('listener_id')} = s.{s('listener_id')} "
        f"AND o.{o('status')} = %s), "
        f"(SELECT COUNT(*) FROM {table(Offer)} o WHERE o.{o('listener_id')} = s.{s('listener_id')} "
        f"AND o.{o('status')} = %s AND o.{o('answered_at')} >= %s) "
        f"FROM {table(Shift)} s JOIN {table(User)} u ON u.{u('id')} = s.{s('listener_id')} "
        f"LEFT JOIN {table(ListenerProfile)} p ON p.{p('user_id')} = s.{s('listener_id')} "
        f"WHERE s.{s('ended_at')} IS NULL AND u.{u('is_active')} = %s "
        f"ORDER BY s.{s('id')}"
    )


@functools.cache
def _open_shift_topics_sql(vendor: str) -> str:
    from listeners.models import Shift

    through = Shift.topics.through
    t = functools.partial(column, through)
    s = functools.partial(column, Shift)
    return (
        f"SELECT t.{t('shift_id')}, t.{t('topic_id')} FROM {table(through)} t "
        f"JOIN {table(Shift)} s ON s.{s('id')} = t.{t('shift_id')} WHERE s.{s('ended_at')} IS NULL"
    )


def open_shifts(*, present_since: dt.datetime, day_start: dt.datetime) -> tuple[list[ShiftRow], dict[int, set[int]]]:
    """Every open shift of an active user, with presence and load; and each open shift's topic ids."""
    from chat.models import ConversationStatus, OfferStatus

    params = [
        db_datetime(present_since),
        ConversationStatus.ACTIVE.value,
        OfferStatus.PENDING.value,
        OfferStatus.ACCEPTED.value,
        db_datetime(day_start),
        True,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_open_shifts_sql(connection.vendor), params)
        rows = cursor.fetchall()
        if not rows:
            return [], {}
        cursor.execute(_open_shift_topics_sql(connection.vendor))
        pairs = cursor.fetchall()
    shifts = [
        ShiftRow(
            shift_id=r[0],
            listener_id=r[1],
            capacity=r[2],
            started_at=aware(r[3]),
            idle_since=aware(r[4]),
            has_profile=r[5] is not None,
            profile_status=r[6],
            trained_at=aware(r[7]),
            paused_until=aware(r[8]),
            approved_for_teens=bool(r[9]),
            approved_for_adults=bool(r[10]),
            accepts_direct_requests=bool(r[11]),
            held_for_review=bool(r[12]),
            present=bool(r[13]),
            active_chats=r[14],
            pending_offers=r[15],
            accepted_today=r[16],
        )
        for r in rows
    ]
    topics: dict[int, set[int]] = {row.shift_id: set() for row in shifts}
    for shift_id, topic_id in pairs:
        if shift_id in topics:
            topics[shift_id].add(topic_id)
    return shifts, topics
