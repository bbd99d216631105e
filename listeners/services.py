"""Writes for the listener program: applications, staff decisions, shifts and profiles.

Training attempts live in ``listeners.training``, ratings and favourites in
``listeners.feedback``. Lock order, everywhere a listener's rows are locked:
``ListenerProfile`` → ``DispatchLock`` → the listener's pending ``Offer`` rows
(by id) → their open ``Shift`` → ``ChatRequest`` → ``Conversation``.
``chat.services.offers.offer_accept`` takes offer → shift → request →
conversation, the same relative order, so an accept racing a shift end
serialises instead of deadlocking.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from chat.dispatch import requests_dispatch_after_commit
from chat.events import user_event
from chat.screener import message_screener
from listeners.models import (
    DecisionAction,
    ListenerDecision,
    ListenerProfile,
    ListenerStatus,
    PracticeReply,
    Shift,
    ShiftEndReason,
)
from listeners.practice import practice_replies_screen
from listeners.selectors import shift_payload
from support import ratelimit
from support.errors import DomainError, NotFoundOrForbidden, RateLimited
from support.models import AgeGroup, Role, Topic, User
from support.roles import can_manage_listeners

NOT_A_LISTENER = "Only listeners take shifts."
NOT_TRAINED = "Finish the listener training (and approval) before your first shift."
NOT_APPROVED = "Your application hasn't been approved yet, so you can't take chats."
SUSPENDED = "Your listener account is suspended. Please contact the Hearth team."
ALREADY_ON_SHIFT = "You're already on shift."
NO_TOPICS = "Choose at least one topic for this shift."
BAD_CAPACITY = "Capacity is between 1 and 5 chats at once."
NOT_ON_SHIFT = "You're not on shift."

LISTENER_MINIMUM_AGE = 18
UNDER_LISTENER_AGE = "Thank you for wanting to help. Listeners on Hearth must be 18 or older."
# Why only adults listen: said on the application form and in the refusal, from this one place.
ADULT_ONLY_REASON = (
    "Listeners talk with teenagers and with people in crisis, and only adults can take on that responsibility."
)
ADULT_DECLARATION_REQUIRED = f"Please confirm you are 18 or older. {ADULT_ONLY_REASON}"
USERNAME_TAKEN = "That username is taken."
TOO_MANY_APPLICATIONS = "Too many applications from this network. Please try again later."
ALIAS_TAKEN = "That display name is taken."
INVALID_TRANSITION = "That decision doesn't apply to a listener who is {status}."
TEEN_TRAINING_MISSING = "Teen approval needs the teen-support module to be passed first."
ALREADY_TEEN_APPROVED = "This listener is already approved for teen chats."
NOT_TEEN_APPROVED = "This listener isn't approved for teen chats."
CANNOT_DECIDE_SELF = "Staff can't make decisions about their own listener account."

MAX_BIO_CHARS = 500
MAX_NOTE_CHARS = 1000
_ALIAS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,23}$")
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
# Path segments under /api/v1/listeners/ that an alias must never shadow.
RESERVED_ALIASES = frozenset(
    {"me", "apply", "training", "shift", "shifts", "staff", "admin", "hearth", "safety", "system"}
)


def _invalid(field: str, message: str) -> DomainError:
    return DomainError("invalid", "Some fields need attention.", fields={field: [message]})


def validate_alias(alias: str) -> str:
    """A display alias: 3-24 letters and digits, starting with a letter, few digits (no phone numbers)."""
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
        raise _invalid("alias", "Use 3-24 letters and digits, starting with a letter.")
    if sum(ch.isdigit() for ch in alias) > 4:
        raise _invalid("alias", "Use at most 4 digits, so a display name can't carry a phone number.")
    if alias.lower() in RESERVED_ALIASES or _names_the_team(alias):
        raise _invalid("alias", ALIAS_RESERVED)
    if _profile_text_problem(alias) is not None:
        raise _invalid("alias", ALIAS_NOT_ALLOWED)
    if _too_close_to_a_listener_or_staff(alias):
        raise _invalid("alias", ALIAS_TOO_CLOSE)
    return alias


ALIAS_RESERVED = "That name is reserved: display names can't suggest Hearth's staff or safety team."
ALIAS_TOO_CLOSE = "That display name is too close to another listener's or the team's. Please choose another."
# Words a listener's name must not carry, however spelled: seekers trust them as the team's.
RESERVED_ALIAS_WORDS = (
    "staff",
    "safety",
    "admin",
    "moderator",
    "hearth",
    "official",
    "support",
    "helpline",
    "crisisteam",
)
# Characters people read as one another in a display name (ASCII only: see _ALIAS_RE).
_LOOKALIKES = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "6": "g", "9": "g"}
)


def alias_key(alias: str) -> str:
    """A display name as a reader sees it: case, look-alike digits and letters, rn/m and vv/w folded."""
    return alias.lower().replace("rn", "m").replace("vv", "w").translate(_LOOKALIKES)


def _names_the_team(alias: str) -> bool:
    key = alias_key(alias)
    return key in {"mod", "mods"} or any(alias_key(word) in key for word in RESERVED_ALIAS_WORDS)


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] != b[j]:
            edits += 1
            if edits > 1:
                return False
            if len(a) == len(b):
                i += 1
            j += 1
            continue
        i += 1
        j += 1
    return edits + (len(b) - j) <= 1


def _too_close_to_a_listener_or_staff(alias: str) -> bool:
    """Impersonation: a name one edit (after folding look-alikes) from a listener's or staff member's."""
    key = alias_key(alias)
    names = User.objects.exclude(role=Role.SEEKER).exclude(alias__iexact=alias).values_list("alias", flat=True)
    return any(_within_one_edit(key, alias_key(name)) for name in names.iterator())


ALIAS_NOT_ALLOWED = "Choose a display name without contact details, insults or anything about harm."
BIO_CONTACT = "Leave contact details and links out of your bio: Hearth keeps listeners anonymous too."
BIO_NOT_ALLOWED = (
    "Keep your bio about how you listen: no invitations to contact or meet, nothing sexual, no insults "
    "and nothing about harm."
)


def _profile_text_problem(text: str) -> str | None:
    """What a listener shows every seeker goes through the same screening as their messages:
    ``"contact"`` when it carries contact details, ``"conduct"`` when a message saying it would be
    held or flagged, None when it may be shown."""
    screener = message_screener()
    screening = screener.screen(text=text, sender_role="listener")
    if screening.masked:
        return "contact"
    if screener.verdict(screening, author_role="listener").flag:
        return "conduct"
    return None


def _clean_bio(bio: str) -> str:
    bio = (bio or "").strip()
    if len(bio) > MAX_BIO_CHARS:
        raise _invalid("bio", f"Keep your bio to {MAX_BIO_CHARS} characters.")
    if not bio:
        return bio
    problem = _profile_text_problem(bio)
    if problem is not None:
        raise _invalid("bio", BIO_CONTACT if problem == "contact" else BIO_NOT_ALLOWED)
    return bio


def _topics(slugs) -> list[Topic]:
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        raise _invalid("topics", "A list of topic slugs.")
    topics = list(Topic.objects.filter(slug__in=slugs, is_active=True))
    if len(topics) != len(set(slugs)):
        raise DomainError("unknown_topic", "One of those topics doesn't exist.", field="topics")
    return topics


# --- application --------------------------------------------------------------


def listener_apply(
    *,
    username: str,
    password: str,
    alias: str,
    bio: str,
    topic_slugs: list[str],
    wants_teens: bool,
    age: int,
    adult_declared: bool,
    practice_replies: list[str],
    address: str = "",
    now=None,
) -> User:
    """Create a listener account (role listener) with a pending profile and its practice chat.

    Adults only: under 18 is refused with ``under_listener_age`` (403), and the
    applicant must declare they are 18 or over (``adult_declared`` exactly
    true, else ``adult_declaration_required``, 400). Nobody can check either:
    the declaration makes the rule explicit, and a staff member decides every
    application. Only the age group and when the declaration was made are
    stored, never the age. ``practice_replies`` answer the scripted seeker
    (``listeners.practice``), one per turn, screened like a listener's
    messages and stored for the reviewer. The unique constraints on username
    and alias decide between concurrent applications. Every application,
    refused or not, counts against its network ``address``
    (``LISTENERS_APPLY_RATE_PER_IP`` an hour); past it, ``RateLimited`` and
    nothing is checked or created.
    """
    if address:
        decision = ratelimit.hit("listener-apply", address, limit=settings.LISTENERS_APPLY_RATE_PER_IP, window=3600)
        if not decision.allowed:
            raise RateLimited(decision.retry_after, TOO_MANY_APPLICATIONS)
    now = now or timezone.now()
    if not isinstance(age, int) or isinstance(age, bool) or age < LISTENER_MINIMUM_AGE:
        raise DomainError("under_listener_age", UNDER_LISTENER_AGE, status=403, field="age")
    if adult_declared is not True:
        raise DomainError("adult_declaration_required", ADULT_DECLARATION_REQUIRED, field="adult_declared")
    username = (username or "").strip().lower()
    if not _USERNAME_RE.match(username):
        raise _invalid("username", "Use 3-40 lowercase letters, digits, dots, dashes or underscores.")
    alias = validate_alias(alias)
    bio = _clean_bio(bio)
    topics = _topics(topic_slugs)
    if not topics:
        raise _invalid("topics", "Choose at least one topic you'd like to listen on.")
    practice = practice_replies_screen(practice_replies)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("username_taken", USERNAME_TAKEN, status=409, field="username")
    if User.objects.filter(alias__iexact=alias).exists():
        raise DomainError("alias_taken", ALIAS_TAKEN, status=409, field="alias")
    user = User(username=username, alias=alias, role=Role.LISTENER, age_group=AgeGroup.ADULT)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("invalid", "Some fields need attention.", fields={"password": list(exc.messages)}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            profile = ListenerProfile.objects.create(
                user=user, bio=bio, wants_teens=bool(wants_teens), adult_declared_at=now
            )
            profile.topics.set(topics)
            PracticeReply.objects.bulk_create(
                PracticeReply(
                    listener=user,
                    turn=reply.turn,
                    seeker_text=reply.seeker_text,
                    text=reply.text,
                    masked=reply.masked,
                    would_hold=reply.would_hold,
                    risk_level=reply.risk_level,
                    created_at=now,
                )
                for reply in practice
            )
    except IntegrityError:
        raise DomainError("alias_taken", "That username or display name was just taken.", status=409) from None
    return user


def listener_profile_update(
    *, listener, bio: str | None = None, topic_slugs=None, accepts_direct_requests=None
) -> ListenerProfile:
    """A listener edits their own profile. Locks the profile row."""
    with transaction.atomic():
        profile = ListenerProfile.objects.select_for_update().filter(user_id=listener.pk).first()
        if profile is None:
            raise DomainError("not_a_listener", "Only listeners have a listener profile.", status=403)
        fields = []
        if bio is not None:
            profile.bio = _clean_bio(bio)
            fields.append("bio")
        if accepts_direct_requests is not None:
            profile.accepts_direct_requests = bool(accepts_direct_requests)
            fields.append("accepts_direct_requests")
        if fields:
            profile.save(update_fields=fields)
        if topic_slugs is not None:
            topics = _topics(topic_slugs)
            if not topics:
                raise _invalid("topics", "Choose at least one topic.")
            profile.topics.set(topics)
        return profile


# --- staff decisions -----------------------------------------------------------

# action → (statuses it applies to, status after; None keeps the status)
_TRANSITIONS = {
    DecisionAction.APPROVE: ({ListenerStatus.PENDING, ListenerStatus.REJECTED}, ListenerStatus.ACTIVE),
    DecisionAction.REJECT: ({ListenerStatus.PENDING}, ListenerStatus.REJECTED),
    DecisionAction.SUSPEND: ({ListenerStatus.PENDING, ListenerStatus.ACTIVE}, ListenerStatus.SUSPENDED),
    DecisionAction.REINSTATE: ({ListenerStatus.SUSPENDED}, ListenerStatus.ACTIVE),
    DecisionAction.APPROVE_TEENS: ({ListenerStatus.PENDING, ListenerStatus.ACTIVE}, None),
    DecisionAction.REVOKE_TEENS: (set(ListenerStatus), None),
}


def listener_decide(*, staff, listener_id: int, action: str, note: str = "", now=None) -> ListenerDecision:
    """Apply one staff decision about a listener and record it (append-only ``ListenerDecision``).

    Caller must hold ``support.listener_manage``. Locks the profile row first
    (see the module docstring for the order). Suspension takes the listener
    out of the pool in the same transaction (``listener_remove_from_pool``).
    Withdrawing teen approval takes effect at once too: pending teen offers
    are withdrawn, every open chat with a teen goes back to the front of the
    line (the teen is told kindly, the chat so far stays), and the
    listener's teen-room sockets are closed after commit
    (``audience_revoked_hooks``). Any change to who may take chats runs a
    dispatch round after commit and refreshes what waiting seekers are told,
    whatever the transport (API, admin, safety sanctions).
    """
    from listeners.training import teen_module_passed

    now = now or timezone.now()
    if not can_manage_listeners(staff):
        raise DomainError("forbidden", "You don't have access to this.", status=403)
    if action not in _TRANSITIONS:
        raise DomainError("invalid_field", "Unknown decision.", field="action")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise DomainError("note_too_long", f"Notes are limited to {MAX_NOTE_CHARS} characters.", field="note")
    if staff.pk == listener_id:
        raise DomainError("forbidden", CANNOT_DECIDE_SELF, status=403)
    with transaction.atomic():
        profile = ListenerProfile.objects.select_for_update().select_related("user").filter(user_id=listener_id).first()
        if profile is None:
            raise NotFoundOrForbidden()
        allowed, after = _TRANSITIONS[action]
        before = profile.status
        if before not in allowed:
            raise DomainError(
                "invalid_transition", INVALID_TRANSITION.format(status=profile.get_status_display().lower()), status=409
            )
        fields = []
        if action == DecisionAction.APPROVE_TEENS:
            if profile.approved_for_teens:
                raise DomainError("already_approved", ALREADY_TEEN_APPROVED, status=409)
            if not teen_module_passed(listener_id):
                raise DomainError("teen_training_incomplete", TEEN_TRAINING_MISSING, status=409)
            profile.approved_for_teens = True
            fields.append("approved_for_teens")
        elif action == DecisionAction.REVOKE_TEENS:
            if not profile.approved_for_teens:
                raise DomainError("not_approved", NOT_TEEN_APPROVED, status=409)
            profile.approved_for_teens = False
            fields.append("approved_for_teens")
        if after is not None and action not in (DecisionAction.SUSPEND, DecisionAction.REINSTATE):
            profile.status = after
            fields.append("status")
        profile.save(update_fields=fields)
        if action == DecisionAction.SUSPEND:
            listener_suspend(listener=profile.user, profile=profile, now=now)
        elif action == DecisionAction.REINSTATE:
            listener_reinstate(profile=profile)
        elif action == DecisionAction.REVOKE_TEENS:
            _teen_approval_withdrawn(listener_id, now=now)
        else:
            _pool_changed_after_commit()
        decision = ListenerDecision.objects.create(
            listener_id=listener_id,
            decided_by=staff,
            decided_by_alias=staff.alias or staff.username,
            action=action,
            status_before=before,
            status_after=profile.status,
            note=note.strip(),
            created_at=now,
        )
        listener_decided.send(sender=ListenerDecision, decision=decision, staff=staff)
        user_event(
            listener_id,
            {"type": "listener.status", "status": profile.status, "approved_for_teens": profile.approved_for_teens},
        )
        return decision


def listener_suspend(*, listener, profile: ListenerProfile, now) -> None:
    """The one way a listener is suspended, whoever decides it (the listener program's
    ``listener_decide``, a safety sanction): the status becomes suspended and the listener
    leaves the pool at once (``listener_remove_from_pool``). Inside the caller's transaction,
    with ``profile`` (``listener``'s) locked."""
    profile.status = ListenerStatus.SUSPENDED
    profile.save(update_fields=["status"])
    listener_remove_from_pool(listener, now=now)


def listener_reinstate(*, profile: ListenerProfile) -> None:
    """The one way a suspended listener becomes active again, whoever decides it (the listener
    program's ``listener_decide``, a safety suspension lifted by staff or ended on its date):
    the status becomes active, and after commit waiting seekers' "who could take me" is read
    afresh and a dispatch round runs (``_pool_changed_after_commit``). They take chats again
    once they start a shift. Inside the caller's transaction, with ``profile`` locked."""
    profile.status = ListenerStatus.ACTIVE
    profile.save(update_fields=["status"])
    _pool_changed_after_commit()


def listener_remove_from_pool(listener, *, now) -> None:
    """A suspension's consequences, inside the caller's transaction (profile row locked, status set).

    The open shift ends (reason ``suspended``), pending offers are withdrawn,
    every active chat goes back to the front of the line (the seeker is told
    and keeps the chat so far), every socket of theirs closes (4410) after
    commit, and a dispatch round runs after commit so those seekers are
    offered at once. Transcripts are closed to them by the access function
    (``chat.selectors.conversation_get_for_participant``) while suspended.
    """
    from chat.services.conversations import listener_departed
    from support.session_events import user_access_revoke

    if Shift.objects.filter(listener_id=listener.pk, ended_at__isnull=True).exists():
        shift_end(listener=listener, reason=ShiftEndReason.SUSPENDED, now=now)
    _withdraw_pending_offers(listener.pk, now=now, reason="cancelled")
    listener_departed(listener_id=listener.pk, reason="suspended", now=now)
    user_access_revoke(user_id=listener.pk, reason="suspended")
    _pool_changed_after_commit()


#: Sent inside the transaction that records a staff decision on a listener, with ``decision`` (a
#: ``ListenerDecision``) and ``staff``. Safety writes it to the general audit trail
#: (``SafetyConfig.ready()``), so the record commits with the decision or not at all.
listener_decided = Signal()


#: Called inside the transaction that takes an audience ("teen") away from a listener, as
#: ``hook(listener_id=..., audience=...)``. The rooms app closes their sockets in such rooms.
audience_revoked_hooks: list = []


def _teen_approval_withdrawn(listener_id: int, *, now) -> None:
    from chat.services.conversations import listener_departed

    _withdraw_pending_offers(listener_id, now=now, reason="cancelled", age_group=AgeGroup.TEEN)
    listener_departed(
        listener_id=listener_id, reason="teen_approval_withdrawn", now=now, seeker_age_group=AgeGroup.TEEN
    )
    for hook in audience_revoked_hooks:
        hook(listener_id=listener_id, audience=AgeGroup.TEEN.value)
    _pool_changed_after_commit()


def _pool_changed_after_commit() -> None:
    transaction.on_commit(_pool_changed)
    requests_dispatch_after_commit()


def _withdraw_pending_offers(listener_id: int, *, now, reason: str, age_group: str | None = None) -> None:
    from chat.models import Offer, OfferStatus
    from chat.services.offers import _offer_release

    offers = Offer.objects.select_for_update().filter(listener_id=listener_id, status=OfferStatus.PENDING)
    if age_group is not None:
        offers = offers.filter(request__age_group=age_group)
    for offer in offers.order_by("pk"):
        _offer_release(offer, OfferStatus.WITHDRAWN, now=now)
        user_event(listener_id, {"type": "offer.withdrawn", "offer": offer.pk, "reason": reason})


# --- shifts --------------------------------------------------------------------


def shift_start(*, listener, topic_slugs: list[str], capacity: int | None, now=None) -> Shift:
    """Open a shift. Only an active, trained listener; one open shift at a time (constraint-backed).

    ``capacity`` None takes the listener's ``default_capacity``.
    """
    now = now or timezone.now()
    if listener.role != Role.LISTENER:
        raise DomainError("not_a_listener", NOT_A_LISTENER, status=403)
    profile = ListenerProfile.objects.filter(user_id=listener.pk).first()
    if profile is None:
        raise DomainError("not_trained", NOT_TRAINED, status=403)
    if profile.is_suspended:
        raise DomainError("suspended", SUSPENDED, status=403)
    if profile.status == ListenerStatus.REJECTED:
        raise DomainError("not_approved", NOT_APPROVED, status=403)
    if not profile.is_trained:
        raise DomainError("not_trained", NOT_TRAINED, status=403)
    if profile.status != ListenerStatus.ACTIVE:
        raise DomainError("not_approved", NOT_APPROVED, status=403)
    if capacity is None:
        capacity = profile.default_capacity
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 5:
        raise DomainError("invalid_capacity", BAD_CAPACITY, field="capacity")
    if not isinstance(topic_slugs, list) or not topic_slugs or not all(isinstance(s, str) for s in topic_slugs):
        raise DomainError("no_topics", NO_TOPICS, field="topics")
    topics = list(Topic.objects.filter(slug__in=topic_slugs, is_active=True))
    if len(topics) != len(set(topic_slugs)):
        raise DomainError("unknown_topic", "One of those topics doesn't exist.", field="topics")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(listener=listener, capacity=capacity, started_at=now, idle_since=now)
            shift.topics.set(topics)
            user_event(listener.pk, {"type": "shift.started", "shift": shift_payload(shift)})
            transaction.on_commit(lambda: _shift_started(listener.pk))
            requests_dispatch_after_commit()  # new seats: waiting seekers are offered at once
    except IntegrityError:
        raise DomainError("already_on_shift", ALREADY_ON_SHIFT, status=409) from None
    return shift


def shift_end(*, listener, reason: str = ShiftEndReason.ENDED_BY_LISTENER, now=None) -> Shift:
    """Close the open shift: pending offers are withdrawn (their seekers keep their place).

    Active chats continue to their natural end; when the shift ends because
    the listener is gone (``connection_lost``/``suspended``) the caller
    requeues those chats too.

    Locks ``DispatchLock`` (no dispatch round can offer this listener a new
    chat meanwhile), then the pending offers, then the shift. An
    ``offer_accept`` racing this either commits first (the chat is active,
    then the shift ends around it, like any chat in progress) or finds its
    offer withdrawn (``offer_gone``); it never opens a chat after the shift
    closed, because it checks the open shift under the same locks.
    """
    from chat.models import DispatchLock, Offer, OfferStatus
    from chat.services.offers import _offer_release

    now = now or timezone.now()
    with transaction.atomic():
        list(DispatchLock.objects.select_for_update().filter(pk=1))
        offers = list(
            Offer.objects.select_for_update().filter(listener_id=listener.pk, status=OfferStatus.PENDING).order_by("pk")
        )
        shift = Shift.objects.select_for_update().filter(listener_id=listener.pk, ended_at__isnull=True).first()
        if shift is None:
            raise DomainError("not_on_shift", NOT_ON_SHIFT, status=409)
        for offer in offers:
            _offer_release(offer, OfferStatus.WITHDRAWN, now=now)
            user_event(listener.pk, {"type": "offer.withdrawn", "offer": offer.pk, "reason": "shift_ended"})
        shift.ended_at = now
        shift.end_reason = reason
        shift.save(update_fields=["ended_at", "end_reason"])
        user_event(listener.pk, {"type": "shift.ended", "shift": shift_payload(shift), "reason": reason})
        transaction.on_commit(_pool_changed)
        requests_dispatch_after_commit()  # withdrawn offers go to someone else
        return shift


def shift_seat_take(*, listener_id: int) -> bool:
    """One more chat taken on the listener's open shift, in one UPDATE that locks its row (an
    offer accepted or a match made without one, ``chat.services.offers``, in their lock order);
    False when they have no open shift. Inside the caller's transaction."""
    return bool(
        Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True).update(chats_taken=F("chats_taken") + 1)
    )


def shift_idle_mark(*, listener_id: int, now) -> None:
    """The listener's open shift is idle from ``now`` (their last active chat has left them), which
    matching reads to prefer the longest idle. Inside the caller's transaction."""
    Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True).update(idle_since=now)


def _shift_started(listener_id: int) -> None:
    from listeners.queue_sizes import queue_sizes_forget

    queue_sizes_forget(listener_id)
    _pool_changed()


def _pool_changed() -> None:
    """Who is on shift changed: waiting seekers' "anyone who could take me" is read afresh, and the
    line goes out again at the next tick (a seeker told nobody could take them hears of it)."""
    from chat.dispatch import _mark_line_changed
    from chat.waiting import roster_forget

    roster_forget()
    _mark_line_changed()
