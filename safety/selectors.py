"""Reads for safety, including the one access function staff use to open a conversation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db.models import BooleanField, ExpressionWrapper, Q, Subquery
from django.utils import timezone

from chat.models import Conversation, Message, MessageKind
from safety.audit import audit_record
from safety.classifier import Level
from safety.frames import RESOURCES_SHARED, risk_payload, warning_payload
from safety.models import (
    Block,
    DeviceLink,
    FlagStatus,
    Report,
    SafetyFlag,
    Sanction,
    SanctionKind,
    StaffParticipation,
)
from support.errors import NotFoundOrForbidden
from support.models import Connection
from support.roles import is_safety_staff

ALERT_MIN_LEVEL = int(Level.ELEVATED)
STAFF_PURPOSES = frozenset({"transcript", "join", "sync", "handoff", "end", "message"})


def safety_staff_users():
    """Active users holding ``support.safety_review`` (directly, through a group, or as superuser)."""
    permission = Permission.objects.filter(content_type__app_label="support", codename="safety_review").first()
    users = get_user_model().objects.filter(is_active=True)
    condition = Q(is_superuser=True)
    if permission is not None:
        condition |= Q(groups__permissions=permission) | Q(user_permissions=permission)
    return users.filter(condition).distinct()


def staff_online(*, now=None) -> bool:
    """Is at least one safety-staff socket connected (fresh heartbeat), in any process?"""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS)
    return Connection.objects.filter(user__in=safety_staff_users(), last_seen_at__gte=cutoff).exists()


def _mutes_in_force(user_id, now):
    """The one rule for a mute in force: a ``mute`` sanction, not lifted, not yet expired; the one
    that ends last first. ``user_id`` and ``now`` may be values or expressions."""
    return Sanction.objects.filter(
        subject_id=user_id, kind=SanctionKind.MUTE, lifted_at__isnull=True, expires_at__gt=now
    ).order_by("-expires_at")


def sanction_active_mute(user_id: int, *, now=None) -> Sanction | None:
    """The mute in force for ``user_id`` that ends last, or None."""
    return _mutes_in_force(user_id, now or timezone.now()).first()


def mute_in_force_ends(*, user_id, now) -> Subquery:
    """When ``user_id``'s mute in force at ``now`` ends, as a subquery (NULL when none is).

    The chat message path reads it inside its sender check (``chat.mutes``,
    installed by ``SafetyConfig.ready()``), so a message costs one read before
    its writes.
    """
    return Subquery(_mutes_in_force(user_id, now).values("expires_at")[:1])


def flagged_at_risk_since(*, subject_id: int, since) -> bool:
    """Whether a flag about ``subject_id`` at elevated risk or worse, raised since ``since``, is unresolved."""
    return (
        SafetyFlag.objects.filter(subject_id=subject_id, created_at__gte=since, level__gte=Level.ELEVATED)
        .exclude(status=FlagStatus.RESOLVED)
        .exists()
    )


def warnings_in_force(user_id: int, *, now=None) -> list[Sanction]:
    """The warnings staff gave ``user_id`` that still count (not lifted, not expired), newest first.

    Read at every chat socket's hello (``hello.warnings``), on ``sanction_subject_idx``.
    """
    now = now or timezone.now()
    return list(
        Sanction.objects.filter(
            subject_id=user_id, kind=SanctionKind.WARNING, lifted_at__isnull=True, expires_at__gt=now
        ).order_by("-created_at", "-pk")[:5]
    )


#: Flags raised in a group room carry their room through the flagged message (``alert_payload``).
_ROOM_OF_FLAG = "room_messages__room__topic"


def alerts_open() -> list[SafetyFlag]:
    """Unresolved flags serious enough to alert staff, most severe then oldest first."""
    return list(
        SafetyFlag.objects.select_related("conversation__topic", "claimed_by", "acknowledged_by")
        .prefetch_related(_ROOM_OF_FLAG)
        .filter(level__gte=ALERT_MIN_LEVEL)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("-level", "created_at")
    )


def review_queue() -> list[SafetyFlag]:
    """Every unresolved flag (reports join flags), most severe then oldest first."""
    return list(
        SafetyFlag.objects.select_related("conversation__topic", "claimed_by", "acknowledged_by")
        .prefetch_related("reports__message", _ROOM_OF_FLAG)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("-level", "created_at", "id")
    )


REVIEW_CATEGORIES = frozenset(
    {
        "self_harm",
        "harm_to_others",
        "abuse",
        "personal_info",
        "listener_misconduct",
        "harassment",
        "spam",
        "other",
        "held",
        "unscreened",
    }
)


def review_queue_read_by_staff(*, staff, category: str | None = None, now=None) -> list[SafetyFlag]:
    """The review queue as one staff member reads it (excerpts of people's words): audited.

    ``category`` keeps the items carrying it (categories are a short JSON list; filtered here so
    SQLite and PostgreSQL agree).
    """
    if not is_safety_staff(staff):
        raise NotFoundOrForbidden()
    flags = review_queue()
    if category is not None:
        flags = [flag for flag in flags if category in flag.categories]
    audit_record(
        actor=staff,
        action="queue.read",
        target_type="queue",
        target_id=0,
        data={"flags": [flag.pk for flag in flags], "category": category},
        now=now,
    )
    return flags


def flag_read_by_staff(*, staff, flag_id: int, now=None) -> SafetyFlag:
    """One item with its excerpt, for a staff member: audited like a transcript."""
    flag = flag_get_for_staff(staff=staff, flag_id=flag_id)
    audit_record(actor=staff, action="flag.read", target_type="flag", target_id=flag.pk, flag_id=flag.pk, now=now)
    return flag


def held_messages_for_staff(conversation_id: int):
    """Messages screening kept from their recipient, for the reviewer of the conversation's case."""
    from safety.models import HeldMessage

    return list(HeldMessage.objects.filter(conversation_id=conversation_id).order_by("created_at", "id"))


def flag_get_for_staff(*, staff, flag_id: int, for_update: bool = False) -> SafetyFlag:
    if not is_safety_staff(staff):
        raise NotFoundOrForbidden()
    queryset = SafetyFlag.objects.select_related("conversation__topic", "claimed_by", "acknowledged_by")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    flag = queryset.filter(pk=flag_id).first()
    if flag is None:
        raise NotFoundOrForbidden()
    return flag


def conversation_get_for_staff(
    *, staff, conversation_id: int, purpose: str, flag_id: int | None = None, for_update: bool = False, now=None
) -> Conversation:
    """The conversation, for a safety-staff member, only if a flag or report concerns it.

    Every successful access writes an audit record (who, what for, when) in
    the caller's transaction. Raises ``NotFoundOrForbidden`` — the same way
    whether the conversation does not exist, the caller is not safety staff,
    or nothing was flagged or reported — so staff cannot browse chats.
    """
    if purpose not in STAFF_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if not is_safety_staff(staff):
        raise NotFoundOrForbidden()
    queryset = Conversation.objects.select_related("seeker", "listener", "topic")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    conversation = queryset.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFoundOrForbidden()
    flagged = SafetyFlag.objects.filter(conversation_id=conversation.pk).exists()
    reported = Report.objects.filter(conversation_id=conversation.pk).exists()
    if not flagged and not reported:
        raise NotFoundOrForbidden()
    if flag_id is None:
        flag_id = (
            SafetyFlag.objects.filter(conversation_id=conversation.pk)
            .order_by("-created_at")
            .values_list("pk", flat=True)
            .first()
        )
    audit_record(
        actor=staff,
        action=f"conversation.{purpose}",
        target_type="conversation",
        target_id=conversation.pk,
        flag_id=flag_id,
        now=now,
    )
    return conversation


#: Reads what a flag raised in a group room is about, for safety staff: ``reader(staff=..., flag=...)``
#: returns the room, the messages around the flagged one and the flag, and audits the read. The rooms
#: app registers it in ``RoomsConfig.ready()``: rooms sit above safety.
_room_context_reader = None


def room_context_reader_register(reader) -> None:
    global _room_context_reader
    if _room_context_reader is not None and _room_context_reader is not reader:
        raise ImproperlyConfigured("A second reader of room flags' context was registered.")
    _room_context_reader = reader


def room_context_get_for_staff(*, staff, flag: SafetyFlag) -> dict:
    """What a flag raised in a group room is about, for safety staff (``rooms.selectors``).
    Raises ``NotFoundOrForbidden`` for anyone else or a flag not raised in a room."""
    if _room_context_reader is None:
        raise ImproperlyConfigured("No reader of room flags' context is registered (rooms' ready() registers it).")
    return _room_context_reader(staff=staff, flag=flag)


def flagged_seqs(conversation_id: int) -> set[int]:
    """Sequence numbers of messages that a flag or a report points at."""
    seqs = set(
        SafetyFlag.objects.filter(conversation_id=conversation_id, message__isnull=False).values_list(
            "message__seq", flat=True
        )
    )
    seqs.update(
        Report.objects.filter(conversation_id=conversation_id, message__isnull=False).values_list(
            "message__seq", flat=True
        )
    )
    return seqs


def transcript(conversation: Conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation).select_related("sender").order_by("seq"))


