"""Reads for chat, including the one access function for conversations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from chat.listener_pool import listener_pool
from chat.models import ChatRequest, Conversation, ConversationStatus, Message, Offer, OfferStatus, RequestStatus
from chat.payloads import conversation_payload, message_payload, offer_payload
from support.errors import NotFoundOrForbidden

logger = logging.getLogger(__name__)


def conversation_get_for_participant(
    *, user, conversation_id: int, for_update: bool = False, with_people: bool = True
) -> Conversation:
    """The conversation if ``user`` is its seeker or current listener.

    Raises ``NotFoundOrForbidden`` otherwise, the same way whether or not the
    conversation exists, so ids cannot be probed. ``with_people=False`` skips
    joining the participants and topic.
    """
    queryset = (
        Conversation.objects.select_related("seeker", "listener", "topic")
        if with_people
        else Conversation.objects.all()
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return _only_for_participant(queryset, user=user, conversation_id=conversation_id)


def conversation_get_for_sender(*, user, conversation_id: int, now=None) -> Conversation:
    """``conversation_get_for_participant`` for the per-message path, in one lean statement.

    No joins, and ``sender_muted_until`` (when ``user``'s mute in force ends,
    or None) read in the same statement, so a message costs one read before
    its writes. Written out in ``chat.message_sql``: the ORM took longer to
    build this query than the database took to answer it.
    """
    from chat.message_sql import conversation_for_sender

    if user is None or not user.is_authenticated:
        raise NotFoundOrForbidden()
    found = conversation_for_sender(user_id=user.pk, conversation_id=conversation_id, now=now or timezone.now())
    if found is None:
        raise NotFoundOrForbidden()
    return found


def _participant(user) -> Q:
    """Conversations ``user`` takes part in: as their seeker, or as their listener while not suspended
    (a suspended listener reads no transcript, past or present, whatever session they use)."""
    suspended = listener_pool().suspended_q("listener__listener_profile__")
    return Q(seeker_id=user.pk) | (Q(listener_id=user.pk) & ~suspended)


def _only_for_participant(queryset, *, user, conversation_id: int) -> Conversation:
    if user is None or not user.is_authenticated:
        raise NotFoundOrForbidden()
    # Sliced rather than .first(): the primary key picks one row, no ORDER BY needed.
    found = list(queryset.filter(pk=conversation_id).filter(_participant(user))[:1])
    if not found:
        raise NotFoundOrForbidden()
    return found[0]


def messages_after(*, conversation: Conversation, after_seq: int, limit: int | None = None) -> list[Message]:
    """Messages after ``after_seq``, oldest first, each with ``sender_alias`` (``chat.message_sql``)."""
    from chat.message_sql import transcript_after

    return transcript_after(
        conversation_id=conversation.pk, after_seq=after_seq, limit=limit or settings.CHAT_RESUME_BATCH
    )


def conversations_for_user(*, user, include_ended: bool = True, limit: int = 50) -> list[Conversation]:
    queryset = Conversation.objects.select_related("seeker", "listener", "topic").filter(_participant(user))
    if not include_ended:
        queryset = queryset.exclude(status=ConversationStatus.ENDED)
    return list(queryset.order_by("-created_at")[:limit])


def opening_notes(conversation_ids) -> dict[int, str]:
    """The seeker's opening note per conversation (its first request's), kept in the listener's chat
    header after the offer is gone. One query; conversations without a note are left out."""
    ids = list(conversation_ids)
    if not ids:
        return {}
    notes: dict[int, str] = {}
    rows = ChatRequest.objects.filter(conversation_id__in=ids).exclude(note="").order_by("created_at", "pk")
    for conversation_id, note in rows.values_list("conversation_id", "note"):
        notes.setdefault(conversation_id, note)
    return notes


def request_open_for_seeker(*, seeker_id: int) -> ChatRequest | None:
    return (
        ChatRequest.objects.select_related("topic", "requested_listener")
        .filter(
            seeker_id=seeker_id, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], transfer_from__isnull=True
        )
        .first()
    )


def queue_position(request: ChatRequest) -> int:
    """1-based place among open requests that compete for the same listeners.

    Requests for the same topic, or for any topic, that sort ahead of this one
    (priority first, then time queued): ``chat.matching.line_places``, counted
    in one statement for this one request (``tests/chat/test_one_rule.py`` checks the two agree).
    """
    ahead = ChatRequest.objects.filter(
        Q(priority__gt=request.priority) | Q(priority=request.priority, queued_at__lt=request.queued_at),
        status__in=[RequestStatus.WAITING, RequestStatus.OFFERED],
        away_since__isnull=True,
    )
    if request.topic_id is not None:
        ahead = ahead.filter(Q(topic_id=request.topic_id) | Q(topic_id__isnull=True))
    return ahead.count() + 1


@dataclass
class SocketState:
    """What a socket's ``hello`` says. chat fills its own parts; ``shift``, ``pauses`` and
    ``queue_sizes`` (the listener console) and ``risk`` and ``warnings`` (safety) are filled by the
    readers the apps above chat register (``socket_state_reader_register``)."""

    conversation_ids: list[int] = field(default_factory=list)
    conversations: list[dict] = field(default_factory=list)
    request: dict | None = None
    offers: list[dict] = field(default_factory=list)
    shift: dict | None = None
    pauses: dict | None = None
    queue_sizes: dict | None = None
    risk: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


#: Each adds an app's part of a socket's state, in the same trip to the database thread; filled from
#: the ready() of the apps above chat. Like chat's own parts, a reader runs no query that cannot find
#: anything for this user (a reconnect storm is thousands of these).
socket_state_readers: list[Callable[[object, SocketState], None]] = []


def socket_state_reader_register(reader: Callable[[object, SocketState], None]) -> None:
    """Add ``reader(user, state)`` to what a freshly connected socket reads; called from an app's ``ready()``."""
    if reader not in socket_state_readers:
        socket_state_readers.append(reader)


def socket_state_for_user(user) -> SocketState:
    """What a freshly connected socket needs: open conversations, queue place, offers, and what the
    registered readers add (shift, pauses, queue sizes, risk, warnings)."""
    state = SocketState()
    conversations = conversations_for_user(user=user, include_ended=False)
    notes = opening_notes([c.pk for c in conversations if c.listener_id == user.pk]) if user.is_listener else {}
    for conversation in conversations:
        state.conversation_ids.append(conversation.pk)
        state.conversations.append(
            conversation_payload(conversation, for_user_id=user.pk, note=notes.get(conversation.pk, ""))
        )
    # Only seekers ask (request_create refuses anyone else) and only listeners get offers and
    # shifts: a reconnect storm is thousands of these, so no query is run that cannot find anything.
    if user.is_seeker:
        request = request_open_for_seeker(seeker_id=user.pk)
        if request is not None:
            from chat.waiting import request_status

            state.request = request_status(request)
    if user.is_listener:
        now = timezone.now()
        offers = Offer.objects.select_related("request__topic").filter(
            listener_id=user.pk, status=OfferStatus.PENDING, expires_at__gt=now
        )
        state.offers = [offer_payload(offer, now=now) for offer in offers]
    for reader in socket_state_readers:
        reader(user, state)
    return state


def messages_payload(messages: list[Message], conversation_id: int) -> list[dict]:
    return [message_payload(message, conversation_id=conversation_id) for message in messages]
