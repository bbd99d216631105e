"""Conversation lifecycle: end, requeue when the listener is gone, transfer, inactivity."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.dispatch import requests_dispatch_after_commit
from chat.events import conversation_event, user_leave_conversation
from chat.listener_pool import listener_pool
from chat.models import (
    ChatRequest,
    Conversation,
    ConversationStatus,
    EndReason,
    RequestStatus,
    request_priority,
)
from chat.payloads import conversation_ended_payload
from chat.selectors import conversation_get_for_participant
from chat.services.messages import system_message
from chat.services.offers import _idle_if_free, offers_withdraw_for_request
from support.errors import DomainError

#: Called inside the transaction that ends a conversation (its row locked by the caller), as
#: ``hook(conversation, now=...)``. The listener program registers its debrief pause after a hard
#: chat in ``ListenersConfig.ready()`` (chat does not import its consequences from listeners).
conversation_closed_hooks: list = []

TRANSFER_PENDING = "A hand-over for this chat is already being arranged."
NOT_ACTIVE = "This chat isn't active."


def conversation_end(*, user, conversation_id: int, now=None) -> Conversation:
    """End a chat by one of its participants (idempotent for an ended chat)."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=user, conversation_id=conversation_id, for_update=True)
        if conversation.status == ConversationStatus.ENDED:
            return conversation
        role = conversation.role_of(user.pk)
        if conversation.status == ConversationStatus.WAITING:
            reason = EndReason.CANCELLED
        else:
            reason = EndReason.SEEKER_ENDED if role == "seeker" else EndReason.LISTENER_ENDED
        conversation_close(conversation, reason=reason, ended_by=user, now=now)
        return conversation


def conversation_requests_cancel(conversation: Conversation, *, now) -> None:
    """Cancel the conversation's open requests (in line or offered), withdrawing their pending offers.

    The one way a request is cancelled: the seeker leaving the line, a chat
    ending, a requeue replacing the request, staff taking a chat over. Caller
    holds the conversation row lock; takes the requests' locks, then their offers'.
    """
    for request in ChatRequest.objects.select_for_update().filter(
        conversation=conversation, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED]
    ):
        offers_withdraw_for_request(request, reason="cancelled", now=now)
        request.status = RequestStatus.CANCELLED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])


def conversation_close(conversation: Conversation, *, reason: str, ended_by=None, now) -> None:
    """End ``conversation`` (row locked by the caller): close its requests and offers, tell both sides why."""
    conversation_requests_cancel(conversation, now=now)
    reason_text = EndReason(reason).label
    system_message(conversation, reason_text, now=now)
    conversation.status = ConversationStatus.ENDED
    conversation.end_reason = reason
    conversation.ended_at = now
    conversation.save(update_fields=["status", "end_reason", "ended_at"])
    conversation_event(
        conversation.pk,
        conversation_ended_payload(conversation, ended_by=conversation.role_of(ended_by.pk) if ended_by else "system"),
        skip_origin=True,
    )
    if conversation.listener_id:
        _idle_if_free(conversation.listener_id, now=now)
    for hook in conversation_closed_hooks:
        hook(conversation, now=now)
    requests_dispatch_after_commit()  # a listener's seat is free, or the line is shorter


def conversation_requeue(conversation: Conversation, *, now, reason_text: str) -> ChatRequest:
    """The listener is gone: the seeker goes back to the front of the line, keeping the conversation.

    Caller holds the conversation row lock.
    """
    departed = conversation.listener_id
    conversation.status = ConversationStatus.WAITING
    conversation.listener = None
    conversation.save(update_fields=["status", "listener"])
    conversation_requests_cancel(conversation, now=now)
    seeker = conversation.seeker
    request = ChatRequest.objects.create(
        seeker=seeker,
        conversation=conversation,
        topic=conversation.topic,
        age_group=seeker.age_group or "adult",
        priority=request_priority(urgent=conversation.has_safety_case, returning=True),
        queued_at=conversation.created_at,
    )
    system_message(conversation, reason_text, now=now, for_role="seeker")  # "Your listener …": the seeker's line
    conversation_event(
        conversation.pk, {"type": "conversation.requeued", "reason_text": reason_text, "request": request.pk}
    )
    requests_dispatch_after_commit()  # the seeker is back in line, the listener's seat is free
    if departed:
        user_leave_conversation(
            departed,
            conversation.pk,
            {"type": "conversation.left", "conversation": conversation.pk, "reason": "requeued"},
        )
        _idle_if_free(departed, now=now)
    return request


