"""Writes for rooms: presence, messages, moderation, reports, room setup.

Every write runs in ``transaction.atomic()``; the lock each takes is named in
its docstring. Presence changes, joins and message numbering lock the room
row, so the member count checked against capacity, the member list in a
``room.hello`` and the presence version it claims are consistent across every
Daphne process. Events leave only after commit (``rooms.events``); presence
deltas leave on the scheduler tick (``room_presence_announce``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chat.services.messages import validate_client_id, validate_text
from chat.services.requests import request_create
from rooms import events
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
    RoomOpeningHours,
    RoomPresence,
    RoomPresenceChange,
    RoomPresenceFeed,
)
from rooms.payloads import invitation_payload, iso, message_payload
from rooms.selectors import (
    ONE_TO_ONE_INVITATION_SECONDS,
    PresenceSnapshot,
    alternatives_for,
    audiences_for,
    invitation_open,
    is_room_moderator,
    member_count,
    message_shielded_from_report_hiding,
    moderator_present,
    next_opening,
    presence_count,
    presence_people,
    presence_snapshot,
    reporters_counted_toward_hiding,
    room_get_for_member,
    room_get_for_user,
)
from safety.classifier import Level
from safety.screening import Screening, screen_message, verdict_for
from safety.selectors import sanction_active_mute
from support import ratelimit
from support.errors import DomainError, NotFoundOrForbidden, RateLimited
from support.models import AgeGroup, Role, Topic, User
from support.roles import can_manage_rooms
from support.ws import CloseCode

ROOM_FULL = (
    "This room is full right now. You could try another room on the same topic, or talk one-to-one with a listener."
)
ROOM_CLOSED = "This room is closed until a moderator is here. You can talk one-to-one with a listener now."
REMOVED_FROM_ROOM = "A moderator removed you from this room for today. You can still talk one-to-one with a listener."
MUTED = "A moderator has paused your messages in this room for a little while."
SAFETY_MUTED = "You can't send messages for a while after a decision by the Hearth safety team."
SLOW_MODE = "Slow mode is on: one message every {seconds} seconds."
GUIDELINE_FIRST = "Please read and accept the room guideline before your first message."
HELD_NOTICE = (
    "Your message is waiting for a moderator before others see it. If you'd like to talk to someone "
    "one-to-one, a listener is here for you; if you are in danger now, please reach out to the people below."
)
RESOURCES_FROM_MODERATOR = (
    "A moderator shared these crisis lines. If you're struggling, you can call or text one now, "
    "or talk one-to-one with a listener."
)
NOT_AT_RISK = "A one-to-one chat can be offered from a held or flagged message only."
NOT_A_SEEKER_MEMBER = "A one-to-one chat can be offered only to a member of this room who can ask for a listener."
INVITATION_GONE = "This invitation has expired or was already used. You can still ask for a listener on the Talk page."
ONE_TO_ONE_OFFERS_TOO_FAST = "You've offered many one-to-one chats in a short while. Please wait a little."
#: Per moderator per hour: invitations go to a member in crisis one at a time, never as a broadcast.
ONE_TO_ONE_OFFERS_PER_HOUR = 20
# A report's reason: the column's size; the room page reads it from the server (frontend.views).
REPORT_REASON_MAX_CHARS = RoomMessageReport._meta.get_field("reason").max_length
NOT_A_MODERATOR = "Only this room's moderators can do this."
CANNOT_MODERATE_MODERATOR = "Moderators can't be muted or removed by another moderator."
CANNOT_REPORT_OWN = "You can't report your own message."
NOT_HELD = "This message is not waiting for review."
NOT_APPROVED_FOR_AUDIENCE = "This listener is not approved for this room's audience."
CONTEXT_MESSAGES = 4
EXCERPT_CHARS = 200


# --- helpers ------------------------------------------------------------------


def _next_seq(room_id: int) -> int:
    """Take the room's next sequence number (same technique as chat's ``next_seq``).

    The UPDATE locks the room row until commit, so concurrent senders queue
    and numbers stay gap-free (a rollback gives the number back).
    """
    Room.objects.filter(pk=room_id).update(last_seq=F("last_seq") + 1)
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).get()


def _audit(*, room: Room, actor, action: str, now, target_user=None, message=None, detail: dict | None = None) -> None:
    RoomModerationAction.objects.create(
        room=room,
        actor=actor,
        action=action,
        target_user=target_user,
        message=message,
        detail=detail or {},
        created_at=now,
    )


def _presence_changed(room: Room, user_ids, *, now, was_open: bool) -> None:
    """Record that these people arrived or left, and say at once if the room opened or closed.

    Caller holds the room row lock. Who is here is not broadcast now: the
    change is noted (``RoomPresenceChange``, the room's presence version goes
    up) and the scheduler tick sends one coalesced ``room.presence`` delta per
    room (``room_presence_announce``), so a burst of joins costs each member
    one small frame instead of one full list per join.
    """
    user_ids = set(user_ids)
    if user_ids:
        RoomPresenceChange.objects.bulk_create(
            [RoomPresenceChange(room=room, user_id=user_id) for user_id in user_ids], ignore_conflicts=True
        )
        if not RoomPresenceFeed.objects.filter(room=room).update(version=F("version") + 1):
            RoomPresenceFeed.objects.create(room=room, version=1)
        events.presence_changed()
    is_open = moderator_present(room.pk, now=now)
    if is_open != was_open:
        events.room_event(
            room.pk,
            {
                "type": "room.state",
                "open": is_open,
                "next_opening": None if is_open else iso(next_opening(room, now=now)),
            },
        )


def _end_of_day(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)


def _room_for_moderator(*, user, room_id: int) -> Room:
    """The room, locked, if ``user`` moderates it. Members who are not moderators get ``forbidden``."""
    room = room_get_for_user(user=user, room_id=room_id, for_update=True)
    if not is_room_moderator(user=user, room=room):
        raise DomainError("forbidden", NOT_A_MODERATOR, status=403)
    return room


def _message_for_update(room: Room, seq: int) -> RoomMessage:
    message = (
        RoomMessage.objects.select_for_update(of=("self",)).select_related("sender").filter(room=room, seq=seq).first()
    )
    if message is None:
        raise NotFoundOrForbidden()
    return message


def _target_membership(room: Room, alias: str) -> RoomMembership:
    membership = (
        RoomMembership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(room=room, user__alias=alias)
        .first()
    )
    if membership is None:
        raise NotFoundOrForbidden()
    if is_room_moderator(user=membership.user, room=room):
        raise DomainError("forbidden", CANNOT_MODERATE_MODERATOR, status=403)
    return membership


# --- presence -----------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    room: Room
    membership: RoomMembership
    moderator: bool
    presence: PresenceSnapshot  # who is here, including this socket, exact for its version (for room.hello)


def room_join(*, user, room_id: int, channel_name: str, now=None) -> JoinResult:
    """Record one socket joining a room.

    Locks the room row, then checks audience (``not_found``), removal for the
    day (``removed_from_room``) and capacity (``room_full``, with alternatives;
    moderators and people already present on another socket are not
    counted twice). Creates the membership on first join and a presence row
    for this socket, notes the arrival for the next coalesced ``room.presence``
    (a second socket of someone already here is no arrival), says at once
    that the room opened when the first moderator arrives, and returns the
    member list read under the same lock, for ``room.hello``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room = room_get_for_user(user=user, room_id=room_id, for_update=True)
        membership, _ = RoomMembership.objects.get_or_create(room=room, user=user, defaults={"joined_at": now})
        if membership.removed_until is not None and membership.removed_until > now:
            raise DomainError("removed_from_room", REMOVED_FROM_ROOM, status=403, until=iso(membership.removed_until))
        moderator = is_room_moderator(user=user, room=room)
        if not moderator:
            from rooms.selectors import fresh_presence

            already_here = fresh_presence(room.pk, now=now).filter(user=user).exists()
            if not already_here and member_count(room.pk, now=now) >= room.capacity:
                raise DomainError(
                    "room_full", ROOM_FULL, status=409, alternatives=alternatives_for(room, user=user, now=now)
                )
        was_open = moderator_present(room.pk, now=now)
        # Any row, fresh or not yet swept: presence lists count every row (see selectors.presence_people).
        was_here = RoomPresence.objects.filter(room=room, user=user).exists()
        RoomPresence.objects.update_or_create(
            channel_name=channel_name,
            defaults={"room": room, "user": user, "is_moderator": moderator, "joined_at": now, "last_seen_at": now},
        )
        _presence_changed(room, [] if was_here else [user.pk], now=now, was_open=was_open)
        presence = presence_snapshot(room.pk)
    return JoinResult(room=room, membership=membership, moderator=moderator, presence=presence)


