"""Frame handlers for the chat socket: validate the frame, call one service, reply.

Each handler takes the consumer and the decoded frame. Domain refusals are
raised as ``DomainError`` and become ``error`` frames in ``support.ws``.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings

from chat import selectors
from chat.payloads import conversation_ended_payload, conversation_state_payload, ended_by_for, messages_page
from chat.screener import message_screener
from chat.services import conversations as conversation_services
from chat.services import messages as message_services
from chat.services import offers as offer_services
from chat.services import requests as request_services
from support.client_ip import client_ip_from_scope
from support.errors import DomainError
from support.events import run_service
from support.ratelimit import socket_frame_limit, transcript_page_sent, transcript_read_limit
from support.ws import FrameError, require, require_id


def _conversation_id(consumer, frame) -> int:
    conversation_id = require_id(frame, "conversation")
    return conversation_id


async def ping(consumer, frame):
    await consumer.reply(frame, {"type": "pong"})


async def message_send(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    client_id = require(frame, "client_id", str)
    text = require(frame, "text", str)
    result = await run_service(
        message_services.message_send,
        sender=consumer.user,
        conversation_id=conversation_id,
        client_id=client_id,
        text=text,
    )
    if result.held is not None:
        await consumer.reply(
            frame,
            {
                "type": "message.held",
                "conversation": conversation_id,
                "client_id": client_id,
                "duplicate": result.duplicate,
                "notice": result.verdict.notice or "",
            },
        )
        return
    ack = {
        "type": "message.ack",
        "conversation": conversation_id,
        "client_id": client_id,
        "seq": result.message.seq,
        "created_at": result.message.created_at.isoformat().replace("+00:00", "Z"),
        "duplicate": result.duplicate,
        "masked": result.message.masked,
    }
    if result.screening is not None and result.screening.notice:
        ack["notice"] = result.screening.notice
    await consumer.reply(frame, ack)
    if result.screening is not None and result.screening.at_risk and not result.duplicate:
        await message_screener().after_flagged_message(
            consumer, conversation_id=conversation_id, screening=result.screening
        )


def page_limit(frame: dict) -> int:
    """The optional ``limit`` of a sync: 1–``CHAT_RESUME_BATCH`` messages (the default)."""
    maximum = settings.CHAT_RESUME_BATCH
    limit = require(frame, "limit", int, optional=True, default=maximum)
    if not 1 <= limit <= maximum:
        raise FrameError("invalid_field", f"'limit' must be 1–{maximum}.", field="limit", maximum=maximum)
    return limit


def after_seq_of(frame: dict) -> int:
    after_seq = require(frame, "after_seq", int, optional=True, default=0)
    if after_seq < 0:
        raise FrameError("invalid_field", "'after_seq' must be 0 or more.", field="after_seq")
    return after_seq


def check_after_seq(after_seq: int, last_seq: int) -> None:
    """A client cannot have seen a seq the conversation has not reached: its state is not this chat's."""
    if after_seq > last_seq:
        raise FrameError(
            "invalid_field",
            "'after_seq' is past the last message of this conversation.",
            field="after_seq",
            last_seq=last_seq,
        )


