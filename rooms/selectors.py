"""Reads for rooms, including the one access function for a room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from rooms.models import (
    ModerationAction,
    Room,
    RoomMembership,
    RoomMessage,
    RoomMessageKind,
    RoomMessageReport,
    RoomMessageStatus,
    RoomModerationAction,
    RoomModerator,
    RoomPresence,
    RoomPresenceFeed,
)
from rooms.payloads import room_context_payload
from safety.audit import audit_record
from safety.payloads import flag_room_message
from support.errors import DomainError, NotFoundOrForbidden
from support.models import AgeGroup, Role
from support.roles import is_safety_staff


def audiences_for(user) -> set[str]:
    """Which room audiences ``user`` may see and join.

    Seekers: their own age group only. Listeners: what they are approved for
    (an active, trained profile). Everyone else: none.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.role == Role.SEEKER:
        return {user.age_group} if user.age_group in AgeGroup.values else set()
    if user.role == Role.LISTENER:
        profile = getattr(user, "listener_profile", None)
        if profile is None or not profile.may_take_chats:
            return set()
        audiences = set()
        if profile.approved_for_adults:
            audiences.add(AgeGroup.ADULT.value)
        if profile.approved_for_teens:
            audiences.add(AgeGroup.TEEN.value)
        return audiences
    return set()


def room_get_for_user(*, user, room_id: int, for_update: bool = False) -> Room:
    """The room if it exists, is active and is for ``user``'s audience.

    Raises ``NotFoundOrForbidden`` otherwise, the same way whether or not the
    room exists, so a teen cannot even learn which adult rooms there are.
    """
    audiences = audiences_for(user)
    if not audiences:
        raise NotFoundOrForbidden()
    queryset = Room.objects.select_related("topic")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    room = queryset.filter(pk=room_id, is_active=True, audience__in=audiences).first()
    if room is None:
        raise NotFoundOrForbidden()
    return room


def room_get_for_member(*, user, room_id: int, now=None) -> tuple[Room, RoomMembership]:
    """The room and the caller's membership: they joined it once and are not removed today."""
    room = room_get_for_user(user=user, room_id=room_id)
    now = now or timezone.now()
    membership = RoomMembership.objects.filter(room=room, user=user).first()
    if membership is None:
        raise NotFoundOrForbidden()
    if membership.removed_until is not None and membership.removed_until > now:
        raise NotFoundOrForbidden()
    return room, membership


def is_room_moderator(*, user, room: Room) -> bool:
    return bool(user and user.role == Role.LISTENER and RoomModerator.objects.filter(room=room, listener=user).exists())


def rooms_for_user(*, user, topic: str | None = None) -> list[Room]:
    audiences = audiences_for(user)
    queryset = (
        Room.objects.select_related("topic").prefetch_related("hours").filter(is_active=True, audience__in=audiences)
    )
    if topic:
        queryset = queryset.filter(topic__slug=topic)
    return list(queryset)


#: How long a moderator's one-to-one invitation can be accepted.
ONE_TO_ONE_INVITATION_SECONDS = 30 * 60


def invitation_expires_at(offered: RoomModerationAction) -> datetime:
    return offered.created_at + timedelta(seconds=ONE_TO_ONE_INVITATION_SECONDS)


def invitation_used(offered: RoomModerationAction) -> bool:
    """Has the member already accepted this invitation (it is used once)?"""
    return RoomModerationAction.objects.filter(
        room_id=offered.room_id,
        action=ModerationAction.ONE_TO_ONE_ACCEPTED,
        target_user_id=offered.target_user_id,
        detail__invitation=offered.pk,
    ).exists()


def invitation_open(offered: RoomModerationAction, *, now) -> bool:
    """The one rule for whether an invitation can still be accepted: not used, not expired."""
    return invitation_expires_at(offered) > now and not invitation_used(offered)


