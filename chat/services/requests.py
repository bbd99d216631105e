"""A seeker's request for someone to talk to: create, cancel, widen."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import waiting
from chat.dispatch import line_entry_lock, requests_dispatch_after_commit
from chat.events import user_event, user_join_conversation
from chat.listener_pool import listener_pool
from chat.models import (
    ChatRequest,
    Conversation,
    ConversationStatus,
    RequestPriority,
    RequestStatus,
    request_priority,
)
from chat.screener import message_screener
from support import ratelimit
from support.conflicts import retrying_conflicts
from support.errors import DomainError, RateLimited
from support.models import Role, Topic, User

ALREADY_WAITING = "You're already in line; we'll connect you as soon as a listener is free."
UNKNOWN_TOPIC = "We don't know that topic."
UNKNOWN_LISTENER = "That listener isn't available for direct requests."
NOTE_TOO_LONG = "Notes are limited to {limit} characters."
NO_OPEN_REQUEST = "You're not waiting in line right now."
REQUESTS_TOO_FAST = "You've asked for a listener many times in a short while. Please wait a little before asking again."
REQUESTS_WINDOW = 3600


def request_create(
    *,
    seeker: User,
    topic_slug: str | None,
    listener_alias: str | None = None,
    note: str = "",
    address: str = "",
    urgent: bool = False,
    now=None,
) -> ChatRequest:
    """Put a seeker in line: a waiting conversation plus its request.

    ``urgent`` puts the request at the front whatever its note says (a room moderator's one-to-one
    invitation after an imminent-risk message, ``rooms.services.room_one_to_one_accept``).

    Counted first, per seeker (``CHAT_REQUESTS_PER_SEEKER``) and per client
    address (``address``, ``CHAT_REQUESTS_PER_ADDRESS``), both per hour in the
    shared cache with atomic increments, so a concurrent burst of requests
    cannot pass either; the limits fail open (people must reach help when the
    cache is down).

    One open request per seeker: the partial unique constraint refuses a
    second, concurrent or not, and nothing of it is kept. A request for a
    specific listener waits for that listener for
    ``MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS`` before the seeker is offered
    to widen it. ``queued_at`` is stamped inside the
    transaction, under the line lock (``chat.dispatch.line_entry_lock``), so
    commit order and queue order agree for every dispatch round.
    """
    if seeker.role != Role.SEEKER:
        raise DomainError("forbidden", "Only seekers can ask for a listener.", status=403)
    if not isinstance(note, str):
        raise DomainError("invalid_field", "'note' must be text.", field="note")
    note = note.strip()
    if len(note) > settings.MATCHING_MAX_NOTE_CHARS:
        raise DomainError("note_too_long", NOTE_TOO_LONG.format(limit=settings.MATCHING_MAX_NOTE_CHARS), field="note")
    _request_rate_check(seeker=seeker, address=address)
    # The note reaches a listener's offer: screened and masked like a message before anyone sees it.
    screening = message_screener().screen(text=note, sender_role="seeker") if note else None
    if screening is not None:
        note = screening.text
    topic = None
    if topic_slug not in (None, "", "any"):
        topic = Topic.objects.filter(slug=topic_slug, is_active=True).first() if isinstance(topic_slug, str) else None
        if topic is None:
            raise DomainError("unknown_topic", UNKNOWN_TOPIC, field="topic")
    listener = None
    if listener_alias:
        listener = listener_pool().active_listener(alias=listener_alias, direct_requests=True)
        if listener is None:
            raise DomainError("unknown_listener", UNKNOWN_LISTENER, field="listener")
    try:
        with transaction.atomic():
            line_entry_lock()
            now = now or timezone.now()
            # No read first for an open request of this seeker's: the partial unique
            # constraint refuses the INSERT below (caught after the rollback), one
            # statement fewer for every request in a burst.
            conversation = Conversation.objects.create(seeker=seeker, topic=topic, last_activity_at=now)
            at_risk = screening is not None and screening.at_risk
            request = ChatRequest.objects.create(
                seeker=seeker,
                conversation=conversation,
                topic=topic,
                age_group=seeker.age_group or "adult",
                requested_listener=listener,
                note=note,
                queued_at=now,
                priority=request_priority(urgent=urgent or at_risk or _flagged_recently(seeker, now=now)),
                specific_until=now + timedelta(seconds=settings.MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS)
                if listener
                else None,
            )
            user_join_conversation(seeker.pk, conversation.pk)
            requests_dispatch_after_commit()
            if screening is not None and screening.needs_flag:
                message_screener().note_flag(request=request, screening=screening, now=now)
    except IntegrityError:
        raise DomainError("already_waiting", ALREADY_WAITING, status=409) from None
    return request


def _request_rate_check(*, seeker: User, address: str) -> None:
    limits = (
        ("chat-request", str(seeker.pk), settings.CHAT_REQUESTS_PER_SEEKER),
        ("chat-request-ip", address, settings.CHAT_REQUESTS_PER_ADDRESS),
    )
    for scope, identity, limit in limits:
        if not identity:
            continue
        decision = ratelimit.hit(scope, identity, limit=limit, window=REQUESTS_WINDOW)
        if not decision.allowed:
            raise RateLimited(decision.retry_after, REQUESTS_TOO_FAST)


def _flagged_recently(seeker: User, *, now) -> bool:
    """A seeker with an unresolved safety flag (elevated or worse) from the last day is urgent."""
    return message_screener().at_risk_recently(subject_id=seeker.pk, since=now - timedelta(days=1))


def request_create_with_status(
    *, seeker: User, topic_slug: str | None, listener_alias: str | None = None, note: str = "", address: str = ""
) -> tuple[ChatRequest, dict]:
    """``request_create`` and the new request's place in line, in one trip to the database thread."""
    request = request_create(
        seeker=seeker, topic_slug=topic_slug, listener_alias=listener_alias, note=note, address=address
    )
    return request, waiting.request_status(request, new=True)