def conversation_transfer(*, listener, conversation_id: int, to_alias: str | None = None, now=None) -> ChatRequest:
    """Ask another listener on shift to take over; the seeker stays in the chat meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=listener, conversation_id=conversation_id, for_update=True)
        if conversation.role_of(listener.pk) != "listener" or conversation.status != ConversationStatus.ACTIVE:
            raise DomainError("not_active", NOT_ACTIVE, status=409)
        if ChatRequest.objects.filter(
            conversation=conversation, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED]
        ).exists():
            raise DomainError("transfer_pending", TRANSFER_PENDING, status=409)
        target = None
        if to_alias:
            target = listener_pool().active_listener(alias=to_alias, direct_requests=False)
            if target is None or target.pk == listener.pk:
                raise DomainError("unknown_listener", "That listener isn't available.", field="to")
        seeker = conversation.seeker
        requests_dispatch_after_commit()  # the hand-over request is offered at once
        return ChatRequest.objects.create(
            seeker=seeker,
            conversation=conversation,
            topic=conversation.topic,
            age_group=seeker.age_group or "adult",
            priority=request_priority(urgent=conversation.has_safety_case, returning=True),
            queued_at=now,
            requested_listener=target,
            transfer_from=listener,
        )


def conversations_inactivity(*, now=None) -> int:
    """Warn, then end, chats that have gone quiet (scheduled job)."""
    now = now or timezone.now()
    warn_before = now - timedelta(seconds=settings.CHAT_INACTIVITY_WARN_SECONDS)
    end_before = now - timedelta(seconds=settings.CHAT_INACTIVITY_END_SECONDS)
    ends_in = settings.CHAT_INACTIVITY_END_SECONDS - settings.CHAT_INACTIVITY_WARN_SECONDS
    changed = 0
    with transaction.atomic():
        quiet = Conversation.objects.select_for_update(skip_locked=True).filter(
            status=ConversationStatus.ACTIVE, last_activity_at__lte=warn_before
        )
        for conversation in quiet:
            if conversation.last_activity_at <= end_before and conversation.inactivity_warned_at is not None:
                conversation_close(conversation, reason=EndReason.INACTIVITY, now=now)
                changed += 1
            elif conversation.inactivity_warned_at is None:
                conversation.inactivity_warned_at = now
                conversation.save(update_fields=["inactivity_warned_at"])
                conversation_event(
                    conversation.pk, {"type": "conversation.inactivity_warning", "ends_in_seconds": ends_in}
                )
                changed += 1
    return changed


def listener_departed(*, listener_id: int, reason: str, now=None, seeker_age_group: str | None = None) -> int:
    """Requeue every active chat of a listener who left (lost connection, suspended), or only those
    with seekers of ``seeker_age_group`` (teen approval withdrawn). Returns chats moved."""
    now = now or timezone.now()
    texts = {
        "connection_lost": "Your listener lost their connection. You're at the front of the line and we're finding someone new; your conversation so far stays here.",
        "suspended": "Your listener is no longer available. You're at the front of the line and we're finding someone new; your conversation so far stays here.",
        "teen_approval_withdrawn": "Your listener can't carry on with this chat, and it's nothing you did. You're at the front of the line and we're finding someone new; your conversation so far stays here.",
    }
    moved = 0
    with transaction.atomic():
        chats = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("seeker", "topic")
            .filter(listener_id=listener_id, status=ConversationStatus.ACTIVE)
        )
        if seeker_age_group is not None:
            chats = chats.filter(seeker__age_group=seeker_age_group)
        for conversation in chats:
            conversation_requeue(conversation, now=now, reason_text=texts.get(reason, texts["connection_lost"]))
            moved += 1
    return moved
