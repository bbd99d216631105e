"""The dispatch round's read of who can take a chat: two ORM queries compiled once.

Every dispatch round reads every open shift with its listener's profile,
presence, load and chats taken today. Built as model instances with
``select_related`` and four aggregations this was six queries and most of a
round's Python; here it is two statements returning plain tuples, compiled
once (``support.compiled_query``), and ``listeners.selectors.listener_candidates``
turns them into ``Candidate`` values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Subquery

from chat.models import Conversation, ConversationStatus, Offer, OfferStatus
from listeners.models import Shift
from support.compiled_query import CompiledQuery
from support.models import Connection


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


def _open_shifts_query(p):
    def count(model, **conditions):
        # COUNT as a plain function, not an aggregate: one row per listener, with no GROUP BY.
        rows = model.objects.filter(listener_id=OuterRef("listener_id"), **conditions).order_by()
        return Subquery(rows.annotate(n=Func(F("pk"), function="COUNT")).values("n"))

    profile = "listener__listener_profile__"
    return (
        Shift.objects.filter(ended_at__isnull=True, listener__is_active=True)
        .annotate(
            present=Exists(
                Connection.objects.filter(user_id=OuterRef("listener_id"), last_seen_at__gte=p.present_since)
            ),
            active_chats=count(Conversation, status=ConversationStatus.ACTIVE),
            pending_offers=count(Offer, status=OfferStatus.PENDING),
            accepted_today=count(Offer, status=OfferStatus.ACCEPTED, answered_at__gte=p.day_start),
        )
        .order_by("id")
        .values_list(
            "id",
            "listener_id",
            "capacity",
            "started_at",
            "idle_since",
            *(profile + name for name in _PROFILE_FIELDS),
            "present",
            "active_chats",
            "pending_offers",
            "accepted_today",
        )
    )


_PROFILE_FIELDS = (
    "id",
    "status",
    "trained_at",
    "paused_until",
    "approved_for_teens",
    "approved_for_adults",
    "accepts_direct_requests",
    "held_for_review",
)


_SEEN = Connection._meta.get_field("last_seen_at")
_OPEN_SHIFTS = CompiledQuery(_open_shifts_query, present_since=_SEEN, day_start=_SEEN)
_OPEN_SHIFT_TOPICS = CompiledQuery(
    lambda p: (
        Shift.topics.through.objects.filter(shift__ended_at__isnull=True).order_by().values_list("shift_id", "topic_id")
    )
)


def open_shifts(*, present_since: dt.datetime, day_start: dt.datetime) -> tuple[list[ShiftRow], dict[int, set[int]]]:
    """Every open shift of an active user, with presence and load; and each open shift's topic ids."""
    with connection.cursor() as cursor:
        rows = _OPEN_SHIFTS.rows(cursor, present_since=present_since, day_start=day_start)
        if not rows:
            return [], {}
        pairs = _OPEN_SHIFT_TOPICS.rows(cursor)
    shifts = [
        ShiftRow(
            shift_id=r[0],
            listener_id=r[1],
            capacity=r[2],
            started_at=r[3],
            idle_since=r[4],
            has_profile=r[5] is not None,
            profile_status=r[6],
            trained_at=r[7],
            paused_until=r[8],
            approved_for_teens=bool(r[9]),
            approved_for_adults=bool(r[10]),
            accepts_direct_requests=bool(r[11]),
            held_for_review=bool(r[12]),
            present=r[13],
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