def invitation_pending_for_member(*, room_id: int, user_id: int, now) -> RoomModerationAction | None:
    """The member's newest one-to-one invitation in this room that can still be accepted, or None
    (what ``room.hello`` shows again after a reload). At most two queries."""
    offered = (
        RoomModerationAction.objects.filter(
            room_id=room_id,
            action=ModerationAction.ONE_TO_ONE_OFFERED,
            target_user_id=user_id,
            created_at__gt=now - timedelta(seconds=ONE_TO_ONE_INVITATION_SECONDS),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return offered if offered is not None and invitation_open(offered, now=now) else None


def _fresh(now) -> datetime:
    return now - timedelta(seconds=settings.ROOMS_PRESENCE_STALE_SECONDS)


def fresh_presence(room_id: int, *, now):
    return RoomPresence.objects.filter(room_id=room_id, last_seen_at__gte=_fresh(now))


def _present_as(*, moderator: bool, now, via: str = "") -> Q:
    """Presence rows that count someone as here now, as a moderator or as a member: on
    ``RoomPresence``, or through ``via`` from a room (``"presence__"``). The per-room reads and
    the rooms list's batched read (``room_states``) both filter with it."""
    return Q(**{f"{via}last_seen_at__gte": _fresh(now), f"{via}is_moderator": moderator})


def member_count(room_id: int, *, now) -> int:
    """Distinct members present, moderators not counted (capacity is about members)."""
    return (
        RoomPresence.objects.filter(_present_as(moderator=False, now=now), room_id=room_id)
        .values("user_id")
        .distinct()
        .count()
    )


def moderator_present(room_id: int, *, now) -> bool:
    return RoomPresence.objects.filter(_present_as(moderator=True, now=now), room_id=room_id).exists()


@dataclass(frozen=True)
class PresenceSnapshot:
    """Who is in a room, exact for presence ``version`` (``rooms.models.RoomPresenceFeed``)."""

    version: int
    count: int  # people present who are not moderators
    members: list[dict]  # [{alias, moderator}], one entry per person however many sockets, by alias


def presence_people(room_id: int, *, user_ids=None) -> dict[int, dict]:
    """``{user_id: {alias, moderator}}`` for everyone with a presence row (optionally only ``user_ids``), by alias.

    Every row counts, including one whose heartbeat just went stale: the
    sweep removes those with a presence change, so the list and the
    presence version always move together. Runs on every join (the hello's
    list), so it reads plain tuples.
    """
    rows = RoomPresence.objects.filter(room_id=room_id)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    people: dict[int, dict] = {}
    for user_id, alias, moderator in rows.order_by("user__alias", "user_id").values_list(
        "user_id", "user__alias", "is_moderator"
    ):
        entry = people.get(user_id)
        if entry is None:
            people[user_id] = {"alias": alias, "moderator": moderator}
        elif moderator:
            entry["moderator"] = True
    return people


def presence_count(room_id: int) -> int:
    """People present who are not moderators (the ``count`` of presence frames)."""
    moderators = RoomPresence.objects.filter(room_id=room_id, is_moderator=True).values("user_id")
    return (
        RoomPresence.objects.filter(room_id=room_id)
        .exclude(user_id__in=moderators)
        .values("user_id")
        .distinct()
        .count()
    )


def presence_snapshot(room_id: int) -> PresenceSnapshot:
    """Everyone present and the presence version that list is exact for.

    The caller holds the room row lock: every presence change takes it, so
    the version and the rows read here belong together.
    """
    version = RoomPresenceFeed.objects.filter(room_id=room_id).values_list("version", flat=True).first() or 0
    members = list(presence_people(room_id).values())
    return PresenceSnapshot(
        version=version, count=sum(1 for member in members if not member["moderator"]), members=members
    )


def presence_get_for_member(*, user, room_id: int, now=None) -> PresenceSnapshot:
    """The full member list for a member of the room (``room.members``); locks the room row briefly."""
    with transaction.atomic():
        room = room_get_for_user(user=user, room_id=room_id, for_update=True)
        room_get_for_member(user=user, room_id=room.pk, now=now)
        return presence_snapshot(room.pk)


def next_opening(room: Room, *, now) -> datetime | None:
    """The start of the next scheduled opening strictly after ``now`` (UTC), or None without hours.
    Reads ``room.hours``, so a room fetched with ``prefetch_related("hours")`` costs no query."""
    hours = list(room.hours.all())
    if not hours:
        return None
    best = None
    for days_ahead in range(8):
        day = (now + timedelta(days=days_ahead)).date()
        for slot in hours:
            if slot.weekday != day.weekday():
                continue
            start = datetime.combine(day, slot.opens_at, tzinfo=now.tzinfo)
            if start > now and (best is None or start < best):
                best = start
        if best is not None:
            return best
    return best


def head_count(room_id: int) -> int:
    """How many people are here, as every page says it: the entries of the room's member list
    (``presence_people``), moderators included. Capacity counts something else (``member_count``)."""
    return len(presence_people(room_id))


@dataclass(frozen=True)
class RoomState:
    open: bool
    next_opening: datetime | None
    member_count: int  # what capacity counts: members present, moderators not
    here_count: int  # the head count shown: everyone on the member list (``head_count``)


def room_state(room: Room, *, now=None) -> RoomState:
    return room_states([room], now=now)[room.pk]


def room_states(rooms: list[Room], *, now=None) -> dict[int, RoomState]:
    """``RoomState`` per room id, in one query however many rooms (the rooms list). A closed room
    not fetched with ``prefetch_related("hours")`` costs one more, for its opening hours.

    Counts with the same rules as ``moderator_present``, ``member_count`` (``_present_as``)
    and ``head_count`` (every presence row's person, stale ones included, as the member list
    shows them); tests/rooms/test_room_states.py holds them together.
    """
    now = now or timezone.now()
    if not rooms:
        return {}
    counts = {
        room_id: (moderators, members, here)
        for room_id, moderators, members, here in Room.objects.filter(pk__in=[room.pk for room in rooms])
        .annotate(
            moderators_here=Count(
                "presence__user", distinct=True, filter=_present_as(moderator=True, now=now, via="presence__")
            ),
            members_here=Count(
                "presence__user", distinct=True, filter=_present_as(moderator=False, now=now, via="presence__")
            ),
            people_here=Count("presence__user", distinct=True),
        )
        .values_list("pk", "moderators_here", "members_here", "people_here")
    }
    states = {}
    for room in rooms:
        moderators, members, here = counts.get(room.pk, (0, 0, 0))
        is_open = moderators > 0
        states[room.pk] = RoomState(
            open=is_open,
            next_opening=None if is_open else next_opening(room, now=now),
            member_count=members,
            here_count=here,
        )
    return states


def alternatives_for(room: Room, *, user, now=None) -> dict:
    """What to offer someone who can't use ``room``: open rooms of the same topic and audience with space, or one-to-one."""
    now = now or timezone.now()
    others = []
    for other in (
        Room.objects.select_related("topic")
        .filter(is_active=True, topic_id=room.topic_id, audience=room.audience)
        .exclude(pk=room.pk)
    ):
        if moderator_present(other.pk, now=now) and member_count(other.pk, now=now) < other.capacity:
            others.append({"id": other.pk, "name": other.name})
    return {"rooms": others, "one_to_one": {"topic": room.topic.slug}}


def messages_recent(room: Room, *, limit: int) -> list[RoomMessage]:
    rows = list(RoomMessage.objects.filter(room=room).select_related("sender").order_by("-seq")[:limit])
    rows.reverse()
    return rows


def messages_after(room: Room, *, after_seq: int, limit: int | None = None) -> list[RoomMessage]:
    limit = limit or settings.CHAT_RESUME_BATCH
    return list(
        RoomMessage.objects.filter(room=room, seq__gt=after_seq).select_related("sender").order_by("seq")[:limit]
    )


def messages_before(room: Room, *, before_seq: int, limit: int) -> list[RoomMessage]:
    rows = list(
        RoomMessage.objects.filter(room=room, seq__lt=before_seq).select_related("sender").order_by("-seq")[:limit]
    )
    rows.reverse()
    return rows


# --- which reports may hide a message -----------------------------------------------------


def message_shielded_from_report_hiding(message: RoomMessage) -> bool:
    """A moderator's or staff member's message is never hidden by reports.

    Such messages are often the room's guideline or a crisis-line reminder, exactly what a
    group of throwaway sessions would want gone. Reports on them are still recorded and
    listed for the room's moderators and safety staff.
    """
    if message.sender_is_moderator:
        return True
    sender = message.sender
    if sender is None:
        return False
    if sender.role == Role.STAFF:
        return True
    if sender.is_staff:
        return True
    if is_safety_staff(sender):
        return True
    return RoomModerator.objects.filter(room_id=message.room_id, listener_id=sender.pk).exists()


def reporters_counted_toward_hiding(message: RoomMessage, *, now) -> int:
    """How many of a message's reporters have the history for their report to count toward hiding it.

    A reporter counts when their account is at least ``SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES``
    old and has written at least ``SAFETY_ROOM_REPORT_MIN_MESSAGES`` room messages that are
    visible (held, hidden and removed ones do not count). Every report is recorded and shown to
    moderators whether or not it counts here.
    """
    joined_before = now - timedelta(minutes=settings.SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES)
    reporter_ids = list(
        RoomMessageReport.objects.filter(message=message, reporter__date_joined__lte=joined_before).values_list(
            "reporter_id", flat=True
        )
    )
    minimum = settings.SAFETY_ROOM_REPORT_MIN_MESSAGES
    if not reporter_ids or minimum == 0:
        return len(reporter_ids)
    return (
        RoomMessage.objects.filter(
            sender_id__in=reporter_ids, kind=RoomMessageKind.TEXT, status=RoomMessageStatus.VISIBLE
        )
        .values("sender_id")
        .annotate(written=Count("pk"))
        .filter(written__gte=minimum)
        .count()
    )


def held_messages(room: Room) -> list[RoomMessage]:
    return list(
        RoomMessage.objects.filter(room=room, status__in=["held", "hidden"]).select_related("sender").order_by("seq")
    )


def payloads_for(messages: list[RoomMessage], *, viewer_id: int, moderator: bool) -> list[dict]:
    from rooms.payloads import message_payload

    return [message_payload(m, full=moderator or m.sender_id == viewer_id, moderator=moderator) for m in messages]


def moderation_log(*, room_id: int, limit: int = 200):
    from rooms.models import RoomModerationAction

    return list(
        RoomModerationAction.objects.filter(room_id=room_id)
        .select_related("actor", "target_user")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- reported messages, for the people who review them ---------------------------------


@dataclass(frozen=True)
class RoomReportsScope:
    """What a reviewer may read: one room or (``room`` None) every room, and whether reporters are named."""

    room: Room | None
    reporter_aliases: bool


def room_reports_scope(*, user, room_id: int | None) -> RoomReportsScope:
    """The one access check for room report reasons.

    Safety staff: every room, or the one asked for, with each reporter's
    alias. A listener who moderates the room (and may still see it): that
    room only, reporters anonymous. Anyone else asking about a room gets
    ``NotFoundOrForbidden`` (the same whether or not the room exists); asking
    for every room without being safety staff is ``forbidden`` (403). Account
    ids are never part of what either sees.
    """
    if room_id is not None and not 0 < room_id < 2**63:
        raise NotFoundOrForbidden()
    if is_safety_staff(user):
        if room_id is None:
            return RoomReportsScope(room=None, reporter_aliases=True)
        room = Room.objects.select_related("topic").filter(pk=room_id).first()
        if room is None:
            raise NotFoundOrForbidden()
        return RoomReportsScope(room=room, reporter_aliases=True)
    if room_id is None:
        raise DomainError("forbidden", "You don't have access to this.", status=403)
    room = room_get_for_user(user=user, room_id=room_id)
    if not is_room_moderator(user=user, room=room):
        raise NotFoundOrForbidden()
    return RoomReportsScope(room=room, reporter_aliases=False)


@dataclass(frozen=True)
class RoomReportEntry:
    reason: str
    reporter: str | None  # the reporter's alias, for safety staff only
    created_at: datetime


@dataclass(frozen=True)
class ReportedRoomMessage:
    room: int
    room_name: str
    topic: str
    audience: str
    seq: int
    sender_alias: str
    sender_role: str
    text: str
    removed: bool
    masked: bool
    status: str
    created_at: datetime
    report_count: int
    last_reported_at: datetime
    reports: list[RoomReportEntry]


def reported_room_messages(
    *, user, room_id: int | None = None, status: str | None = None, limit: int = 50
) -> tuple[list[ReportedRoomMessage], bool]:
    """Reported room messages for a reviewer, most recently reported first, and whether there are more.

    Access through ``room_reports_scope``. Each message comes with the room,
    its text (for a removed message, the excerpt the removal record kept),
    how many reported it and every report's reason, oldest first. Three
    queries whatever the page size (messages, reports, removal excerpts).
    """
    scope = room_reports_scope(user=user, room_id=room_id)
    queryset = RoomMessage.objects.filter(pk__in=RoomMessageReport.objects.values("message_id"))
    if scope.room is not None:
        queryset = queryset.filter(room=scope.room)
    if status:
        queryset = queryset.filter(status=status)
    reports = RoomMessageReport.objects.select_related("reporter").order_by("created_at", "pk")
    rows = list(
        queryset.select_related("room__topic", "sender")
        .annotate(report_count=Count("reports"), last_reported_at=Max("reports__created_at"))
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("-last_reported_at", "-pk")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    removed_ids = [row.pk for row in rows if row.status == "removed"]
    excerpts = {}
    if removed_ids:
        for record in RoomModerationAction.objects.filter(
            message_id__in=removed_ids, action=ModerationAction.MESSAGE_REMOVED
        ).only("message_id", "detail"):
            excerpts[record.message_id] = str(record.detail.get("excerpt", ""))
    out = []
    for row in rows:
        removed = row.status == "removed"
        out.append(
            ReportedRoomMessage(
                room=row.room_id,
                room_name=row.room.name,
                topic=row.room.topic.slug,
                audience=row.room.audience,
                seq=row.seq,
                sender_alias=row.sender.alias if row.sender_id else "",
                sender_role="moderator" if row.sender_is_moderator else "member",
                text=excerpts.get(row.pk, "") if removed else row.text,
                removed=removed,
                masked=row.masked,
                status=row.status,
                created_at=row.created_at,
                report_count=row.report_count,
                last_reported_at=row.last_reported_at,
                reports=[
                    RoomReportEntry(
                        reason=report.reason,
                        reporter=report.reporter.alias if scope.reporter_aliases else None,
                        created_at=report.created_at,
                    )
                    for report in row.reports.all()
                ],
            )
        )
    return out, has_more


def room_for_waiting_seeker(topic_id: int | None, age_group: str) -> dict | None:
    """A room a seeker nobody on shift can take could join meanwhile: one for their topic (any topic:
    any room) and age group, one with a moderator present first. ``{id, name, open}`` or None."""
    rooms = list(Room.objects.filter(is_active=True, audience=age_group or "adult").order_by("pk"))
    if topic_id is not None:
        rooms = [room for room in rooms if room.topic_id == topic_id]
    if not rooms:
        return None
    now = timezone.now()
    for room in rooms:
        if moderator_present(room.pk, now=now):
            return {"id": room.pk, "name": room.name, "open": True}
    return {"id": rooms[0].pk, "name": rooms[0].name, "open": False}


#: How much of a group room a reviewer reads around a flagged room message.
ROOM_CONTEXT_BEFORE = 30
ROOM_CONTEXT_AFTER = 10


def room_context_get_for_staff(*, staff, flag, now=None):
    """The flagged room message and the messages around it, for safety staff: ``(message, messages)``.

    Only for a flag raised in a group room, and only its neighbourhood
    (``ROOM_CONTEXT_BEFORE`` messages before, ``ROOM_CONTEXT_AFTER`` after):
    staff read what the flag is about, not whole rooms. Every read writes an
    audit record, like a conversation transcript. Raises ``NotFoundOrForbidden``
    otherwise.
    """
    if not is_safety_staff(staff):
        raise NotFoundOrForbidden()
    flagged = flag_room_message(flag)
    if flagged is None:
        raise NotFoundOrForbidden()
    messages = list(
        RoomMessage.objects.select_related("sender")
        .filter(
            room_id=flagged.room_id,
            seq__gte=flagged.seq - ROOM_CONTEXT_BEFORE,
            seq__lte=flagged.seq + ROOM_CONTEXT_AFTER,
        )
        .order_by("seq")
    )
    audit_record(
        actor=staff, action="room.transcript", target_type="room", target_id=flagged.room_id, flag_id=flag.pk, now=now
    )
    return flagged, messages


def room_flag_context_for_staff(*, staff, flag, now=None) -> dict:
    """``room_context_get_for_staff`` as safety's review queue shows it (``rooms.payloads.room_context_payload``).
    Registered with ``safety.selectors.room_context_reader_register`` in ``RoomsConfig.ready()``."""
    flagged, messages = room_context_get_for_staff(staff=staff, flag=flag, now=now)
    return room_context_payload(flag, flagged, messages)
