"""Listeners answering offers: accept (the match), decline, expiry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat.dispatch import line_changed, requests_dispatch_after_commit
from chat.events import user_event, user_join_conversation, user_leave_conversation
from chat.listener_pool import listener_pool
from chat.models import ChatRequest, Conversation, ConversationStatus, Offer, OfferStatus, RequestStatus
from chat.services.messages import system_message
from support.errors import DomainError, NotFoundOrForbidden

OFFER_GONE = "This request is no longer available."
NO_SHIFT = "Start a shift to take chats."
NOTHING_WAITING = "Nobody you could take is waiting right now."
AT_CAPACITY = "You're at the number of chats you chose for this shift."
NOT_AVAILABLE = "You can't take a new chat right now (a pause, your shift's length or today's limit)."


def offer_accept(*, listener, offer_id: int, now=None) -> Conversation:
    """Accept a pending offer: the listener joins the conversation.

    Locks the offer, the listener's open shift, the request and the
    conversation (in that order, everywhere). Refuses an expired, withdrawn or
    answered offer, and a listener with no open shift; a refusal writes nothing
    (the transaction rolls back).
    """
    now = now or timezone.now()
    with transaction.atomic():
        request_id = _offer_take(offer_id=offer_id, listener_id=listener.pk, now=now)
        if request_id is None:
            if not Offer.objects.filter(pk=offer_id, listener_id=listener.pk).exists():
                raise NotFoundOrForbidden()
            raise DomainError("offer_gone", OFFER_GONE, status=409)
        if not listener_pool().seat_take(listener_id=listener.pk):
            raise DomainError("no_shift", NO_SHIFT, status=409)
        request = ChatRequest.objects.select_for_update().only("id", "conversation_id").get(pk=request_id)
        request.status, request.matched_at, request.closed_at = RequestStatus.MATCHED, now, now
        request.save(update_fields=["status", "matched_at", "closed_at"])
        conversation = _conversation_locked(request.conversation_id)
        return _conversation_open(conversation, listener=listener, now=now)


def _offer_take(*, offer_id: int, listener_id: int, now) -> int | None:
    """Mark the listener's pending, unexpired offer accepted, its row locked; its request id, or None."""
    offer = (
        Offer.objects.select_for_update()
        .only("id", "request_id", "status", "expires_at")
        .filter(pk=offer_id, listener_id=listener_id, status=OfferStatus.PENDING, expires_at__gt=now)
        .first()
    )
    if offer is None:
        return None
    offer.status, offer.answered_at = OfferStatus.ACCEPTED, now
    offer.save(update_fields=["status", "answered_at"])
    return offer.request_id


def request_take_next(*, listener, now=None) -> Conversation:
    """A listener on shift takes the next seeker they could take, themselves.

    The first request in queue order (urgent, returning, first come) that is
    waiting, not offered to anyone, and that this listener could take
    (``chat.matching.could_serve``); the re-offer cool-down does not apply,
    since the listener asks, but "not me for this one" and blocks do. Holds
    the ``DispatchLock`` and reads the line as a dispatch round does, so it
    never races a round's offers; then accepts through ``offer_accept``
    (offer → shift → request → conversation). Refuses with ``no_shift``,
    ``not_available``, ``at_capacity`` or ``nothing_waiting``, writing nothing.
    """
    from datetime import timedelta

    from django.conf import settings

    from chat.dispatch import dispatch_lock_take, line_read, wants_for
    from chat.matching import could_serve, queue_order

    if not listener.is_listener:
        raise DomainError("forbidden", "Only listeners take chats.", status=403)
    now = now or timezone.now()
    with transaction.atomic():
        dispatch_lock_take()
        candidate = next((c for c in listener_pool().candidates(now=now) if c.listener_id == listener.pk), None)
        if candidate is None:
            raise DomainError("no_shift", NO_SHIFT, status=409)
        if not candidate.available:
            raise DomainError("not_available", NOT_AVAILABLE, status=409)
        if not candidate.has_free_seat:
            raise DomainError("at_capacity", AT_CAPACITY, status=409)
        with line_read():
            waiting = list(ChatRequest.objects.filter(status=RequestStatus.WAITING, away_since__isnull=True))
        chosen = next((want for want in queue_order(wants_for(waiting, now=now)) if could_serve(want, candidate)), None)
        if chosen is None:
            raise DomainError("nothing_waiting", NOTHING_WAITING, status=409)
        offer = Offer.objects.create(
            request_id=chosen.request_id,
            listener=listener,
            expires_at=now + timedelta(seconds=settings.MATCHING_OFFER_TIMEOUT_SECONDS),
        )
        ChatRequest.objects.filter(pk=chosen.request_id).update(status=RequestStatus.OFFERED)
        return offer_accept(listener=listener, offer_id=offer.pk, now=now)


def match_make(*, offer: Offer, request: ChatRequest, now) -> Conversation:
    """Record an assignment made without an offer to answer (``MATCHING_AUTO_ASSIGN``) and open
    the conversation. Caller holds the dispatch lock; the offer was created in the same transaction."""
    conversation = _conversation_locked(request.conversation_id)
    if not listener_pool().seat_take(listener_id=offer.listener_id):
        raise DomainError("no_shift", NO_SHIFT, status=409)
    offer.status = OfferStatus.ACCEPTED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    request.status = RequestStatus.MATCHED
    request.matched_at = now
    request.closed_at = now
    request.save(update_fields=["status", "matched_at", "closed_at"])
    return _conversation_open(conversation, listener=offer.listener, now=now)