def request_status(request: ChatRequest) -> dict:
    """Place in line, who on shift could take them, estimated wait (``chat.waiting``)."""
    return waiting.request_status(request)


@retrying_conflicts
def request_cancel(*, seeker: User, now=None) -> ChatRequest:
    """Leave the line. The waiting conversation ends as cancelled; pending offers are withdrawn.

    Locks the request and its conversation, and ending it locks the offers, in
    an order opposite to a listener's accept: a cancel racing an accept can be
    aborted for a deadlock, runs again (``retrying_conflicts``) and then answers
    with the accept's outcome.
    """
    from chat.models import EndReason
    from chat.services.conversations import conversation_close

    now = now or timezone.now()
    with transaction.atomic():
        request = (
            ChatRequest.objects.select_for_update()
            .filter(
                seeker_id=seeker.pk,
                status__in=[RequestStatus.WAITING, RequestStatus.OFFERED],
                transfer_from__isnull=True,
            )
            .first()
        )
        if request is None:
            raise DomainError("no_open_request", NO_OPEN_REQUEST, status=409)
        conversation = Conversation.objects.select_for_update().get(pk=request.conversation_id)
        conversation_close(conversation, reason=EndReason.CANCELLED, ended_by=seeker, now=now)
        request.refresh_from_db()
        return request


def request_widen(*, seeker: User) -> ChatRequest:
    """Drop the specific listener from a waiting request: anyone on the topic may take it."""
    with transaction.atomic():
        request = (
            ChatRequest.objects.select_for_update()
            .filter(
                seeker_id=seeker.pk,
                status__in=[RequestStatus.WAITING, RequestStatus.OFFERED],
                transfer_from__isnull=True,
            )
            .first()
        )
        if request is None:
            raise DomainError("no_open_request", NO_OPEN_REQUEST, status=409)
        request.requested_listener = None
        request.specific_until = None
        request.save(update_fields=["requested_listener", "specific_until"])
        requests_dispatch_after_commit()  # anyone on the topic may take it now
        user_event(seeker.pk, {"type": "request.updated", "request": request_status(request)})
        return request


def request_raise_urgent(*, seeker_id: int) -> None:
    """Safety raised this seeker: their waiting request goes to the front. Caller holds a transaction."""
    ChatRequest.objects.filter(seeker_id=seeker_id, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED]).update(
        priority=request_priority(urgent=True)
    )


