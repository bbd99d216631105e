"""Listeners answering offers: accept (the match), decline, expiry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat import offer_sql
from chat.events import user_event, user_join_conversation, user_leave_conversation
from chat.models import ChatRequest, Conversation, ConversationStatus, Offer, OfferStatus, RequestStatus
from chat.services.messages import system_message
from listeners.models import Shift
from support.errors import DomainError, NotFoundOrForbidden

OFFER_GONE = "This request is no longer available."
NO_SHIFT = "Start a shift to take chats."


def offer_accept(*, listener, offer_id: int, now=None) -> Conversation:
    """Accept a pending offer: the listener joins the conversation.

    Locks the offer, the listener's open shift, the request and the
    conversation (in that order, everywhere), each lock with its write in one
    statement (``chat.offer_sql``). Refuses an expired, withdrawn or answered
    offer, and a listener with no open shift; a refusal writes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request_id = offer_sql.offer_take(offer_id=offer_id, listener_id=listener.pk, now=now)
        if request_id is None:
            if not Offer.objects.filter(pk=offer_id, listener_id=listener.pk).exists():
                raise NotFoundOrForbidden()
            raise DomainError("offer_gone", OFFER_GONE, status=409)
        if not offer_sql.shift_chat_taken(listener_id=listener.pk):
            raise DomainError("no_shift", NO_SHIFT, status=409)
        conversation = _conversation_locked(offer_sql.request_matched(request_id=request_id, now=now))
        return _conversation_open(conversation, listener=listener, now=now)


def match_make(*, offer: Offer, request: ChatRequest, now) -> Conversation:
    """Record an assignment made without an offer to answer (``MATCHING_AUTO_ASSIGN``) and open
    the conversation. Caller holds the dispatch lock; the offer was created in the same transaction."""
    conversation = _conversation_locked(request.conversation_id)
    shift = Shift.objects.select_for_update().get(listener_id=offer.listener_id, ended_at__isnull=True)
    offer.status = OfferStatus.ACCEPTED
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    request.status = RequestStatus.MATCHED
    request.matched_at = now
    request.closed_at = now
    request.save(update_fields=["status", "matched_at", "closed_at"])
    shift.chats_taken += 1
    shift.save(update_fields=["chats_taken"])
    return _conversation_open(conversation, listener=offer.listener, now=now)


def _conversation_locked(conversation_id: int) -> Conversation:
    """The conversation being matched, locked; an ended one (the seeker left meanwhile) refuses the match,
    and the caller's transaction rolls back whatever it wrote for it."""
    conversation = offer_sql.conversation_for_match(conversation_id)
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
    from chat.dispatch import line_changed, requests_dispatch_after_commit

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


def offer_decline(*, listener, offer_id: int, now=None) -> Offer:
    """Decline: the request goes back to waiting with its place kept, and is offered to someone else."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = Offer.objects.select_for_update().filter(pk=offer_id, listener_id=listener.pk).first()
        if offer is None:
            raise NotFoundOrForbidden()
        if offer.status != OfferStatus.PENDING:
            raise DomainError("offer_gone", OFFER_GONE, status=409)
        _offer_release(offer, OfferStatus.DECLINED, now=now)
        return offer


def _offer_release(offer: Offer, status: str, *, now) -> None:
    offer.status = status
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    ChatRequest.objects.filter(pk=offer.request_id, status=RequestStatus.OFFERED).update(status=RequestStatus.WAITING)


def offers_expire(*, now=None) -> int:
    """Expire pending offers past their deadline (scheduled job; safe in several processes)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for offer in Offer.objects.select_for_update(skip_locked=True).filter(status=OfferStatus.PENDING, expires_at__lte=now):
            _offer_release(offer, OfferStatus.EXPIRED, now=now)
            user_event(offer.listener_id, {"type": "offer.withdrawn", "offer": offer.pk, "reason": "expired"})
            expired += 1
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
        Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True).update(idle_since=now)