async def conversation_sync(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    after_seq = after_seq_of(frame)
    transcript_read_limit(
        consumer,
        "conversation.sync",
        key=conversation_id,
        after_seq=after_seq,
        limit=settings.HEARTH_WS_SYNC_PER_SOCKET,
    )
    limit = page_limit(frame)

    def load():
        conversation = selectors.conversation_get_for_participant(user=consumer.user, conversation_id=conversation_id)
        check_after_seq(after_seq, conversation.last_seq)
        messages = selectors.messages_after(conversation=conversation, after_seq=after_seq, limit=limit)
        return conversation, messages

    conversation, messages = await database_sync_to_async(load)()
    if conversation.is_open and conversation_id not in consumer.conversations:
        await consumer.join_conversation(conversation_id)
    await reply_with_messages_page(consumer, frame, conversation, messages, after_seq=after_seq)


async def reply_with_messages_page(consumer, frame, conversation, messages, *, after_seq: int) -> None:
    """Answer a ``conversation.sync`` (chat and staff sockets) with one page, remembering where it
    continues so reading on is not counted as a new read (``support.ratelimit.transcript_read_limit``)."""
    envelope = {
        "type": "conversation.messages",
        "conversation": conversation.pk,
        "last_seq": conversation.last_seq,
        "status": conversation.status,
    }
    page = messages_page(
        messages,
        conversation_id=conversation.pk,
        envelope=envelope,
        after_seq=after_seq,
        last_seq=conversation.last_seq,
    )
    transcript_page_sent(consumer, "conversation.sync", key=conversation.pk, page=page)
    await consumer.reply(frame, page)


async def typing(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    socket_frame_limit(consumer, "typing", settings.HEARTH_WS_TYPING_PER_SOCKET)
    active = require(frame, "active", bool)
    if conversation_id not in consumer.conversations:
        raise DomainError("not_found", "Not found.")
    role = "seeker" if consumer.user.is_seeker else "listener"
    from chat.events import conversation_group

    await consumer.channel_layer.group_send(
        conversation_group(conversation_id),
        {
            "type": "deliver",
            "conversation": conversation_id,
            "exclude": consumer.channel_name,
            "frame": {"type": "typing", "conversation": conversation_id, "role": role, "active": active},
        },
    )


async def conversation_read(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    seq = require(frame, "seq", int)
    if seq < 0:
        raise FrameError("invalid_field", "'seq' must be 0 or more.", field="seq")
    stored = await run_service(
        message_services.conversation_mark_read, user=consumer.user, conversation_id=conversation_id, seq=seq
    )
    await consumer.reply(frame, {"type": "conversation.read.ack", "conversation": conversation_id, "seq": stored})


async def conversation_end(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    conversation = await run_service(
        conversation_services.conversation_end,
        user=consumer.user,
        conversation_id=conversation_id,
        origin=consumer.channel_name,
    )
    # The direct reply, also for a chat that had ended already; the conversation's other
    # sockets get the same frame from the layer (this one skips that copy).
    await consumer.reply(
        frame, conversation_ended_payload(conversation, ended_by=ended_by_for(conversation.end_reason))
    )


async def conversation_transfer(consumer, frame):
    conversation_id = _conversation_id(consumer, frame)
    to_alias = require(frame, "to", str, optional=True)
    request = await run_service(
        conversation_services.conversation_transfer,
        listener=consumer.user,
        conversation_id=conversation_id,
        to_alias=to_alias,
    )
    await consumer.reply(
        frame, {"type": "conversation.transfer_requested", "conversation": conversation_id, "request": request.pk}
    )


async def request_create(consumer, frame):
    topic = require(frame, "topic", str, optional=True)
    listener = require(frame, "listener", str, optional=True)
    note = require(frame, "note", str, optional=True, default="")
    request, status = await run_service(
        request_services.request_create_with_status,
        seeker=consumer.user,
        topic_slug=topic,
        listener_alias=listener,
        note=note,
        address=client_ip_from_scope(consumer.scope),
        origin=consumer.channel_name,
    )
    # A conversation created just now has no transcript: its state needs no read.
    await consumer.join_conversation(request.conversation_id)
    await consumer.send_json(conversation_state_payload(request.conversation, [], for_user_id=consumer.user.pk))
    await consumer.reply(frame, {"type": "request.created", "request": status})


async def request_cancel(consumer, frame):
    request = await run_service(request_services.request_cancel, seeker=consumer.user)
    await consumer.reply(
        frame, {"type": "request.cancelled", "request": request.pk, "conversation": request.conversation_id}
    )


async def request_widen(consumer, frame):
    request = await run_service(request_services.request_widen, seeker=consumer.user)
    status = await database_sync_to_async(request_services.request_status)(request)
    await consumer.reply(frame, {"type": "request.updated", "request": status})


async def offer_accept(consumer, frame):
    offer_id = require_id(frame, "offer")

    def accept():
        conversation = offer_services.offer_accept(listener=consumer.user, offer_id=offer_id)
        # Joined before the transcript is read, so no message falls between the two; both in
        # this one trip to the database thread (a second trip would queue behind a whole burst
        # of requests while this listener's next offer waits). The service made this user the
        # listener: the transcript needs no access check of its own.
        async_to_sync(consumer.join_conversation)(conversation.pk)
        note = selectors.opening_notes([conversation.pk]).get(conversation.pk, "")
        return conversation, selectors.messages_after(conversation=conversation, after_seq=0), note

    conversation, transcript, note = await run_service(accept, origin=consumer.channel_name)
    await consumer.reply(frame, {"type": "offer.accepted", "offer": offer_id, "conversation": conversation.pk})
    await consumer.send_json(
        conversation_state_payload(conversation, transcript, for_user_id=consumer.user.pk, note=note)
    )


async def request_take_next(consumer, frame):
    """A listener takes the next seeker they could take; answered like an accepted offer."""

    def take():
        conversation = offer_services.request_take_next(listener=consumer.user)
        # As in offer_accept: joined before the transcript is read, in the same trip.
        async_to_sync(consumer.join_conversation)(conversation.pk)
        note = selectors.opening_notes([conversation.pk]).get(conversation.pk, "")
        return conversation, selectors.messages_after(conversation=conversation, after_seq=0), note

    conversation, transcript, note = await run_service(take, origin=consumer.channel_name)
    await consumer.reply(frame, {"type": "request.taken", "conversation": conversation.pk})
    await consumer.send_json(
        conversation_state_payload(conversation, transcript, for_user_id=consumer.user.pk, note=note)
    )


async def offer_decline(consumer, frame):
    offer_id = require_id(frame, "offer")
    never = require(frame, "never", bool, optional=True, default=False)
    await run_service(offer_services.offer_decline, listener=consumer.user, offer_id=offer_id, never=never)
    await consumer.reply(frame, {"type": "offer.declined", "offer": offer_id})


async def on_conversation_join(consumer, event: dict) -> None:
    """A user-group event: this user now takes part in a conversation; join it and send its state.
    The socket whose frame caused it (``origin``) has done so already, without the layer."""
    if event.get("origin") == consumer.channel_name:
        return
    if event.get("state") is not None and event["conversation"] in consumer.conversations:
        await consumer.send_json(event["state"])  # joined already: nothing can fall in between
        return
    await send_conversation_state(consumer, event["conversation"])


async def send_conversation_state(consumer, conversation_id: int) -> None:
    """Join a conversation this user takes part in, then send its state: read after joining, so no
    message falls between the transcript and the live frames."""

    def load():
        conversation = selectors.conversation_get_for_participant(user=consumer.user, conversation_id=conversation_id)
        note = (
            selectors.opening_notes([conversation.pk]).get(conversation.pk, "")
            if conversation.listener_id == consumer.user.pk
            else None
        )
        return conversation_state_payload(
            conversation,
            selectors.messages_after(conversation=conversation, after_seq=0),
            for_user_id=consumer.user.pk,
            note=note,
        )

    await consumer.join_conversation(conversation_id)
    try:
        state = await database_sync_to_async(load)()
    except DomainError:
        await consumer.leave_conversation(conversation_id)
        return
    await consumer.send_json(state)


HANDLERS = {
    "ping": ping,
    "message.send": message_send,
    "conversation.sync": conversation_sync,
    "typing": typing,
    "conversation.read": conversation_read,
    "conversation.end": conversation_end,
    "conversation.transfer": conversation_transfer,
    "request.create": request_create,
    "request.cancel": request_cancel,
    "request.widen": request_widen,
    "offer.accept": offer_accept,
    "offer.decline": offer_decline,
    "request.take_next": request_take_next,
}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {
    "ping": frozenset(),
    "message.send": frozenset({"conversation", "client_id", "text"}),
    "conversation.sync": frozenset({"conversation", "after_seq", "limit"}),
    "typing": frozenset({"conversation", "active"}),
    "conversation.read": frozenset({"conversation", "seq"}),
    "conversation.end": frozenset({"conversation"}),
    "conversation.transfer": frozenset({"conversation", "to"}),
    "request.create": frozenset({"topic", "listener", "note"}),
    "request.cancel": frozenset(),
    "request.widen": frozenset(),
    "offer.accept": frozenset({"offer"}),
    "offer.decline": frozenset({"offer", "never"}),
    "request.take_next": frozenset(),
}