def room_leave(*, channel_name: str, now=None) -> None:
    """Drop one socket's presence row (locks its room row); the person has left once their last socket has."""
    now = now or timezone.now()
    room_id = RoomPresence.objects.filter(channel_name=channel_name).values_list("room_id", flat=True).first()
    if room_id is None:
        return
    with transaction.atomic():
        room = Room.objects.select_for_update(of=("self",)).select_related("topic").filter(pk=room_id).first()
        if room is None:
            return
        was_open = moderator_present(room.pk, now=now)
        row = (
            RoomPresence.objects.filter(channel_name=channel_name, room=room).values_list("user_id", flat=True).first()
        )
        if row is None:
            return
        RoomPresence.objects.filter(channel_name=channel_name).delete()
        still_here = RoomPresence.objects.filter(room=room, user_id=row).exists()
        _presence_changed(room, [] if still_here else [row], now=now, was_open=was_open)


def room_presence_heartbeat(*, channel_name: str, now=None) -> bool:
    """Refresh one socket's presence row; False when it is gone (swept after a stall)."""
    now = now or timezone.now()
    return RoomPresence.objects.filter(channel_name=channel_name).update(last_seen_at=now) > 0


def room_presence_sweep_stale(*, now=None) -> int:
    """Drop presence rows whose heartbeat stopped (a dead process, a lost network), noting who left.

    Locks each affected room row in turn, skipping rooms another process is
    already handling.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ROOMS_PRESENCE_STALE_SECONDS)
    room_ids = list(RoomPresence.objects.filter(last_seen_at__lt=cutoff).values_list("room_id", flat=True).distinct())
    swept = 0
    for room_id in room_ids:
        with transaction.atomic():
            room = (
                Room.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("topic")
                .filter(pk=room_id)
                .first()
            )
            if room is None:
                continue
            # Open as members last heard it: a moderator row, stale or not, was still there.
            was_open = RoomPresence.objects.filter(room=room, is_moderator=True).exists()
            stale = RoomPresence.objects.filter(room=room, last_seen_at__lt=cutoff)
            user_ids = set(stale.values_list("user_id", flat=True))
            deleted, _ = stale.delete()
            if deleted:
                swept += deleted
                remaining = set(
                    RoomPresence.objects.filter(room=room, user_id__in=user_ids).values_list("user_id", flat=True)
                )
                _presence_changed(room, user_ids - remaining, now=now, was_open=was_open)
    return swept


def _presence_min_gap() -> timedelta:
    # Ticks of one process are at least an interval apart; with several
    # processes ticking out of phase this keeps a room's deltas about an
    # interval apart too.
    return timedelta(seconds=settings.HEARTH_SCHEDULER_INTERVAL * 0.9)


def room_presence_announce(*, now=None, rescan: bool = False) -> int:
    """Send each room whose presence changed one ``room.presence`` delta; returns how many were sent.

    Runs on the scheduler tick in every process. It looks only when a change
    was flagged in the shared cache since the last look (``rescan`` looks
    anyway, in case the cache lost the flag); which rooms changed is in the
    database (``RoomPresenceFeed.version > sent_version``), so any process
    can send any room's delta. Per room it takes the room row lock (the lock
    every presence change holds), so the delta and the version it claims
    agree, and sends at most one delta per room per tick interval (a room
    sent to less than that ago is flagged again for the next tick).

    The delta names everyone whose presence changed since the last one and
    where each is now: ``joined`` (here, with the moderator badge) or
    ``left`` (gone), from ``from_version`` to ``version``, plus ``count``.
    Applying it to any list exact for a version in that range gives the list
    exact for ``version``.
    """
    now = now or timezone.now()
    if not events.presence_changed_take() and not rescan:
        return 0
    sent = 0
    again = False
    for room_id in list(
        RoomPresenceFeed.objects.filter(version__gt=F("sent_version")).values_list("room_id", flat=True)
    ):
        with transaction.atomic():
            if not Room.objects.select_for_update(of=("self",)).filter(pk=room_id).exists():
                continue
            feed = RoomPresenceFeed.objects.filter(room_id=room_id).first()
            if feed is None or feed.version <= feed.sent_version:
                continue  # another process sent it while we waited for the lock
            if feed.sent_at is not None and now - feed.sent_at < _presence_min_gap():
                again = True
                continue
            changed = set(RoomPresenceChange.objects.filter(room_id=room_id).values_list("user_id", flat=True))
            RoomPresenceChange.objects.filter(room_id=room_id).delete()
            here = presence_people(room_id, user_ids=changed)
            gone = sorted(User.objects.filter(pk__in=changed - here.keys()).values_list("alias", flat=True))
            frame = {
                "type": "room.presence",
                "from_version": feed.sent_version,
                "version": feed.version,
                "count": presence_count(room_id),
                "joined": list(here.values()),
                "left": gone,
            }
            RoomPresenceFeed.objects.filter(room_id=room_id).update(sent_version=feed.version, sent_at=now)
            events.room_event(room_id, frame)
            sent += 1
    if again:
        events.presence_changed_flag()
    return sent


# --- membership ---------------------------------------------------------------


def guideline_acknowledge(*, user, room_id: int, now=None) -> RoomMembership:
    """Record that ``user`` accepted the room guideline (once; later calls keep the first time). Locks the membership row."""
    now = now or timezone.now()
    with transaction.atomic():
        room = room_get_for_user(user=user, room_id=room_id)
        membership = RoomMembership.objects.select_for_update().filter(room=room, user=user).first()
        if membership is None:
            raise NotFoundOrForbidden()
        if membership.guideline_acknowledged_at is None:
            membership.guideline_acknowledged_at = now
            membership.save(update_fields=["guideline_acknowledged_at"])
    return membership


# --- messages -----------------------------------------------------------------


@dataclass(frozen=True)
class RoomSendResult:
    message: RoomMessage
    duplicate: bool
    screening: Screening | None

    @property
    def held(self) -> bool:
        return self.message.status == RoomMessageStatus.HELD


def room_message_send(*, sender, room_id: int, client_id: str, text: str, now=None) -> RoomSendResult:
    """Screen, persist and deliver one room message: the only code that creates text ``RoomMessage`` rows.

    Locks the room row (which also serialises sequence numbers), then the
    sender's membership row. Checks audience, membership, removal, open state,
    guideline, mute, slow mode and the rate limit; screens the text (masked
    text is stored). A message rated elevated or worse, or carrying personal
    information, is stored as ``held``: only moderators and the sender see it,
    a safety flag is written in the same transaction and the staff alert goes
    out after commit. Otherwise the message is broadcast once to the room
    group. Re-sending a ``client_id`` returns the original without writing.
    """
    client_id = validate_client_id(client_id)
    text = validate_text(text)
    now = now or timezone.now()
    with transaction.atomic():
        # Room row first, then the membership: the same order as moderation, so they cannot deadlock.
        room = room_get_for_user(user=sender, room_id=room_id, for_update=True)
        membership = RoomMembership.objects.select_for_update().filter(room=room, user=sender).first()
        if membership is None:
            raise NotFoundOrForbidden()
        existing = (
            RoomMessage.objects.filter(room=room, sender=sender, client_id=client_id).select_related("sender").first()
        )
        if existing is not None:
            return RoomSendResult(existing, duplicate=True, screening=None)
        if membership.removed_until is not None and membership.removed_until > now:
            raise DomainError("removed_from_room", REMOVED_FROM_ROOM, status=403, until=iso(membership.removed_until))
        moderator = is_room_moderator(user=sender, room=room)
        if not moderator and not moderator_present(room.pk, now=now):
            raise DomainError("room_closed", ROOM_CLOSED, status=409, next_opening=iso(next_opening(room, now=now)))
        if membership.guideline_acknowledged_at is None and not moderator:
            raise DomainError("guideline_not_acknowledged", GUIDELINE_FIRST, status=409)
        if membership.muted_until is not None and membership.muted_until > now:
            raise DomainError("muted", MUTED, status=403, until=iso(membership.muted_until))
        # A mute by the safety team holds everywhere on Hearth, rooms included.
        safety_mute = sanction_active_mute(sender.pk, now=now)
        if safety_mute is not None:
            raise DomainError("muted", SAFETY_MUTED, status=403, until=iso(safety_mute.expires_at))
        if not moderator and room.slow_mode_seconds and membership.last_message_at is not None:
            ready_at = membership.last_message_at + timedelta(seconds=room.slow_mode_seconds)
            if now < ready_at:
                raise DomainError(
                    "slow_mode",
                    SLOW_MODE.format(seconds=room.slow_mode_seconds),
                    status=429,
                    retry_after=max(1, math.ceil((ready_at - now).total_seconds())),
                )
        decision = ratelimit.hit(
            "room-msg",
            str(sender.pk),
            limit=settings.CHAT_RATE_MESSAGES,
            window=settings.CHAT_RATE_WINDOW_SECONDS,
            now=now.timestamp(),
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after)
        recent = list(
            RoomMessage.objects.filter(room=room, sender=sender, kind=RoomMessageKind.TEXT)
            .order_by("-seq")
            .values_list("text", flat=True)[:CONTEXT_MESSAGES]
        )
        role = "listener" if sender.role == Role.LISTENER else "member"
        screening = screen_message(text=text, sender_role=role, recent_texts=tuple(reversed(recent)))
        verdict = verdict_for(screening, author_role=role, to_minor=room.audience == AgeGroup.TEEN, to_group=True)
        # Risk and contact details wait for a moderator in a room: every member would see them at once.
        held = verdict.hold or screening.needs_flag or screening.has_personal_info
        message = RoomMessage.objects.create(
            room=room,
            seq=_next_seq(room.pk),
            kind=RoomMessageKind.TEXT,
            sender=sender,
            sender_is_moderator=moderator,
            client_id=client_id,
            text=screening.text,
            masked=screening.masked,
            risk_level=screening.level,
            status=RoomMessageStatus.HELD if held else RoomMessageStatus.VISIBLE,
            created_at=now,
        )
        membership.last_message_at = now
        membership.save(update_fields=["last_message_at"])
        full = message_payload(message, full=True, sender_alias=sender.alias)
        if held or verdict.flag:
            from safety.services import flag_create_for_room_message  # safety's services build on rooms' models

            message.flag = flag_create_for_room_message(
                message=message,
                room=room,
                screening=screening,
                verdict=verdict,
                now=now,
            )
            message.save(update_fields=["flag"])
        if held:
            _audit(
                room=room,
                actor=None,
                action=ModerationAction.MESSAGE_HELD,
                target_user=sender,
                message=message,
                now=now,
                detail={
                    "seq": message.seq,
                    "level": screening.level,
                    "flag": message.flag_id,
                    "personal_info": screening.has_personal_info,
                },
            )
            for_moderators = message_payload(message, full=True, sender_alias=sender.alias, moderator=True)
            events.moderators_event(room.pk, {"type": "room.message.held", "message": for_moderators})
            events.member_event(room.pk, sender.pk, {"type": "room.message.created", "message": full})
        else:
            events.room_event(room.pk, {"type": "room.message.created", "message": full})
    return RoomSendResult(message, duplicate=False, screening=screening)


def room_message_report(*, reporter, room_id: int, seq: int, reason: str = "", now=None) -> RoomMessage:
    """Report a message; once ``SAFETY_ROOM_REPORT_HIDE_THRESHOLD`` distinct members with some
    history did, it is hidden until a moderator releases or removes it.

    Every report is recorded and listed for the room's moderators and safety
    staff; only reporters with history count toward hiding
    (``rooms.selectors.reporters_counted_toward_hiding``), so a handful of fresh
    sessions cannot hide anything, and a moderator's or staff member's message
    is never hidden (``message_shielded_from_report_hiding``).
    Locks the message row, so concurrent reports count exactly. A repeated
    report by the same member changes nothing. The room's moderators get
    ``room.message.reported`` (the seq and how many reported it, neither the
    reason nor who reported) so their list of reports can refresh.
    """
    now = now or timezone.now()
    if not isinstance(reason, str) or len(reason) > REPORT_REASON_MAX_CHARS:
        raise DomainError(
            "invalid_field", f"'reason' must be at most {REPORT_REASON_MAX_CHARS} characters.", field="reason"
        )
    with transaction.atomic():
        room, _ = room_get_for_member(user=reporter, room_id=room_id, now=now)
        message = _message_for_update(room, seq)
        if message.kind != RoomMessageKind.TEXT or message.status == RoomMessageStatus.REMOVED:
            raise NotFoundOrForbidden()
        if message.sender_id == reporter.pk:
            raise DomainError("cannot_report_own", CANNOT_REPORT_OWN)
        if message.status == RoomMessageStatus.HELD and not is_room_moderator(user=reporter, room=room):
            raise NotFoundOrForbidden()
        screening = screen_message(text=reason.strip(), sender_role="member") if reason.strip() else None
        _, created = RoomMessageReport.objects.get_or_create(
            message=message,
            reporter=reporter,
            defaults={"reason": screening.text if screening else "", "created_at": now},
        )
        if not created:
            return message
        if screening is not None and screening.at_risk:
            # Words of risk in a report reach the safety team, not only the room's volunteer moderators.
            from safety.services import case_raise_for_room_report  # safety's services build on rooms' models

            case_raise_for_room_report(message=message, room=room, screening=screening, now=now)
        reporters = RoomMessageReport.objects.filter(message=message).count()
        # A hint for moderators to refresh their list of reports; the reason itself is read
        # through GET /api/v1/rooms/<id>/reports, never sent over the room socket.
        events.moderators_event(
            room.pk, {"type": "room.message.reported", "seq": message.seq, "report_count": reporters}
        )
        if message.status != RoomMessageStatus.VISIBLE:
            return message
        if message_shielded_from_report_hiding(message):
            return message
        counted = reporters_counted_toward_hiding(message, now=now)
        if counted >= settings.SAFETY_ROOM_REPORT_HIDE_THRESHOLD:
            message.status = RoomMessageStatus.HIDDEN
            message.save(update_fields=["status"])
            _audit(
                room=room,
                actor=None,
                action=ModerationAction.MESSAGE_HIDDEN,
                target_user=message.sender,
                message=message,
                now=now,
                detail={"seq": message.seq, "reports": reporters, "reports_counted": counted},
            )
            events.room_event(
                room.pk,
                {"type": "room.message.updated", "message": message_payload(message, full=False)},
                skip_moderators=True,
            )
            full = message_payload(message, full=True)
            events.moderators_event(
                room.pk,
                {"type": "room.message.updated", "message": message_payload(message, full=True, moderator=True)},
            )
            if message.sender_id:
                events.member_event(room.pk, message.sender_id, {"type": "room.message.updated", "message": full})
    return message


# --- moderation ---------------------------------------------------------------


def room_message_remove(*, moderator, room_id: int, seq: int, now=None) -> RoomMessage:
    """Remove a message for everyone: the row keeps its ``seq``, the text is blanked.

    Locks the room row, then the message row. The audit record keeps a short
    excerpt for safety staff. Removing twice changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        message = _message_for_update(room, seq)
        if message.status == RoomMessageStatus.REMOVED:
            return message
        previous = message.status
        excerpt = message.text[:EXCERPT_CHARS]
        message.status = RoomMessageStatus.REMOVED
        message.text = ""
        message.save(update_fields=["status", "text"])
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.MESSAGE_REMOVED,
            target_user=message.sender,
            message=message,
            now=now,
            detail={"seq": seq, "previous_status": previous, "excerpt": excerpt},
        )
        events.room_event(room.pk, {"type": "room.message.updated", "message": message_payload(message, full=False)})
    return message