def staff_conversation_ids(staff_id: int) -> list[int]:
    """Open conversations a staff member has joined (their socket rejoins them on connect)."""
    return list(
        StaffParticipation.objects.filter(
            staff_id=staff_id, conversation__status__in=["waiting", "active"]
        ).values_list("conversation_id", flat=True)
    )


def reports_for_reporter(reporter) -> list[Report]:
    return list(Report.objects.select_related("flag").filter(reporter=reporter).order_by("-created_at", "-id")[:100])


#: How much of a person's past a reviewer sees beside one item (newest first).
PERSON_HISTORY_LIMIT = 50


def person_history_read_by_staff(*, staff, flag_id: int, now=None) -> dict:
    """The earlier cases, reports about them and sanctions of the person an item is about: audited.

    Returns ``{"flag", "subject", "cases", "reports", "sanctions"}``; ``subject`` is None (and the
    lists empty) when the item names nobody (the account was deleted). The current case is not among
    ``cases``. Raises ``NotFoundOrForbidden`` like every staff read.
    """
    flag = flag_get_for_staff(staff=staff, flag_id=flag_id)
    subject = flag.subject
    history = {"flag": flag, "subject": subject, "cases": [], "reports": [], "sanctions": []}
    if subject is not None:
        history["cases"] = list(
            SafetyFlag.objects.filter(subject=subject)
            .exclude(pk=flag.pk)
            .order_by("-created_at", "-id")[:PERSON_HISTORY_LIMIT]
        )
        history["reports"] = list(
            Report.objects.select_related("message")
            .filter(subject=subject)
            .order_by("-created_at", "-id")[:PERSON_HISTORY_LIMIT]
        )
        history["sanctions"] = list(
            Sanction.objects.select_related("created_by")
            .filter(subject=subject)
            .order_by("-created_at", "-id")[:PERSON_HISTORY_LIMIT]
        )
    audit_record(
        actor=staff,
        action="person.history",
        target_type="user" if subject is not None else "flag",
        target_id=subject.pk if subject is not None else flag.pk,
        flag_id=flag.pk,
        now=now,
        data={
            "cases": [case.pk for case in history["cases"]],
            "reports": [r.pk for r in history["reports"]],
            "sanctions": [sanction.pk for sanction in history["sanctions"]],
        },
    )
    return history


