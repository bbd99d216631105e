"""Creating messages: the only code that writes ``Message`` rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat.events import conversation_event
from chat.message_sql import message_from_row, message_insert, message_insert_with_next_seq, messages_nearby
from chat.models import Conversation, ConversationStatus, Message, MessageKind
from chat.payloads import message_payload
from chat.screener import Screening, Verdict, message_screener
from chat.selectors import conversation_get_for_participant, conversation_get_for_sender
from support import ratelimit
from support.errors import DomainError, RateLimited
from support.models import AgeGroup
from support.rawsql import db_datetime

EMPTY_MESSAGE = "A message can't be empty."
MESSAGE_TOO_LONG = "Messages are limited to {limit} characters."
CONVERSATION_ENDED = "This chat has ended."
NOT_YET_JOINED = "Your listener hasn't joined yet."
MUTED = "You can't send messages for a while after a decision by the Hearth safety team."
MAX_CLIENT_ID = 64
CONTEXT_MESSAGES = 4
# Sequence numbers to look back over for context (system notices take numbers too).
CONTEXT_WINDOW = 8


@dataclass(frozen=True)
class SendResult:
    """``message`` is None when screening held the text back (``held``, with its ``verdict``): nothing
    was delivered. A duplicate of a delivered message carries neither screening nor verdict."""

    message: Message | None
    duplicate: bool
    screening: Screening | None
    verdict: Verdict | None = None
    held: object | None = None  # the safety app's record of the held text


def validate_text(text) -> str:
    if not isinstance(text, str):
        raise DomainError("invalid_field", "'text' must be a string.", field="text")
    stripped = text.strip()
    if not stripped:
        raise DomainError("empty_message", EMPTY_MESSAGE)
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(stripped) > limit:
        raise DomainError("message_too_long", MESSAGE_TOO_LONG.format(limit=limit), limit=limit)
    return stripped


def validate_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not (1 <= len(client_id) <= MAX_CLIENT_ID) or not client_id.isprintable():
        raise DomainError(
            "invalid_field", f"'client_id' must be 1–{MAX_CLIENT_ID} printable characters.", field="client_id"
        )
    return client_id


def next_seq(conversation_id: int, *, now) -> int:
    """Take the next sequence number. Must run inside the message's transaction.

    The UPDATE locks the conversation row until commit, so concurrent senders
    queue and numbers stay gap-free (a rollback gives the number back).
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        # One round-trip: UPDATE … RETURNING (PostgreSQL, and SQLite since 3.35).
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1, last_activity_at = %s, inactivity_warned_at = NULL "
            f"WHERE id = %s RETURNING last_seq",
            [db_datetime(now), conversation_id],
        )
        return cursor.fetchone()[0]


def message_append(
    *,
    conversation: Conversation,
    text: str,
    kind: str,
    sender=None,
    sender_role: str,
    client_id: str = "",
    masked: bool = False,
    risk_level: int = 0,
    for_role: str = "",
    now=None,
) -> Message:
    """Persist one message and schedule its delivery after commit. Caller holds a transaction."""
    now = now or timezone.now()
    fields = dict(
        conversation_id=conversation.pk,
        kind=kind,
        sender_id=sender.pk if sender else None,
        sender_role=sender_role,
        client_id=client_id,
        text=text,
        masked=masked,
        risk_level=risk_level,
        created_at=now,
    )
    if for_role:
        fields["for_role"] = for_role
    if connection.vendor == "postgresql":
        message = message_insert_with_next_seq(**fields)
        seq = message.seq
    else:
        seq = next_seq(conversation.pk, now=now)
        message = message_insert(seq=seq, **fields)
    if sender is not None:
        message.sender = sender  # the instance the caller holds: no query for the payload's alias
    conversation.last_seq = seq
    payload = message_payload(message, conversation_id=conversation.pk, sender_alias=sender.alias if sender else "")
    conversation_event(conversation.pk, {"type": "message.created", "message": payload})
    return message


def system_message(conversation: Conversation, text: str, *, now=None, for_role: str = "") -> Message:
    """A line from Hearth in the transcript; ``for_role`` ("seeker" or "listener") when it speaks to
    one side only (the other side's page, and staff, do not show it)."""
    return message_append(
        conversation=conversation, text=text, kind=MessageKind.SYSTEM, sender_role="system", for_role=for_role, now=now
    )