def request_seeker_returned(*, seeker_id: int) -> bool:
    """A seeker opened a socket: an away request of theirs is back in line at its old place.
    One statement; True when it was away (the line changed)."""
    back = ChatRequest.objects.filter(
        seeker_id=seeker_id, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], away_since__isnull=False
    ).update(away_since=None)
    if back:
        from chat.dispatch import line_changed

        line_changed()
    return bool(back)


def request_seeker_left(*, seeker_id: int, now=None) -> None:
    """A seeker's socket closed: note when, so the presence sweep can tell how long they have been gone."""
    ChatRequest.objects.filter(
        seeker_id=seeker_id, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], transfer_from__isnull=True
    ).update(seeker_left_at=now or timezone.now())


def requests_presence_sweep(*, now=None) -> int:
    """Take the requests of seekers who are gone out of the line, and end those gone too long (scheduled job).

    A seeker is gone when none of their sockets has been seen for
    ``MATCHING_SEEKER_AWAY_SECONDS`` (no fresh ``Connection`` row, and the last
    one closed, or the request was made, before that). Their request leaves the line: a pending
    offer is withdrawn, no round offers it, nobody's place or estimate counts
    it. It keeps ``queued_at``, so a seeker back within
    ``MATCHING_SEEKER_RETURN_SECONDS`` has their place again; after that the
    waiting conversation ends with reason ``seeker_gone``. An urgent request
    (the seeker is at risk) that goes away raises a safety alert. Rows are
    claimed with ``skip_locked``, so several processes never act on one twice;
    lock order: offers, then request (as an accept), conversation then request
    (as a cancel). Returns the requests changed.
    """
    from django.db.models import Exists, OuterRef

    from chat.dispatch import line_changed
    from chat.models import EndReason, Offer, OfferStatus
    from chat.services.conversations import conversation_close
    from chat.services.offers import offers_withdraw_for_request
    from support.models import Connection

    now = now or timezone.now()
    away_cutoff = now - timedelta(seconds=settings.MATCHING_SEEKER_AWAY_SECONDS)
    open_statuses = [RequestStatus.WAITING, RequestStatus.OFFERED]
    fresh = Connection.objects.filter(user_id=OuterRef("seeker_id"), last_seen_at__gte=away_cutoff)
    changed = 0
    with transaction.atomic():
        back = ChatRequest.objects.filter(status__in=open_statuses, away_since__isnull=False).filter(Exists(fresh))
        changed += back.update(away_since=None)
        leaving = list(
            ChatRequest.objects.filter(
                status__in=open_statuses,
                away_since__isnull=True,
                transfer_from__isnull=True,
                created_at__lte=away_cutoff,
            )
            .exclude(seeker_left_at__gt=away_cutoff)
            .exclude(Exists(fresh))
            .values_list("pk", flat=True)[:200]
        )
        for request_id in leaving:
            list(
                Offer.objects.select_for_update(skip_locked=True).filter(
                    request_id=request_id, status=OfferStatus.PENDING
                )
            )
            request = (
                ChatRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=request_id, status__in=open_statuses, away_since__isnull=True)
                .first()
            )
            if request is None:
                continue
            offers_withdraw_for_request(request, reason="seeker_away", now=now)
            request.status = RequestStatus.WAITING
            request.away_since = now
            request.save(update_fields=["status", "away_since"])
            if request.priority >= RequestPriority.URGENT:
                message_screener().seeker_gone(conversation=request.conversation, seeker_id=request.seeker_id, now=now)
            changed += 1
    gone_cutoff = now - timedelta(seconds=settings.MATCHING_SEEKER_RETURN_SECONDS)
    with transaction.atomic():
        for conversation in Conversation.objects.select_for_update(skip_locked=True).filter(
            status=ConversationStatus.WAITING,
            requests__status__in=open_statuses,
            requests__away_since__lte=gone_cutoff,
            requests__transfer_from__isnull=True,
        )[:100]:
            conversation_close(conversation, reason=EndReason.SEEKER_GONE, now=now)
            changed += 1
    if changed:
        line_changed()
    return changed