def risk_open_for_conversations(conversation_ids) -> dict[int, int]:
    """Per conversation, the level of its open case about the seeker when that is elevated or worse.

    The state a reloaded page rebuilds: the seeker's crisis resources, the listener's guidance.
    A case about the listener's conduct is not the seeker's risk and is left out; a resolved case
    means the safety team has dealt with it. One query for all of ``conversation_ids``.
    """
    ids = list(conversation_ids)
    if not ids:
        return {}
    rows = (
        SafetyFlag.objects.filter(conversation_id__in=ids, subject_role="seeker", level__gte=ALERT_MIN_LEVEL)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("conversation_id", "level")
    )
    risk: dict[int, int] = {}
    for conversation_id, level in rows:
        risk[conversation_id] = max(level, risk.get(conversation_id, 0))
    return risk


def socket_state_risk_and_warnings(user, state) -> None:
    """A chat socket's ``hello.risk`` and ``hello.warnings``, so a reloaded page shows the crisis
    resources, the listener's guidance and the warnings in force again. Registered with
    ``chat.selectors.socket_state_reader_register`` in ``SafetyConfig.ready()``."""
    if state.conversation_ids and (user.is_seeker or user.is_listener):
        state.risk = _risk_for(user, state.conversations)
    if user.is_seeker or user.is_listener:
        state.warnings = [warning_payload(sanction) for sanction in warnings_in_force(user.pk)]


