"""Writes for safety: flags, the alerts they raise, and staff work on flags and in chats.

Every function here that writes runs in ``transaction.atomic()``; real-time
events and emails leave only after commit. The database is the truth for
alerts: an unacknowledged flag is re-sent by ``alerts_renotify`` until a
person acknowledges it, so a lost event or a closed laptop loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from chat.dispatch import requests_dispatch_after_commit
from chat.events import user_event
from chat.models import Conversation, ConversationStatus, Message, MessageKind
from listeners.models import ListenerProfile
from safety.audit import audit_record
from safety.classifier import Level
from safety.frames import RESOURCES_SHARED, resources_frame
from safety.links import flag_link
from safety.models import FlagSource, FlagStatus, HeldMessage, SafetyFlag, StaffParticipation
from safety.payloads import alert_payload, level_label
from safety.screening import UNSCREENED_REASON, verdict_for
from safety.selectors import (
    ALERT_MIN_LEVEL,
    conversation_get_for_staff,
    flag_get_for_staff,
    safety_staff_users,
    staff_online,
)
from support.errors import DomainError
from support.events import send_event_on_commit
from support.models import Role

logger = logging.getLogger("hearth.safety")

STAFF_GROUP = "safety.staff"
EXCERPT_CHARS = 200
UNSCREENED = "unscreened"  # a category: the assessor could not judge the text
MAX_LISTENER_NOTE = 300
MAX_RESOLUTION_NOTE = 2000

STAFF_JOINED = "A member of the Hearth safety team has joined"
STAFF_TOOK_OVER = (
    "Your listener has handed this conversation to a member of the Hearth safety team, who is here with you now."
)
ONLY_LISTENER_FLAGS = "Only the listener in this chat can raise it with the safety team."
RESOURCES_LINE_EVERY_SECONDS = 300  # at most one "your listener sent you crisis lines" line per this long
ONLY_LISTENER_SHARES = "Only the listener in this chat can send the seeker crisis resources."
NOTE_TOO_LONG = f"The note is limited to {MAX_LISTENER_NOTE} characters."
ALREADY_RESOLVED = "This item has already been resolved."
ALREADY_CLAIMED = "Another reviewer has already claimed this item."
NOTE_REQUIRED = "Write a note saying what was done and why."
NOT_JOINED = "Join the conversation first."
CONVERSATION_ENDED = "This chat has ended."
NOT_ACTIVE = "This chat has no listener to hand over from."

__all__ = [
    "STAFF_GROUP",
    "alert_payload",
    "case_raise",
    "flag_create_for_message",
    "flag_create_for_request_note",
    "flag_create_for_rating_comment",
    "message_hold",
    "flag_create_by_listener",
    "resources_share_by_listener",
    "alert_acknowledge",
    "flag_claim",
    "flag_resolve",
    "alerts_renotify",
    "staff_conversation_join",
    "staff_message_send",
    "staff_conversation_handoff",
    "flag_create_for_seeker_gone",
]


# --- alerts -----------------------------------------------------------------
def _topic_slug(flag: SafetyFlag) -> str | None:
    conversation = flag.conversation
    return conversation.topic.slug if conversation is not None and conversation.topic_id else None


def _alert_event(flag: SafetyFlag, frame_type: str) -> None:
    """Send the alert to every connected staff socket (after commit)."""
    payload = alert_payload(flag, topic_slug=_topic_slug(flag), now=timezone.now())
    send_event_on_commit(STAFF_GROUP, {"type": "deliver", "frame": {"type": frame_type, "alert": payload}})


def _email_on_commit(flag: SafetyFlag, recipients: list[str], *, round_: int) -> None:
    """Email an alert after commit. No message text leaves the platform: level, categories and a link only."""
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return
    subject = f"[Hearth] Safety alert #{flag.pk}: {level_label(flag.level)} risk — please respond"
    body = (
        f"A conversation on Hearth needs the safety team.\n\n"
        f"Alert: #{flag.pk}\nLevel: {level_label(flag.level)}\nCategories: {', '.join(flag.categories) or '-'}\n"
        f"Raised: {flag.created_at:%Y-%m-%d %H:%M} UTC ({flag.get_source_display()})\nNotification round: {round_}\n\n"
        f"Open the staff console and acknowledge it: {flag_link(flag.pk)}\n"
    )

    def send():
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        except Exception:  # the alert stays unacknowledged and is re-sent next round
            logger.exception("safety alert email for flag %s failed", flag.pk)

    transaction.on_commit(send)


def _alert_new(flag: SafetyFlag, *, now, room=None, room_message=None) -> None:
    """Round 1 for a new alert-level flag: every staff socket; email too if no staff socket is connected."""
    if flag.level < ALERT_MIN_LEVEL:
        return
    if room is not None:
        alert = alert_payload(flag, topic_slug=room.topic.slug, now=now, room_message=room_message)
        send_event_on_commit(STAFF_GROUP, {"type": "deliver", "frame": {"type": "alert.created", "alert": alert}})
    else:
        _alert_event(flag, "alert.created")
    if not staff_online(now=now):
        _email_on_commit(flag, list(settings.SAFETY_ALERT_EMAILS), round_=1)


def _mark_safety_case(conversation: Conversation) -> None:
    if not conversation.has_safety_case:
        Conversation.objects.filter(pk=conversation.pk).update(has_safety_case=True)
        conversation.has_safety_case = True


def _case_open_for(*, conversation_id: int | None, room_id: int | None, subject_id: int | None):
    """The open case of this conversation (or of this member in this group room), locked; None when there is none."""
    cases = SafetyFlag.objects.select_for_update(of=("self",))
    if conversation_id is not None:
        cases = cases.filter(conversation_id=conversation_id)
    elif room_id is not None:
        cases = cases.filter(conversation__isnull=True, subject_id=subject_id, room_messages__room_id=room_id)
    else:
        return None
    return cases.exclude(status=FlagStatus.RESOLVED).order_by("created_at").first()


def case_raise(
    *,
    conversation,
    subject,
    subject_role: str,
    source: str,
    level: int,
    categories,
    reason: str,
    excerpt: str,
    message=None,
    room=None,
    room_message=None,
    paused_listener=None,
    now=None,
) -> tuple[SafetyFlag, bool]:
    """Open a case, or attach to the open one: one case per conversation (per member in a group room).

    The case's subject is whoever wrote the most serious text so far. For a group room, ``room`` and
    the ``room_message`` being flagged name the room in the alert; the caller links the message to
    the returned case.

    Returns ``(flag, created)``. A text that attaches raises the case's level if it is
    higher, adds its categories, and re-alerts staff only when the level rose (the case is
    then unacknowledged again, so re-notifying starts over). Must run in the caller's
    transaction; locks the open case's row.
    """
    assert transaction.get_connection().in_atomic_block, "case_raise needs the caller's transaction"
    now = now or timezone.now()
    categories = set(categories)
    case = _case_open_for(
        conversation_id=conversation.pk if conversation else None,
        room_id=room.pk if room else None,
        subject_id=subject.pk if subject else None,
    )
    if case is None:
        case = SafetyFlag.objects.create(
            conversation=conversation,
            message=message,
            subject=subject,
            subject_role=subject_role,
            source=source,
            level=int(level),
            categories=sorted(categories),
            reason=reason[:300],
            excerpt=excerpt[:EXCERPT_CHARS],
            last_notified_at=now,
            notify_round=1,
            paused_listener=paused_listener,
        )
        if conversation is not None and case.level >= ALERT_MIN_LEVEL:
            _mark_safety_case(conversation)
        _alert_new(case, now=now, room=room, room_message=room_message)
        return case, True
    fields = ["texts_attached", "categories"]
    case.texts_attached += 1
    case.categories = sorted(set(case.categories) | categories)
    if paused_listener is not None and case.paused_listener_id is None:
        case.paused_listener = paused_listener
        fields.append("paused_listener")
    if int(level) > case.level:
        case.level = int(level)
        case.subject, case.subject_role = subject, subject_role
        case.reason = reason[:300]
        case.excerpt = excerpt[:EXCERPT_CHARS]
        case.acknowledged_at = None
        case.acknowledged_by = None
        case.last_notified_at = now
        case.notify_round = 1
        fields += [
            "level",
            "subject",
            "subject_role",
            "reason",
            "excerpt",
            "acknowledged_at",
            "acknowledged_by",
            "last_notified_at",
            "notify_round",
        ]
        if message is not None:
            case.message = message
            fields.append("message")
        case.save(update_fields=fields)
        if conversation is not None and case.level >= ALERT_MIN_LEVEL:
            _mark_safety_case(conversation)
        _alert_new(case, now=now, room=room, room_message=room_message)
    else:
        case.save(update_fields=fields)
        _flag_updated(case)
    return case, False


def _listener_offers_pause(listener_id: int) -> None:
    """No offers to this listener until a reviewer resolves the case that paused them."""
    ListenerProfile.objects.filter(user_id=listener_id).update(held_for_review=True)
    user_event(listener_id, {"type": "listener.review_hold", "held": True})


def _listener_offers_resume_if_clear(listener_id: int) -> None:
    still_paused = (
        SafetyFlag.objects.filter(paused_listener_id=listener_id).exclude(status=FlagStatus.RESOLVED).exists()
    )
    if not still_paused:
        ListenerProfile.objects.filter(user_id=listener_id, held_for_review=True).update(held_for_review=False)
        user_event(listener_id, {"type": "listener.review_hold", "held": False})
        requests_dispatch_after_commit()


def flag_categories(screening) -> list[str]:
    categories = {category.value for category in screening.assessment.categories}
    if screening.unscreened:
        categories.add(UNSCREENED)
    return sorted(categories)


def flag_create_for_message(*, message, conversation, screening, verdict, now=None) -> SafetyFlag:
    """Record a delivered chat message's flag on its conversation's case; must run in the message's transaction.

    The flag and the message commit together or not at all. A seeker at risk goes to the
    front of the line if they are waiting. The staff alert is sent after commit (and
    emailed when no staff socket is connected); unacknowledged cases are re-sent by
    ``alerts_renotify``.
    """
    now = now or timezone.now()
    flag, _ = case_raise(
        conversation=conversation,
        subject=message.sender,
        subject_role=message.sender_role,
        source=FlagSource.CLASSIFIER,
        level=verdict.flag_level,
        categories=flag_categories(screening),
        reason=screening.assessment.reason or UNSCREENED_REASON,
        excerpt=screening.text,
        message=message,
        now=now,
    )
    if message.sender_role == "seeker" and screening.at_risk:
        from chat.services.requests import request_raise_urgent

        request_raise_urgent(seeker_id=message.sender_id)
    return flag


def message_hold(
    *,
    conversation,
    sender,
    sender_role: str,
    client_id: str,
    screening,
    verdict,
    now=None,
) -> tuple[HeldMessage, bool]:
    """Keep a chat message from its recipient: store it for review, flag it on its case, and
    pause the sender's offers when the verdict says so. Returns ``(held, created)``;
    idempotent per ``client_id``. Must run in the caller's transaction."""
    now = now or timezone.now()
    existing = HeldMessage.objects.filter(conversation=conversation, sender=sender, client_id=client_id).first()
    if existing is not None:
        return existing, False
    flag, _ = case_raise(
        conversation=conversation,
        subject=sender,
        subject_role=sender_role,
        source=FlagSource.CLASSIFIER,
        level=verdict.flag_level,
        categories=flag_categories(screening) + ["held"],
        reason=f"held: {screening.assessment.reason or UNSCREENED_REASON}",
        excerpt=screening.text,
        paused_listener=sender if verdict.pause_author and sender_role == "listener" else None,
        now=now,
    )
    if verdict.pause_author and sender_role == "listener":
        _listener_offers_pause(sender.pk)
    held = HeldMessage.objects.create(
        conversation=conversation,
        sender=sender,
        sender_role=sender_role,
        client_id=client_id,
        text=screening.text,
        flag=flag,
        created_at=now,
    )
    return held, True


