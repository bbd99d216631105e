"""Graduated sanctions: warning, temporary mute, suspension (listeners), ban (seekers).

Each is taken on a review item (a flag) by the reviewer holding it, is
audited, marks the item "action taken", and has an expiry or a review date.
Expired suspensions and bans are lifted by ``sanctions_expire``; ones with
only a review date stay until staff lift them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, ConversationStatus, EndReason, Offer, OfferStatus
from listeners.models import ListenerProfile, suspended_listener_q
from listeners.services import listener_decide, listener_reinstate, listener_suspend
from safety.audit import audit_record
from safety.frames import warning_frame
from safety.models import DeviceBan, DeviceLink, EmergencyCall, SafetyFlag, Sanction, SanctionKind
from safety.payloads import iso
from safety.selectors import flag_get_for_staff
from safety.services import flag_for_action
from support.errors import DomainError, NotFoundOrForbidden
from support.models import Role
from support.roles import can_manage_listeners, is_safety_staff
from support.session_events import user_access_revoke

MUTED_TEXT = "You can't send messages for a while after a decision by the Hearth safety team."
NO_TARGET = "There's no {target} in this conversation to act on."
NOT_A_LISTENER = "Suspension applies to listeners; this person isn't one."
NOT_A_SEEKER = "A ban applies to seekers; this person isn't one."
NEEDS_END = "Give an end date ('until') or a review date ('review_at') in the future."
BAD_MINUTES = "Mute for 1 to {max} minutes."


def _target_user(flag: SafetyFlag, target: str):
    """``seeker`` or ``listener`` of the flagged conversation, also after the listener left it."""
    conversation = flag.conversation
    if target not in ("seeker", "listener"):
        raise DomainError("invalid_field", "'target' is 'seeker' or 'listener'.", field="target")
    if conversation is None:
        user = flag.subject
        if user is None or user.role != target:
            raise DomainError("invalid_target", NO_TARGET.format(target=target))
        return user
    if target == "seeker":
        return conversation.seeker
    if conversation.listener_id:
        return conversation.listener
    # Handed over or transferred: the listener the flag is about, else the last one matched
    # (every match accepts an offer), whether or not they wrote.
    subject = flag.subject
    if subject is not None and subject.role == "listener":
        return subject
    last_match = (
        Offer.objects.filter(request__conversation=conversation, status=OfferStatus.ACCEPTED)
        .select_related("listener")
        .order_by("-answered_at", "-pk")
        .first()
    )
    if last_match is None:
        raise DomainError("invalid_target", NO_TARGET.format(target=target))
    return last_match.listener


def _end_dates(*, until, review_at, now) -> tuple:
    if until is None and review_at is None:
        raise DomainError("invalid_field", NEEDS_END, field="until")
    for name, value in (("until", until), ("review_at", review_at)):
        if value is not None and value <= now:
            raise DomainError("invalid_field", NEEDS_END, field=name)
    return until, review_at


def _record(
    *, staff, flag: SafetyFlag, subject, kind: str, note: str, now, expires_at=None, review_at=None
) -> Sanction:
    sanction = Sanction.objects.create(
        subject=subject,
        kind=kind,
        flag=flag,
        note=note,
        created_by=staff,
        created_at=now,
        expires_at=expires_at,
        review_at=review_at,
    )
    flag.action_taken = True
    flag.save(update_fields=["action_taken"])
    audit_record(
        actor=staff,
        action=f"sanction.{kind}",
        target_type="user",
        target_id=subject.pk,
        flag_id=flag.pk,
        note=note,
        data={"sanction": sanction.pk, "expires_at": iso(expires_at), "review_at": iso(review_at)},
        now=now,
    )
    return sanction


def _note(note) -> str:
    if not isinstance(note, str) or not note.strip():
        raise DomainError("note_required", "Write a note saying why.", field="note")
    if len(note) > 2000:
        raise DomainError("note_too_long", "The note is limited to 2000 characters.", field="note")
    return note.strip()


def sanction_warn(*, staff, flag_id: int, target: str, note: str, now=None) -> Sanction:
    """Warn the seeker or listener of a flagged chat; they see the warning on their sockets."""
    from chat.events import user_event

    now = now or timezone.now()
    note = _note(note)
    with transaction.atomic():
        flag = flag_for_action(staff=staff, flag_id=flag_id, now=now)
        subject = _target_user(flag, target)
        sanction = _record(
            staff=staff,
            flag=flag,
            subject=subject,
            kind=SanctionKind.WARNING,
            note=note,
            now=now,
            expires_at=now + timedelta(days=settings.SAFETY_WARNING_DAYS),
        )
        user_event(subject.pk, warning_frame(sanction))
        return sanction


def sanction_mute(*, staff, flag_id: int, target: str, minutes: int, note: str, now=None) -> Sanction:
    """Refuse the user's chat messages (error ``muted``) for ``minutes``."""
    from chat.events import user_event

    now = now or timezone.now()
    note = _note(note)
    maximum = settings.SAFETY_MUTE_MAX_MINUTES
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= maximum:
        raise DomainError("invalid_field", BAD_MINUTES.format(max=maximum), field="minutes")
    with transaction.atomic():
        flag = flag_for_action(staff=staff, flag_id=flag_id, now=now)
        subject = _target_user(flag, target)
        until = now + timedelta(minutes=minutes)
        sanction = _record(
            staff=staff, flag=flag, subject=subject, kind=SanctionKind.MUTE, note=note, now=now, expires_at=until
        )
        user_event(subject.pk, {"type": "safety.muted", "until": iso(until), "text": MUTED_TEXT})
        return sanction