def room_message_release(*, moderator, room_id: int, seq: int, now=None) -> RoomMessage:
    """Let a held or hidden message through to everyone. Locks the room row, then the message row."""
    now = now or timezone.now()
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        message = _message_for_update(room, seq)
        if message.status not in (RoomMessageStatus.HELD, RoomMessageStatus.HIDDEN):
            raise DomainError("not_held", NOT_HELD, status=409)
        previous = message.status
        message.status = RoomMessageStatus.VISIBLE
        message.save(update_fields=["status"])
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.MESSAGE_RELEASED,
            target_user=message.sender,
            message=message,
            now=now,
            detail={"seq": seq, "previous_status": previous},
        )
        events.room_event(room.pk, {"type": "room.message.updated", "message": message_payload(message, full=True)})
    return message


def room_member_mute(*, moderator, room_id: int, alias: str, seconds: int, now=None) -> RoomMembership:
    """Mute a member for ``seconds`` (0 lifts a mute). Locks the room row, then the membership row."""
    now = now or timezone.now()
    limit = settings.ROOMS_MAX_MUTE_SECONDS
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= limit:
        raise DomainError("invalid_field", f"'seconds' must be 0–{limit}.", field="seconds")
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        membership = _target_membership(room, alias)
        membership.muted_until = now + timedelta(seconds=seconds) if seconds else None
        membership.save(update_fields=["muted_until"])
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.MEMBER_MUTED,
            target_user=membership.user,
            now=now,
            detail={"seconds": seconds, "until": iso(membership.muted_until)},
        )
        events.member_event(
            room.pk,
            membership.user_id,
            {"type": "room.muted", "until": iso(membership.muted_until), "message": MUTED if seconds else ""},
        )
    return membership