def flag_create_for_request_note(*, request, screening, now=None) -> SafetyFlag:
    """A request note that speaks of risk counts like such a message: a case with its staff alert,
    and the seeker is shown the crisis resources at once (the request itself is already urgent).
    Must run in the request's transaction."""
    now = now or timezone.now()
    verdict = verdict_for(screening, author_role="seeker")
    flag, _ = case_raise(
        conversation=request.conversation,
        subject=request.seeker,
        subject_role="seeker",
        source=FlagSource.CLASSIFIER,
        level=verdict.flag_level,
        categories=flag_categories(screening),
        reason="In the request note: " + (screening.assessment.reason or "unscreened"),
        excerpt=screening.text,
        now=now,
    )
    if screening.at_risk:
        user_event(
            request.seeker_id,
            resources_frame(
                conversation_id=request.conversation_id,
                level=screening.level,
                age_group=request.seeker.age_group or None,
            ),
        )
    return flag


def flag_create_for_rating_comment(*, rating, conversation, screening) -> SafetyFlag:
    """A worrying rating comment joins the seeker's case in that conversation, with the alert a message gets.
    Must run in the rating's transaction."""
    flag, _ = case_raise(
        conversation=conversation,
        subject=rating.seeker,
        subject_role="seeker",
        source=FlagSource.CLASSIFIER,
        level=screening.level,
        categories=[category.value for category in screening.assessment.categories],
        reason="In a rating comment: " + screening.assessment.reason,
        excerpt=screening.text,
    )
    return flag