def sanction_suspend_listener(*, staff, flag_id: int, note: str, until=None, review_at=None, now=None) -> Sanction:
    """Suspend the flagged chat's listener: out of the pool now (shift ended, chats requeued, sockets closed)."""
    now = now or timezone.now()
    note = _note(note)
    until, review_at = _end_dates(until=until, review_at=review_at, now=now)
    with transaction.atomic():
        flag = flag_for_action(staff=staff, flag_id=flag_id, now=now)
        subject = _target_user(flag, "listener")
        if subject.role != Role.LISTENER:
            raise DomainError("invalid_target", NOT_A_LISTENER)
        sanction = _record(
            staff=staff,
            flag=flag,
            subject=subject,
            kind=SanctionKind.SUSPENSION,
            note=note,
            now=now,
            expires_at=until,
            review_at=review_at,
        )
        _listener_suspend(staff=staff, listener=subject, note=note, now=now)
        return sanction


def _listener_suspend(*, staff, listener, note: str, now) -> None:
    """Through the listener program's decision (recorded there) when this staff member may make
    it; else the same suspension without a decision record (``listeners.services.listener_suspend``)."""
    profile = ListenerProfile.objects.select_for_update().filter(user_id=listener.pk).first()
    if profile is None or profile.is_suspended:
        return
    if can_manage_listeners(staff) and staff.pk != listener.pk:
        listener_decide(staff=staff, listener_id=listener.pk, action="suspend", note=note[:1000], now=now)
        return
    listener_suspend(listener=listener, profile=profile, now=now)


def sanction_ban_seeker(*, staff, flag_id: int, note: str, until=None, review_at=None, now=None) -> Sanction:
    """Ban the flagged chat's seeker: account inactive, this browser barred from new anonymous
    sessions, open chats closed, every socket closed (4410 ``banned``)."""
    from chat.services.conversations import conversation_close

    now = now or timezone.now()
    note = _note(note)
    until, review_at = _end_dates(until=until, review_at=review_at, now=now)
    with transaction.atomic():
        flag = flag_for_action(staff=staff, flag_id=flag_id, now=now)
        subject = _target_user(flag, "seeker")
        if subject.role != Role.SEEKER:
            raise DomainError("invalid_target", NOT_A_SEEKER)
        sanction = _record(
            staff=staff,
            flag=flag,
            subject=subject,
            kind=SanctionKind.BAN,
            note=note,
            now=now,
            expires_at=until,
            review_at=review_at,
        )
        type(subject).objects.filter(pk=subject.pk).update(is_active=False)
        for device_hash in DeviceLink.objects.filter(user=subject).values_list("device_hash", flat=True).distinct():
            DeviceBan.objects.create(device_hash=device_hash, sanction=sanction, created_at=now, expires_at=until)
        for conversation in (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("seeker", "listener")
            .filter(seeker=subject, status__in=[ConversationStatus.WAITING, ConversationStatus.ACTIVE])
        ):
            conversation_close(conversation, reason=EndReason.STAFF_ENDED, now=now)
        user_access_revoke(user_id=subject.pk, reason="banned")
        return sanction