def room_member_remove(*, moderator, room_id: int, alias: str, now=None) -> RoomMembership:
    """Remove a member from the room until the end of the day (UTC); their sockets are closed with 4403.

    Locks the room row, then the membership row. Their presence rows go at
    once, so the member list is right even if the close event is lost; every
    later join or send is refused until the removal ends.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        membership = _target_membership(room, alias)
        membership.removed_until = _end_of_day(now)
        membership.save(update_fields=["removed_until"])
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.MEMBER_REMOVED,
            target_user=membership.user,
            now=now,
            detail={"until": iso(membership.removed_until)},
        )
        was_open = moderator_present(room.pk, now=now)
        deleted, _ = RoomPresence.objects.filter(room=room, user_id=membership.user_id).delete()
        _presence_changed(room, [membership.user_id] if deleted else [], now=now, was_open=was_open)
        events.member_kick(
            room.pk,
            membership.user_id,
            {
                "type": "room.removed",
                "until": iso(membership.removed_until),
                "message": REMOVED_FROM_ROOM,
                "alternatives": alternatives_for(room, user=membership.user, now=now),
            },
            code=CloseCode.FORBIDDEN,
        )
    return membership


def room_resources_send(*, moderator, room_id: int, alias: str | None = None, now=None) -> dict:
    """A moderator sends the room's crisis lines (for its audience) to one member, or to everyone here.

    Every member named gets ``room.resources {room, message, helplines, one_to_one, to_you}`` and
    the action is recorded. Locks the room row (and the member's membership row). Returns the frame.
    """
    from support.helplines import helplines_for

    now = now or timezone.now()
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        membership = _target_membership(room, alias) if alias is not None else None
        frame = {
            "type": "room.resources",
            "message": RESOURCES_FROM_MODERATOR,
            "helplines": helplines_for(None, room.audience),
            "one_to_one": {"topic": room.topic.slug},
            "to_you": membership is not None,
        }
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.RESOURCES_SENT,
            target_user=membership.user if membership else None,
            now=now,
            detail={"to": "member" if membership else "room"},
        )
        if membership is not None:
            events.member_event(room.pk, membership.user_id, frame)
        else:
            events.room_event(room.pk, frame)
    return frame


def room_one_to_one_offer(*, moderator, room_id: int, seq: int, now=None) -> RoomModerationAction:
    """A moderator offers the writer of a held or flagged message a one-to-one chat with a listener.

    The writer must be a seeker who is a member of this room (not removed today, not a moderator);
    the message must be held, flagged or screened elevated or worse. The offer is recorded as
    ``one_to_one_offered`` (its id is the invitation; ``detail.urgent`` when the message was
    imminent) and that member's sockets in this room alone get ``room.one_to_one.invited``.
    At most ``ONE_TO_ONE_OFFERS_PER_HOUR`` per moderator. Locks the room row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        message = RoomMessage.objects.select_related("sender").filter(room=room, seq=seq).first()
        if message is None:
            raise NotFoundOrForbidden()
        at_risk = (
            message.status == RoomMessageStatus.HELD
            or message.flag_id is not None
            or message.risk_level >= Level.ELEVATED
        )
        if message.kind != RoomMessageKind.TEXT or not at_risk:
            raise DomainError("not_at_risk", NOT_AT_RISK, status=409)
        writer = message.sender
        membership = RoomMembership.objects.filter(room=room, user=writer).first() if writer is not None else None
        if (
            membership is None
            or message.sender_is_moderator
            or writer.role != Role.SEEKER
            or not writer.is_active
            or (membership.removed_until is not None and membership.removed_until > now)
        ):
            raise DomainError("not_a_member", NOT_A_SEEKER_MEMBER, status=409)
        decision = ratelimit.hit(
            "room-one-to-one", str(moderator.pk), limit=ONE_TO_ONE_OFFERS_PER_HOUR, window=3600, now=now.timestamp()
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after, ONE_TO_ONE_OFFERS_TOO_FAST)
        expires_at = now + timedelta(
            seconds=ONE_TO_ONE_INVITATION_SECONDS
        )  # as invitation_expires_at: created_at is now
        offered = RoomModerationAction.objects.create(
            room=room,
            actor=moderator,
            action=ModerationAction.ONE_TO_ONE_OFFERED,
            target_user=writer,
            message=message,
            detail={"seq": seq, "urgent": message.risk_level >= Level.IMMINENT, "expires_at": iso(expires_at)},
            created_at=now,
        )
        events.member_event(
            room.pk,
            writer.pk,
            {
                "type": "room.one_to_one.invited",
                **invitation_payload(offered, topic=room.topic.slug, expires_at=expires_at),
            },
        )
    return offered


def room_one_to_one_accept(*, user, room_id: int, invitation: int, address: str = "", now=None):
    """The member accepts a moderator's invitation: the normal request flow, on the room's topic.

    Uses ``chat.services.requests.request_create`` (its limits, its one-open-request rule), urgent
    when the invitation says so; records ``one_to_one_accepted``. An invitation is used once and
    lasts ``ONE_TO_ONE_INVITATION_SECONDS``; someone else's, or another room's, is ``not_found``.
    Locks the member's membership row (so two accepts cannot both pass), then the line lock.
    Returns the new ``ChatRequest``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room, _ = room_get_for_member(user=user, room_id=room_id, now=now)
        RoomMembership.objects.select_for_update().filter(room=room, user=user).first()
        offered = RoomModerationAction.objects.filter(
            pk=invitation, room=room, action=ModerationAction.ONE_TO_ONE_OFFERED, target_user=user
        ).first()
        if offered is None:
            raise NotFoundOrForbidden()
        if not invitation_open(offered, now=now):
            raise DomainError("invitation_gone", INVITATION_GONE, status=409)
        request = request_create(
            seeker=user, topic_slug=room.topic.slug, address=address, urgent=bool(offered.detail.get("urgent"))
        )
        _audit(
            room=room,
            actor=user,
            action=ModerationAction.ONE_TO_ONE_ACCEPTED,
            target_user=user,
            message=offered.message,
            now=now,
            detail={"invitation": offered.pk, "request": request.pk},
        )
    return request


def room_slow_mode_set(*, moderator, room_id: int, seconds: int, now=None) -> Room:
    """Turn slow mode on (one message per ``seconds`` per member) or off (0). Locks the room row."""
    now = now or timezone.now()
    limit = settings.ROOMS_MAX_SLOW_MODE_SECONDS
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= limit:
        raise DomainError("invalid_field", f"'seconds' must be 0–{limit}.", field="seconds")
    with transaction.atomic():
        room = _room_for_moderator(user=moderator, room_id=room_id)
        previous = room.slow_mode_seconds
        room.slow_mode_seconds = seconds
        room.save(update_fields=["slow_mode_seconds"])
        _audit(
            room=room,
            actor=moderator,
            action=ModerationAction.SLOW_MODE,
            now=now,
            detail={"seconds": seconds, "previous": previous},
        )
        events.room_event(room.pk, {"type": "room.slow_mode", "seconds": seconds})
    return room


# --- setup (staff) ------------------------------------------------------------


def room_create(
    *,
    actor,
    topic_slug: str,
    audience: str,
    name: str,
    guideline: str,
    capacity: int = 30,
    hours: list[dict] | tuple = (),
) -> Room:
    """Create a room (room managers only) with its weekly opening hours."""
    if not can_manage_rooms(actor):
        raise DomainError("forbidden", "You don't have access to this.", status=403)
    topic = Topic.objects.filter(slug=topic_slug, is_active=True).first()
    if topic is None:
        raise DomainError("unknown_topic", "There is no such topic.", field="topic")
    if audience not in AgeGroup.values:
        raise DomainError("invalid_field", "'audience' must be 'teen' or 'adult'.", field="audience")
    with transaction.atomic():
        room = Room.objects.create(
            topic=topic, audience=audience, name=name, guideline=guideline, capacity=capacity, created_by=actor
        )
        for slot in hours:
            RoomOpeningHours.objects.create(
                room=room, weekday=slot["weekday"], opens_at=slot["opens_at"], closes_at=slot["closes_at"]
            )
    return room


def room_moderator_grant(*, actor, room_id: int, listener_alias: str, now=None) -> RoomModerator:
    """Grant a listener moderation in a room (room managers only); the listener must be approved for its audience."""
    now = now or timezone.now()
    if not can_manage_rooms(actor):
        raise DomainError("forbidden", "You don't have access to this.", status=403)
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None:
            raise NotFoundOrForbidden()
        listener = (
            User.objects.select_related("listener_profile").filter(alias=listener_alias, role=Role.LISTENER).first()
        )
        if listener is None:
            raise DomainError("unknown_listener", "There is no listener with that alias.", field="listener")
        if room.audience not in audiences_for(listener):
            raise DomainError("not_approved_for_audience", NOT_APPROVED_FOR_AUDIENCE, field="listener")
        grant, created = RoomModerator.objects.get_or_create(
            room=room, listener=listener, defaults={"granted_by": actor}
        )
        if created:
            _audit(room=room, actor=actor, action=ModerationAction.MODERATOR_GRANTED, target_user=listener, now=now)
    return grant


APPROVAL_WITHDRAWN = "You can no longer take part in this room. Thank you for the support you gave here."


def rooms_audience_revoked(*, listener_id: int, audience: str) -> None:
    """A listener lost an audience (teen approval withdrawn): close their sockets in its rooms now.

    Registered with ``listeners.services.audience_revoked_hooks``; runs in the
    caller's transaction and kicks after commit (``room.left``, close 4403).
    A new socket is refused by the room access function (``audiences_for``).
    """
    rooms = (
        RoomPresence.objects.filter(user_id=listener_id, room__audience=audience)
        .values_list("room_id", flat=True)
        .distinct()
    )
    for room_id in rooms:
        events.member_kick(
            room_id,
            listener_id,
            {"type": "room.left", "room": room_id, "reason": "approval_withdrawn", "message": APPROVAL_WITHDRAWN},
            code=CloseCode.FORBIDDEN,
        )