SEEKER_GONE_REASON = "An at-risk seeker left the line before a listener joined (no connection)."


def flag_create_for_seeker_gone(*, conversation, seeker_id: int, now=None) -> SafetyFlag:
    """A seeker waiting urgently (at risk) lost every connection: staff must not learn of it by silence.

    The fact joins the conversation's case at the level of the seeker's most severe unresolved
    flag (elevated at least). Unlike an ordinary attached text it always alerts again: the case
    is unacknowledged once more and re-notified until a person acknowledges it. Caller holds a
    transaction.
    """
    assert transaction.get_connection().in_atomic_block, "flag_create_for_seeker_gone needs the caller's transaction"
    now = now or timezone.now()
    levels = (
        SafetyFlag.objects.filter(subject_id=seeker_id)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("level", flat=True)
    )
    seeker = conversation.seeker if conversation.seeker_id == seeker_id else None
    flag, created = case_raise(
        conversation=conversation,
        subject=seeker,
        subject_role="seeker",
        source=FlagSource.SYSTEM,
        level=max([int(Level.ELEVATED), *levels]),
        categories=[],
        reason=SEEKER_GONE_REASON,
        excerpt="",
        now=now,
    )
    if not created and flag.acknowledged_at is not None:
        flag.acknowledged_at = None
        flag.acknowledged_by = None
        flag.last_notified_at = now
        flag.notify_round = 1
        flag.save(update_fields=["acknowledged_at", "acknowledged_by", "last_notified_at", "notify_round"])
        _alert_new(flag, now=now)
    return flag