def message_send(*, sender, conversation_id: int, client_id: str, text: str) -> SendResult:
    """Screen, persist and deliver one chat message.

    Checks access (participant only) and state, applies the rate limit,
    screens the text through the registered screener (``chat.screener``:
    safety masks personal information and assesses risk and conduct with the
    last few messages as context), and acts on its verdict: a delivered message and its flag
    are written in one transaction; a held one (a listener's misconduct) is
    stored for review only and never delivered. Re-sending a ``client_id``
    returns the original outcome without writing anything. Delivery happens
    after commit.
    """
    client_id = validate_client_id(client_id)
    text = validate_text(text)
    with transaction.atomic():
        conversation = conversation_get_for_sender(user=sender, conversation_id=conversation_id)
        # One read serves both the idempotency check and the screening context.
        nearby = messages_nearby(
            conversation_id=conversation.pk,
            sender_id=sender.pk,
            client_id=client_id,
            last=CONTEXT_WINDOW,
        )
        existing = next((m for m in nearby if m["sender_id"] == sender.pk and m["client_id"] == client_id), None)
        if existing is not None:
            return SendResult(message_from_row(existing), duplicate=True, screening=None)
        role = conversation.role_of(sender.pk)
        if conversation.status == ConversationStatus.ENDED:
            raise DomainError("conversation_ended", CONVERSATION_ENDED)
        if conversation.status == ConversationStatus.WAITING and role != "seeker":
            raise DomainError("not_joined", NOT_YET_JOINED)
        muted_until = conversation.sender_muted_until
        if muted_until is not None:
            raise DomainError("muted", MUTED, status=403, until=muted_until.isoformat().replace("+00:00", "Z"))
        decision = ratelimit.hit(
            "chat-msg", str(sender.pk), limit=settings.CHAT_RATE_MESSAGES, window=settings.CHAT_RATE_WINDOW_SECONDS
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after)
        recent = [m for m in nearby if m["kind"] == MessageKind.TEXT][-CONTEXT_MESSAGES:]
        quoted_from = tuple(m["text"] for m in recent if m["sender_id"] != sender.pk)
        if role == "listener":
            recent = [m for m in recent if m["sender_id"] == sender.pk]
        screener = message_screener()
        screening = screener.screen(
            text=text,
            sender_role=role,
            recent_texts=tuple(m["text"] for m in recent),
            recent_levels=tuple(m["risk_level"] for m in recent),
            quoted_from=quoted_from,
        )
        verdict = screener.verdict(screening, author_role=role)
        if verdict.hold:
            if role == "listener" and _seeker_is_minor(conversation):
                verdict = screener.verdict(screening, author_role=role, to_minor=True)
            held, created = screener.hold(
                conversation=conversation,
                sender=sender,
                sender_role=role,
                client_id=client_id,
                screening=screening,
                verdict=verdict,
            )
            return SendResult(None, duplicate=not created, screening=screening, verdict=verdict, held=held)
        message = message_append(
            conversation=conversation,
            text=screening.text,
            kind=MessageKind.TEXT,
            sender=sender,
            sender_role=role,
            client_id=client_id,
            masked=screening.masked,
            risk_level=screening.level,
        )
        if verdict.flag:
            screener.flag(message=message, conversation=conversation, screening=screening, verdict=verdict)
    return SendResult(message, duplicate=False, screening=screening, verdict=verdict)


def _seeker_is_minor(conversation: Conversation) -> bool:
    return Conversation.objects.filter(pk=conversation.pk, seeker__age_group=AgeGroup.TEEN).exists()


def conversation_mark_read(*, user, conversation_id: int, seq: int) -> int:
    """Record the last sequence number ``user`` has read; never moves backwards."""
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=user, conversation_id=conversation_id, for_update=True)
        role = conversation.role_of(user.pk)
        field = "seeker_read_seq" if role == "seeker" else "listener_read_seq"
        seq = min(seq, conversation.last_seq)
        if seq <= getattr(conversation, field):
            return getattr(conversation, field)
        setattr(conversation, field, seq)
        conversation.save(update_fields=[field])
        conversation_event(
            conversation.pk, {"type": "conversation.read", "conversation": conversation.pk, "role": role, "seq": seq}
        )
        return seq
