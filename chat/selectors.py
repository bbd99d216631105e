"""Reads for chat, including the one access function for conversations."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from chat.models import ChatRequest, Conversation, ConversationStatus, Message, Offer, OfferStatus, RequestStatus
from chat.queue_sql import matches_since, requests_ahead
from chat.payloads import conversation_payload, message_payload, offer_payload, request_payload
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
    queryset = Conversation.objects.select_related("seeker", "listener", "topic") if with_people else Conversation.objects.all()
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


def _only_for_participant(queryset, *, user, conversation_id: int) -> Conversation:
    if user is None or not user.is_authenticated:
        raise NotFoundOrForbidden()
    # Sliced rather than .first(): the primary key picks one row, no ORDER BY needed.
    found = list(queryset.filter(pk=conversation_id).filter(Q(seeker_id=user.pk) | Q(listener_id=user.pk))[:1])
    if not found:
        raise NotFoundOrForbidden()
    return found[0]


def messages_after(*, conversation: Conversation, after_seq: int, limit: int | None = None) -> list[Message]:
    """Messages after ``after_seq``, oldest first, each with ``sender_alias`` (``chat.message_sql``)."""
    from chat.message_sql import transcript_after

    return transcript_after(conversation_id=conversation.pk, after_seq=after_seq, limit=limit or settings.CHAT_RESUME_BATCH)


def conversations_for_user(*, user, include_ended: bool = True, limit: int = 50) -> list[Conversation]:
    queryset = Conversation.objects.select_related("seeker", "listener", "topic").filter(
        Q(seeker_id=user.pk) | Q(listener_id=user.pk)
    )
    if not include_ended:
        queryset = queryset.exclude(status=ConversationStatus.ENDED)
    return list(queryset.order_by("-created_at")[:limit])


def request_open_for_seeker(*, seeker_id: int) -> ChatRequest | None:
    return (
        ChatRequest.objects.select_related("topic", "requested_listener")
        .filter(seeker_id=seeker_id, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], transfer_from__isnull=True)
        .first()
    )


def queue_position(request: ChatRequest) -> int:
    """1-based place among open requests that compete for the same listeners.

    Requests for the same topic, or for any topic, that sort ahead of this one
    (priority first, then time queued).
    """
    return requests_ahead(priority=request.priority, queued_at=request.queued_at, topic_id=request.topic_id) + 1


MIN_MATCHES_FOR_ESTIMATE = 3


MATCHING_RATES_CACHE_KEY = "chat:matching-rates"
#: The estimate averages the last half hour: rates a few seconds old change
#: nothing a seeker sees, and reading them afresh for every request in a burst
#: was one statement per request counting every match in the window.
MATCHING_RATES_MAX_AGE_SECONDS = 5


def matching_rates(*, now=None) -> dict:
    """Matches in the estimate window: ``{"all": n, topic_id: n, ...}``.

    Live (``now`` not given): from the shared cache when at most
    ``MATCHING_RATES_MAX_AGE_SECONDS`` old, so one query serves every process
    for that long. A cache that cannot answer costs the query, not the request.
    """
    if now is not None:
        return _matching_rates_at(now)
    try:
        rates = cache.get(MATCHING_RATES_CACHE_KEY)
    except Exception:
        logger.warning("matching rates: cache unavailable, reading them from the database", exc_info=True)
        return _matching_rates_at(timezone.now())
    if rates is None:
        rates = _matching_rates_at(timezone.now())
        try:
            cache.set(MATCHING_RATES_CACHE_KEY, rates, timeout=MATCHING_RATES_MAX_AGE_SECONDS)
        except Exception:
            logger.warning("matching rates: could not cache them", exc_info=True)
    return rates


def _matching_rates_at(now) -> dict:
    since = now - timedelta(seconds=settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS)
    counts = matches_since(since)
    counts["all"] = sum(counts.values())
    return counts


def estimate_from_rates(rates: dict, topic_id: int | None, position: int) -> int | None:
    """Position divided by the recent matching rate for the topic.

    The rate is matches per second over the last
    ``MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS`` (all topics when the topic has
    fewer than three); ``None`` means "not enough data to say".
    """
    matches = rates.get(topic_id, 0) if topic_id is not None else rates["all"]
    if matches < MIN_MATCHES_FOR_ESTIMATE:
        matches = rates["all"]
    if matches < MIN_MATCHES_FOR_ESTIMATE:
        return None
    return int(position * settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS / matches)


def estimated_wait_seconds(request: ChatRequest, *, position: int, now=None) -> int | None:
    return estimate_from_rates(matching_rates(now=now), request.topic_id, position)


@dataclass
class SocketState:
    conversation_ids: list[int] = field(default_factory=list)
    conversations: list[dict] = field(default_factory=list)
    request: dict | None = None
    offers: list[dict] = field(default_factory=list)
    shift: dict | None = None
    pauses: dict | None = None


def socket_state_for_user(user) -> SocketState:
    """What a freshly connected socket needs: open conversations, queue place, offers, shift."""
    state = SocketState()
    for conversation in conversations_for_user(user=user, include_ended=False):
        state.conversation_ids.append(conversation.pk)
        state.conversations.append(conversation_payload(conversation, for_user_id=user.pk))
    # Only seekers ask (request_create refuses anyone else) and only listeners get offers and
    # shifts: a reconnect storm is thousands of these, so no query is run that cannot find anything.
    if user.is_seeker:
        request = request_open_for_seeker(seeker_id=user.pk)
        if request is not None:
            position = queue_position(request)
            state.request = request_payload(
                request, position=position, estimated_wait=estimated_wait_seconds(request, position=position)
            )
    if user.is_listener:
        now = timezone.now()
        offers = Offer.objects.select_related("request__topic").filter(
            listener_id=user.pk, status=OfferStatus.PENDING, expires_at__gt=now
        )
        state.offers = [offer_payload(offer, now=now) for offer in offers]
        from listeners.selectors import listener_pauses, shift_payload_for_listener

        state.shift = shift_payload_for_listener(user)
        state.pauses = listener_pauses(user, now=now)
    return state


def messages_payload(messages: list[Message], conversation_id: int) -> list[dict]:
    return [message_payload(message, conversation_id=conversation_id) for message in messages]