def flag_create_by_listener(*, listener, conversation_id: int, note: str = "", now=None) -> tuple[SafetyFlag, bool]:
    """A listener raises their chat with the safety team. Returns (flag, duplicate).

    Only the conversation's listener may. The flag is the conversation's case about the
    seeker: an open one is returned (``duplicate``) instead of a second. Locks the
    conversation row.
    """
    from chat.selectors import conversation_get_for_participant

    now = now or timezone.now()
    if not isinstance(note, str):
        raise DomainError("invalid_field", "'note' must be a string.", field="note")
    note = note.strip()
    if len(note) > MAX_LISTENER_NOTE:
        raise DomainError("note_too_long", NOTE_TOO_LONG, field="note", limit=MAX_LISTENER_NOTE)
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=listener, conversation_id=conversation_id, for_update=True)
        if conversation.role_of(listener.pk) != "listener":
            raise DomainError("forbidden", ONLY_LISTENER_FLAGS, status=403)
        flag, created = case_raise(
            conversation=conversation,
            subject=conversation.seeker,
            subject_role="seeker",
            source=FlagSource.LISTENER,
            level=int(Level.ELEVATED),
            categories=[],
            reason=note or "Raised by the listener",
            excerpt="",
            now=now,
        )
        return flag, not created


def resources_share_by_listener(*, listener, conversation_id: int, now=None) -> dict:
    """The chat's listener sends the seeker the crisis lines, in one action. Returns the frame sent.

    Only the conversation's listener, while it is active. The lines are chosen as for the seeker's
    own ``safety.resources``: for their age group, emergency services first when their open case is
    imminent (elevated when there is none). The seeker's sockets get ``safety.resources`` with
    ``shared_by: "listener"``, and their transcript a line saying so (for the seeker only), which
    a reload keeps. Locks the conversation row (the line takes the next ``seq``).
    """
    # chat's services screen through safety, so safety reaches them when called, not at import.
    from chat.events import conversation_group
    from chat.selectors import conversation_get_for_participant
    from chat.services.messages import system_message
    from safety.frames import resources_frame
    from safety.selectors import risk_open_for_conversations

    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=listener, conversation_id=conversation_id, for_update=True)
        if conversation.role_of(listener.pk) != "listener":
            raise DomainError("forbidden", ONLY_LISTENER_SHARES, status=403)
        if conversation.status != ConversationStatus.ACTIVE:
            raise DomainError("conversation_ended", CONVERSATION_ENDED)
        level = risk_open_for_conversations([conversation.pk]).get(conversation.pk, int(Level.ELEVATED))
        # Pressing it again at once re-sends the lines but does not fill the transcript with the same line.
        recent = Message.objects.filter(
            conversation=conversation,
            kind=MessageKind.SYSTEM,
            text=RESOURCES_SHARED,
            created_at__gte=now - timedelta(seconds=RESOURCES_LINE_EVERY_SECONDS),
        )
        if not recent.exists():
            system_message(conversation, RESOURCES_SHARED, now=now, for_role="seeker")
        frame = resources_frame(
            conversation_id=conversation.pk, level=level, age_group=conversation.seeker.age_group or None
        )
        frame["shared_by"] = "listener"
        send_event_on_commit(
            conversation_group(conversation.pk),
            {"type": "deliver", "conversation": conversation.pk, "role": "seeker", "frame": frame},
        )
        return frame


