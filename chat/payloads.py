"""Frame and REST payloads, built in one place so both speak the same shapes."""

from __future__ import annotations

from chat.models import ChatRequest, Conversation, EndReason, Message, Offer
from support.ws import PROTOCOL_VERSION


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _sender_alias(message: Message) -> str:
    known = getattr(message, "sender_alias", None)  # set by the transcript read: no query for the user
    if known is not None:
        return known
    return message.sender.alias if message.sender_id else ""


def message_payload(message: Message, *, conversation_id: int | None = None, sender_alias: str | None = None) -> dict:
    return {
        "conversation": conversation_id or message.conversation_id,
        "seq": message.seq,
        "kind": message.kind,
        "sender_role": message.sender_role,
        "sender_alias": sender_alias if sender_alias is not None else _sender_alias(message),
        "text": message.text,
        "client_id": message.client_id or None,
        "masked": message.masked,
        "created_at": _iso(message.created_at),
    }


def conversation_payload(conversation: Conversation, *, for_user_id: int) -> dict:
    role = conversation.role_of(for_user_id)
    peer = None
    if role == "seeker" and conversation.listener_id:
        peer = {"alias": conversation.listener.alias, "role": "listener"}
    elif role == "listener":
        peer = {"alias": conversation.seeker.alias, "role": "seeker", "age_group": conversation.seeker.age_group}
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "topic": conversation.topic.slug if conversation.topic_id else None,
        "your_role": role,
        "peer": peer,
        "last_seq": conversation.last_seq,
        "read_seq": {"seeker": conversation.seeker_read_seq, "listener": conversation.listener_read_seq},
        "created_at": _iso(conversation.created_at),
        "started_at": _iso(conversation.started_at),
        "ended_at": _iso(conversation.ended_at),
        "end_reason": conversation.end_reason or None,
        "end_reason_text": EndReason(conversation.end_reason).label if conversation.end_reason else None,
    }


def conversation_state_payload(conversation: Conversation, messages, *, for_user_id: int) -> dict:
    """``conversation.waiting`` (no listener yet) or ``conversation.started``, with the transcript."""
    return {
        "type": "conversation.started" if conversation.listener_id else "conversation.waiting",
        "conversation": conversation_payload(conversation, for_user_id=for_user_id),
        "messages": [message_payload(message, conversation_id=conversation.pk) for message in messages],
    }


def request_payload(request: ChatRequest, *, position: int | None = None, estimated_wait: int | None = None) -> dict:
    return {
        "id": request.pk,
        "conversation": request.conversation_id,
        "status": request.status,
        "topic": request.topic.slug if request.topic_id else None,
        "listener": request.requested_listener.alias if request.requested_listener_id else None,
        "urgent": request.priority == 2,
        "position": position,
        "estimated_wait_seconds": estimated_wait,
        "created_at": _iso(request.created_at),
        "widen_suggested": request.widen_offered_at is not None and request.requested_listener_id is not None,
    }


def offer_payload(offer: Offer, *, now) -> dict:
    request = offer.request
    return {
        "id": offer.pk,
        "kind": "transfer" if request.transfer_from_id else "new",
        "topic": request.topic.slug if request.topic_id else None,
        "note": request.note,
        "age_group": request.age_group,
        "waited_seconds": max(0, int((now - request.queued_at).total_seconds())),
        "expires_at": _iso(offer.expires_at),
        "expires_in_seconds": max(0, int((offer.expires_at - now).total_seconds())),
        "urgent": request.priority == 2,
        "direct": request.requested_listener_id is not None,
    }


def hello_payload(user, state) -> dict:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "user": {"id": user.pk, "alias": user.alias, "role": user.role, "age_group": user.age_group or None},
        "conversations": state.conversations,
        "request": state.request,
        "offers": state.offers,
        "shift": state.shift,
        "pauses": state.pauses,
    }