def _risk_for(user, conversations: list[dict]) -> list[dict]:
    """The open conversations whose seeker is at elevated risk or worse, or was sent the crisis lines
    by their listener, as ``hello.risk`` says it: a seeker's page shows the crisis resources again,
    a listener's console the guidance and that the lines were sent."""
    ids = [conversation["id"] for conversation in conversations]
    levels = risk_open_for_conversations(ids)
    shared = resources_shared_in(ids)
    role = "listener" if user.is_listener else "seeker"
    return [
        risk_payload(
            conversation_id=conversation["id"],
            level=levels.get(conversation["id"]),
            role=role,
            shared=conversation["id"] in shared,
        )
        for conversation in conversations
        if (conversation["id"] in levels or conversation["id"] in shared) and conversation["your_role"] == role
    ]


def blocked_pairs(seeker_ids) -> set[tuple[int, int]]:
    """(seeker, listener) pairs where either blocked the other.

    A block follows the device: it also covers the seeker's other accounts
    seen on the same device cookie (``DeviceLink``), so logging out and
    starting a fresh anonymous session does not bring the seeker back to a
    listener who blocked them (or whom they blocked). Two statements whatever
    the number of seekers.
    """
    seeker_ids = set(seeker_ids)
    if not seeker_ids:
        return set()
    # Every account sharing a device with one of these seekers, and which of them it stands for.
    linked = DeviceLink.objects.filter(
        device_hash__in=DeviceLink.objects.filter(user_id__in=seeker_ids).values("device_hash")
    ).values_list("user_id", "device_hash")
    accounts_by_device: dict[str, set[int]] = {}
    for user_id, device in linked:
        accounts_by_device.setdefault(device, set()).add(user_id)
    stands_for: dict[int, set[int]] = {seeker_id: {seeker_id} for seeker_id in seeker_ids}
    for accounts in accounts_by_device.values():
        mine = accounts & seeker_ids
        for account in accounts:
            stands_for.setdefault(account, set()).update(mine)
    accounts = set(stands_for)
    pairs = set()
    for blocker, blocked in Block.objects.filter(Q(blocker_id__in=accounts) | Q(blocked_id__in=accounts)).values_list(
        "blocker_id", "blocked_id"
    ):
        for account, other in ((blocker, blocked), (blocked, blocker)):
            for seeker_id in stands_for.get(account, ()):
                pairs.add((seeker_id, other))
                pairs.add((other, seeker_id))
    return pairs


def blocked_for_seeker(seeker_id: int) -> set[int]:
    """The users blocked by or blocking ``seeker_id`` or any account on the same device, in one
    statement (``blocked_pairs`` for one seeker, for the request path)."""
    accounts = DeviceLink.objects.filter(
        device_hash__in=DeviceLink.objects.filter(user_id=seeker_id).values("device_hash")
    ).values("user_id")
    mine = Q(blocker_id=seeker_id) | Q(blocker_id__in=accounts)
    theirs = Q(blocked_id=seeker_id) | Q(blocked_id__in=accounts)
    others = set()
    for blocker, blocked, blocker_mine, blocked_mine in (
        Block.objects.filter(mine | theirs)
        .annotate(
            blocker_mine=ExpressionWrapper(mine, output_field=BooleanField()),
            blocked_mine=ExpressionWrapper(theirs, output_field=BooleanField()),
        )
        .values_list("blocker_id", "blocked_id", "blocker_mine", "blocked_mine")
    ):
        if blocker_mine:
            others.add(blocked)
        if blocked_mine:
            others.add(blocker)
    return others


def resources_shared_in(conversation_ids) -> set[int]:
    """The conversations among ``conversation_ids`` whose listener has sent the seeker the crisis lines.

    ``resources_share_by_listener`` writes the seeker's transcript line each time (at most one per
    few minutes), so the line is the record: a reloaded page shows the lines as sent, with or
    without a safety case. One query for all of ``conversation_ids``.
    """
    ids = list(conversation_ids)
    if not ids:
        return set()
    rows = Message.objects.filter(
        conversation_id__in=ids, kind=MessageKind.SYSTEM, for_role="seeker", text=RESOURCES_SHARED
    ).values_list("conversation_id", flat=True)
    return set(rows.distinct())