def alerts_renotify(*, now=None) -> int:
    """Re-send alerts nobody has acknowledged, widening who hears each round (scheduled job).

    Round 1 (at creation) reached the staff sockets; round 2 adds the
    ``SAFETY_ALERT_EMAILS`` list; round 3 and every later round add every
    active safety-staff user's email. Alerts are never closed automatically.
    Rows are claimed with ``select_for_update(skip_locked=True)`` so several
    processes never send the same round twice.
    """
    from datetime import timedelta

    now = now or timezone.now()
    due_before = now - timedelta(seconds=settings.SAFETY_ALERT_RENOTIFY_SECONDS)
    sent = 0
    with transaction.atomic():
        due = list(
            SafetyFlag.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("conversation__topic", "claimed_by", "acknowledged_by")
            .prefetch_related("room_messages__room__topic")  # a room flag's alert names its room
            .filter(level__gte=ALERT_MIN_LEVEL, acknowledged_at__isnull=True, last_notified_at__lte=due_before)
            .exclude(status=FlagStatus.RESOLVED)
            .order_by("-level", "created_at")[:100]
        )
        staff_emails: list[str] | None = None
        for flag in due:
            flag.notify_round += 1
            flag.last_notified_at = now
            flag.save(update_fields=["notify_round", "last_notified_at"])
            _alert_event(flag, "alert.renotify")
            recipients = list(settings.SAFETY_ALERT_EMAILS)
            if flag.notify_round >= 3:
                if staff_emails is None:
                    staff_emails = [email for email in safety_staff_users().values_list("email", flat=True) if email]
                recipients += staff_emails
            if flag.notify_round >= 2:
                _email_on_commit(flag, recipients, round_=flag.notify_round)
            sent += 1
    return sent