def sanction_lift(*, staff, sanction_id: int, note: str, now=None) -> Sanction:
    """Staff end a sanction early (or at its review date). Audited."""
    now = now or timezone.now()
    note = _note(note)
    if not is_safety_staff(staff):
        raise NotFoundOrForbidden()
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().select_related("subject").filter(pk=sanction_id).first()
        if sanction is None:
            raise NotFoundOrForbidden()
        if sanction.lifted_at is not None:
            return sanction
        _lift(sanction, actor=staff, note=note, now=now)
        return sanction


def _lift(sanction: Sanction, *, actor, note: str, now) -> None:
    sanction.lifted_at = now
    sanction.save(update_fields=["lifted_at"])
    DeviceBan.objects.filter(sanction=sanction).update(expires_at=now)
    still = Sanction.objects.filter(subject_id=sanction.subject_id, kind=sanction.kind, lifted_at__isnull=True).exclude(
        pk=sanction.pk
    )
    if sanction.kind == SanctionKind.BAN and not still.exists():
        type(sanction.subject).objects.filter(pk=sanction.subject_id).update(is_active=True)
    if sanction.kind == SanctionKind.SUSPENSION and not still.exists():
        profile = (
            ListenerProfile.objects.select_for_update()
            .filter(suspended_listener_q(), user_id=sanction.subject_id)
            .first()
        )
        if profile is not None:
            listener_reinstate(profile=profile)
    audit_record(
        actor=actor,
        action=f"sanction.lift_{sanction.kind}",
        target_type="user",
        target_id=sanction.subject_id,
        flag_id=sanction.flag_id,
        note=note,
        data={"sanction": sanction.pk},
        now=now,
    )


def sanctions_expire(*, now=None) -> int:
    """Lift suspensions and bans whose end date has passed (scheduled job; rows claimed with skip_locked)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Sanction.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subject")
            .filter(kind__in=[SanctionKind.SUSPENSION, SanctionKind.BAN], lifted_at__isnull=True, expires_at__lte=now)[
                :100
            ]
        )
        for sanction in due:
            _lift(sanction, actor=None, note="Ended on its expiry date.", now=now)
    return len(due)


def emergency_call_record(*, staff, flag_id: int, contacted: str, reference: str, note: str, now=None) -> EmergencyCall:
    """Record a call to emergency services or another outside body. Any safety-staff member may
    record one on an unresolved item (emergencies don't wait for a claim)."""
    from safety.models import FlagStatus

    now = now or timezone.now()
    note = _note(note)
    if not isinstance(contacted, str) or not contacted.strip() or len(contacted) > 200:
        raise DomainError("invalid_field", "Say who was contacted (up to 200 characters).", field="contacted")
    if not isinstance(reference, str) or len(reference) > 200:
        raise DomainError("invalid_field", "The reference is up to 200 characters.", field="reference")
    with transaction.atomic():
        flag = flag_get_for_staff(staff=staff, flag_id=flag_id, for_update=True)
        if flag.status == FlagStatus.RESOLVED:
            raise DomainError("already_resolved", "This item has already been resolved.", status=409)
        call = EmergencyCall.objects.create(
            flag=flag,
            recorded_by=staff,
            contacted=contacted.strip(),
            reference=reference.strip(),
            note=note,
            created_at=now,
        )
        flag.action_taken = True
        flag.save(update_fields=["action_taken"])
        audit_record(
            actor=staff,
            action="emergency_call.record",
            target_type="flag",
            target_id=flag.pk,
            flag_id=flag.pk,
            note=note,
            data={"contacted": call.contacted, "reference": call.reference},
            now=now,
        )
        return call