def _conversation_locked(conversation_id: int) -> Conversation:
    """The conversation being matched, locked; an ended one (the seeker left meanwhile) refuses the match,
    and the caller's transaction rolls back whatever it wrote for it."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",)).select_related("topic", "seeker").get(pk=conversation_id)
    )
    if conversation.status == ConversationStatus.ENDED:
        raise DomainError("offer_gone", OFFER_GONE, status=409)
    return conversation


def _conversation_open(conversation: Conversation, *, listener, now) -> Conversation:
    """The listener takes the conversation: opened, or handed over from the previous listener.

    Flags the line as changed (places and queue sizes go out at the next
    scheduler tick). A new chat frees no seat (its offer already held one),
    but a hand-over frees the previous listener's: then a dispatch round runs
    right after commit, so a seeker waiting for that listener's topic does
    not wait for the scheduler.
    """
    previous_listener_id = conversation.listener_id
    conversation.listener = listener
    conversation.status = ConversationStatus.ACTIVE
    conversation.started_at = conversation.started_at or now
    conversation.listener_read_seq = 0
    conversation.save(update_fields=["listener", "status", "started_at", "listener_read_seq"])
    if previous_listener_id and previous_listener_id != listener.pk:
        system_message(conversation, f"{listener.alias} has joined and will continue the chat with you.", now=now)
        user_leave_conversation(
            previous_listener_id,
            conversation.pk,
            {"type": "conversation.transferred", "conversation": conversation.pk, "to": listener.alias},
        )
        _idle_if_free(previous_listener_id, now=now)
        requests_dispatch_after_commit()
    else:
        system_message(conversation, f"{listener.alias} has joined the chat.", now=now)
    user_join_conversation(listener.pk, conversation.pk)
    user_join_conversation(conversation.seeker_id, conversation.pk, state=_seeker_state(conversation))
    line_changed()
    return conversation


#: Longest transcript carried in the seeker's match event; past it their sockets read it instead.
STATE_IN_EVENT_MAX_MESSAGES = 50


def _seeker_state(conversation: Conversation) -> dict | None:
    """``conversation.started`` as the seeker sees it, when the transcript is short enough to
    travel in the layer event (what was written while waiting usually is)."""
    from chat.payloads import conversation_state_payload
    from chat.selectors import messages_after

    transcript = messages_after(conversation=conversation, after_seq=0, limit=STATE_IN_EVENT_MAX_MESSAGES + 1)
    if len(transcript) > STATE_IN_EVENT_MAX_MESSAGES:
        return None
    return conversation_state_payload(conversation, transcript, for_user_id=conversation.seeker_id)


def offer_decline(*, listener, offer_id: int, never: bool = False, now=None) -> Offer:
    """Decline: the request goes back to waiting with its place kept, and is offered to someone else.

    This listener is left out of the request's offers for
    ``MATCHING_REOFFER_COOLDOWN_SECONDS`` (then, with nobody else able to
    take it, it comes back to them), or for good with ``never``.
    """
    if not isinstance(never, bool):
        raise DomainError("invalid_field", "'never' must be true or false.", field="never")
    now = now or timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().filter(pk=offer_id, listener_id=listener.pk).first()
        if offer is None:
            raise NotFoundOrForbidden()
        if offer.status != OfferStatus.PENDING:
            raise DomainError("offer_gone", OFFER_GONE, status=409)
        offer.never_again = never
        _offer_release(offer, OfferStatus.DECLINED, now=now)
        requests_dispatch_after_commit()  # the request is offered to someone else, the seat is free
        return offer


def _offer_release(offer: Offer, status: str, *, now) -> None:
    offer.status = status
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at", "never_again"])
    ChatRequest.objects.filter(pk=offer.request_id, status=RequestStatus.OFFERED).update(status=RequestStatus.WAITING)


def offers_expire(*, now=None) -> int:
    """Expire pending offers past their deadline (scheduled job; safe in several processes)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for offer in Offer.objects.select_for_update(skip_locked=True).filter(
            status=OfferStatus.PENDING, expires_at__lte=now
        ):
            _offer_release(offer, OfferStatus.EXPIRED, now=now)
            user_event(offer.listener_id, {"type": "offer.withdrawn", "offer": offer.pk, "reason": "expired"})
            expired += 1
        if expired:
            requests_dispatch_after_commit()
    return expired


def offers_withdraw_for_request(request: ChatRequest, *, reason: str, now) -> None:
    """Withdraw a request's pending offer (seeker cancelled, chat ended). Caller holds a transaction."""
    for offer in Offer.objects.select_for_update().filter(request=request, status=OfferStatus.PENDING):
        offer.status = OfferStatus.WITHDRAWN
        offer.answered_at = now
        offer.save(update_fields=["status", "answered_at"])
        user_event(offer.listener_id, {"type": "offer.withdrawn", "offer": offer.pk, "reason": reason})


def _idle_if_free(listener_id: int, *, now) -> None:
    if not Conversation.objects.filter(listener_id=listener_id, status=ConversationStatus.ACTIVE).exists():
        listener_pool().idle_mark(listener_id=listener_id, now=now)