# --- staff work on a flag ---------------------------------------------------
def _flag_updated(flag: SafetyFlag) -> None:
    _alert_event(flag, "alert.updated")


def alert_acknowledge(*, staff, flag_id: int, now=None) -> SafetyFlag:
    """A person has seen the alert: re-notifying stops. Idempotent. Locks the flag row."""
    now = now or timezone.now()
    with transaction.atomic():
        flag = flag_get_for_staff(staff=staff, flag_id=flag_id, for_update=True)
        if flag.acknowledged_at is None:
            flag.acknowledged_at = now
            flag.acknowledged_by = staff
            flag.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit_record(
                actor=staff, action="alert.acknowledge", target_type="flag", target_id=flag.pk, flag_id=flag.pk, now=now
            )
            _flag_updated(flag)
        return flag


def flag_claim(*, staff, flag_id: int, now=None) -> SafetyFlag:
    """Take an item for review. ``select_for_update`` on the flag: of two reviewers, one wins
    and the other gets ``already_claimed`` naming who has it. Claiming acknowledges the alert."""
    now = now or timezone.now()
    with transaction.atomic():
        flag = flag_get_for_staff(staff=staff, flag_id=flag_id, for_update=True)
        if flag.status == FlagStatus.RESOLVED:
            raise DomainError("already_resolved", ALREADY_RESOLVED, status=409)
        if flag.claimed_by_id == staff.pk:
            return flag
        if flag.claimed_by_id is not None:
            raise DomainError("already_claimed", ALREADY_CLAIMED, status=409, claimed_by=flag.claimed_by.alias)
        _claim(flag, staff, now=now)
        return flag


def _claim(flag: SafetyFlag, staff, *, now) -> None:
    flag.status = FlagStatus.CLAIMED
    flag.claimed_by = staff
    flag.claimed_at = now
    fields = ["status", "claimed_by", "claimed_at"]
    if flag.acknowledged_at is None:
        flag.acknowledged_at = now
        flag.acknowledged_by = staff
        fields += ["acknowledged_at", "acknowledged_by"]
    flag.save(update_fields=fields)
    audit_record(actor=staff, action="flag.claim", target_type="flag", target_id=flag.pk, flag_id=flag.pk, now=now)
    _flag_updated(flag)


def flag_for_action(*, staff, flag_id: int, now) -> SafetyFlag:
    """Lock a flag for an action by ``staff``: not resolved, not claimed by someone else
    (an unclaimed item is claimed by whoever acts). Caller holds a transaction."""
    flag = flag_get_for_staff(staff=staff, flag_id=flag_id, for_update=True)
    if flag.status == FlagStatus.RESOLVED:
        raise DomainError("already_resolved", ALREADY_RESOLVED, status=409)
    if flag.claimed_by_id is not None and flag.claimed_by_id != staff.pk:
        raise DomainError("already_claimed", ALREADY_CLAIMED, status=409, claimed_by=flag.claimed_by.alias)
    if flag.claimed_by_id is None:
        _claim(flag, staff, now=now)
    return flag


def flag_resolve(*, staff, flag_id: int, note: str, now=None) -> SafetyFlag:
    """Close a review item with a required note. Locks the flag row."""
    now = now or timezone.now()
    note = (note or "").strip() if isinstance(note, str) else ""
    if not note:
        raise DomainError("note_required", NOTE_REQUIRED, field="note")
    if len(note) > MAX_RESOLUTION_NOTE:
        raise DomainError("note_too_long", f"The note is limited to {MAX_RESOLUTION_NOTE} characters.", field="note")
    with transaction.atomic():
        flag = flag_for_action(staff=staff, flag_id=flag_id, now=now)
        flag.status = FlagStatus.RESOLVED
        flag.resolved_at = now
        flag.resolved_by = staff
        flag.resolution_note = note
        flag.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        audit_record(
            actor=staff,
            action="flag.resolve",
            target_type="flag",
            target_id=flag.pk,
            flag_id=flag.pk,
            note=note,
            now=now,
        )
        _flag_updated(flag)
        if flag.paused_listener_id is not None:
            _listener_offers_resume_if_clear(flag.paused_listener_id)
        return flag


# --- staff in a conversation ------------------------------------------------
def _participation(conversation: Conversation, staff, *, now) -> tuple[StaffParticipation, bool]:
    participation = StaffParticipation.objects.filter(conversation=conversation, staff=staff).first()
    if participation is not None:
        return participation, False
    from chat.services.messages import system_message

    participation = StaffParticipation.objects.create(conversation=conversation, staff=staff, joined_at=now)
    system_message(conversation, STAFF_JOINED, now=now)
    return participation, True


def staff_conversation_join(*, staff, conversation_id: int, now=None) -> tuple[Conversation, list[Message]]:
    """A safety-staff member joins a flagged, open conversation; both participants see a
    system message. Idempotent. Locks the conversation row; audited as ``conversation.join``."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_staff(
            staff=staff, conversation_id=conversation_id, purpose="join", for_update=True, now=now
        )
        if conversation.status == ConversationStatus.ENDED:
            raise DomainError("conversation_ended", CONVERSATION_ENDED)
        _participation(conversation, staff, now=now)
        messages = list(Message.objects.filter(conversation=conversation).select_related("sender").order_by("seq"))
        return conversation, messages


def staff_message_send(*, staff, conversation_id: int, client_id: str, text: str, now=None):
    """A message from a staff member who has joined the conversation (``sender_role: "staff"``).

    Not screened or masked: staff may need to share a phone number for help.
    Idempotent by ``client_id``. Returns ``(message, duplicate)``.
    """
    from chat.services.messages import message_append, validate_client_id, validate_text

    now = now or timezone.now()
    client_id = validate_client_id(client_id)
    text = validate_text(text)
    with transaction.atomic():
        conversation = conversation_get_for_staff(
            staff=staff, conversation_id=conversation_id, purpose="message", for_update=True, now=now
        )
        if not StaffParticipation.objects.filter(conversation=conversation, staff=staff).exists():
            raise DomainError("not_joined", NOT_JOINED)
        existing = Message.objects.filter(conversation=conversation, sender=staff, client_id=client_id).first()
        if existing is not None:
            return existing, True
        if conversation.status == ConversationStatus.ENDED:
            raise DomainError("conversation_ended", CONVERSATION_ENDED)
        message = message_append(
            conversation=conversation,
            text=text,
            kind=MessageKind.TEXT,
            sender=staff,
            sender_role="staff",
            client_id=client_id,
            now=now,
        )
        return message, False


def staff_conversation_handoff(*, staff, conversation_id: int, now=None) -> Conversation:
    """Warm hand-off: staff take over an active chat from its listener.

    The seeker is never dropped: staff join first (if not already), then the
    listener leaves the conversation and its pending transfer is cancelled;
    the chat stays active with the seeker and staff. Locks the conversation row.
    """
    from chat.events import user_leave_conversation
    from chat.services.conversations import conversation_requests_cancel
    from chat.services.messages import system_message
    from chat.services.offers import _idle_if_free
    from listeners.wellbeing import after_conversation_closed

    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_staff(
            staff=staff, conversation_id=conversation_id, purpose="handoff", for_update=True, now=now
        )
        if conversation.status != ConversationStatus.ACTIVE or conversation.listener_id is None:
            raise DomainError("not_active", NOT_ACTIVE, status=409)
        participation, _ = _participation(conversation, staff, now=now)
        participation.took_over_at = now
        participation.save(update_fields=["took_over_at"])
        conversation_requests_cancel(conversation, now=now)
        listener_id = conversation.listener_id
        after_conversation_closed(conversation, now=now)  # the listener's debrief pause after a hard chat
        conversation.listener = None
        conversation.save(update_fields=["listener"])
        system_message(conversation, STAFF_TOOK_OVER, now=now)
        user_leave_conversation(
            listener_id,
            conversation.pk,
            {"type": "conversation.left", "conversation": conversation.pk, "reason": "handoff"},
        )
        _idle_if_free(listener_id, now=now)
        requests_dispatch_after_commit()  # the listener's seat is free
        audit_record(
            actor=staff,
            action="conversation.takeover",
            target_type="conversation",
            target_id=conversation.pk,
            flag_id=_latest_flag_id(conversation.pk),
            now=now,
        )
        return conversation


def staff_conversation_end(*, staff, conversation_id: int, note: str = "", now=None) -> Conversation:
    """A staff member who joined a conversation closes it (reason ``staff_ended``), audited.

    For after a hand-off, when help has been arranged and staff are the
    seeker's only company. Idempotent for an ended chat. Locks the conversation row.
    """
    from chat.models import EndReason
    from chat.services.conversations import conversation_close

    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_staff(
            staff=staff, conversation_id=conversation_id, purpose="end", for_update=True, now=now
        )
        if not StaffParticipation.objects.filter(conversation=conversation, staff=staff).exists():
            raise DomainError("not_joined", NOT_JOINED)
        if conversation.status == ConversationStatus.ENDED:
            return conversation
        conversation_close(conversation, reason=EndReason.STAFF_ENDED, now=now)
        audit_record(
            actor=staff,
            action="conversation.closed",
            target_type="conversation",
            target_id=conversation.pk,
            note=note[:1000],
            flag_id=_latest_flag_id(conversation.pk),
            now=now,
        )
        return conversation


def _latest_flag_id(conversation_id: int) -> int | None:
    return (
        SafetyFlag.objects.filter(conversation_id=conversation_id)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )


def case_raise_for_room_report(*, message, room, screening, now=None) -> SafetyFlag:
    """A room report whose text speaks of risk: the case about the reported member, at the report's level."""
    flag, _ = case_raise(
        conversation=None,
        subject=message.sender,
        subject_role="listener" if message.sender.role == Role.LISTENER else "member",
        source=FlagSource.REPORT,
        level=screening.level,
        categories=flag_categories(screening),
        reason=f"Group room {room.pk}: a report says: {screening.assessment.reason}",
        excerpt=screening.text,
        room=room,
        room_message=message,
        now=now,
    )
    if message.flag_id is None:
        message.flag = flag
        message.save(update_fields=["flag"])
    return flag


def flag_create_for_room_message(*, message, room, screening, verdict, now=None) -> SafetyFlag:
    """Record a held or flagged group-room message on the member's case in that room; must run in
    the message's transaction.

    Room messages are not ``chat.Message`` rows, so the case has no conversation or message; the
    room side links the message to it (``rooms.RoomMessage.flag``). Personal information alone makes
    a case too (held messages must reach review). The alert names the room and the message's ``seq``
    and goes out after commit like a one-to-one alert.
    """
    now = now or timezone.now()
    categories = set(flag_categories(screening))
    if screening.has_personal_info:
        categories.add("personal_info")
    reason = screening.assessment.reason or (
        "Personal information in a group room" if screening.has_personal_info else ""
    )
    level = max(verdict.flag_level, screening.level if screening.at_risk else 0)
    flag, _ = case_raise(
        conversation=None,
        subject=message.sender,
        subject_role="listener" if message.sender.role == Role.LISTENER else "member",
        source=FlagSource.CLASSIFIER,
        level=level,
        categories=categories,
        reason=f"Group room {room.pk}: {reason}",
        excerpt=screening.text,
        room=room,
        room_message=message,
        paused_listener=message.sender if verdict.pause_author and message.sender.role == Role.LISTENER else None,
        now=now,
    )
    if verdict.pause_author and message.sender.role == Role.LISTENER:
        _listener_offers_pause(message.sender_id)
    return flag
