"""Frame handlers for the staff socket: validate, call one service, reply."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from chat.frames import after_seq_of, check_after_seq, page_limit, reply_with_messages_page
from chat.payloads import conversation_payload, messages_page
from safety import services
from safety.payloads import alert_payload
from safety.selectors import conversation_get_for_staff, transcript
from support import ratelimit
from support.events import run_service
from support.ws import FrameError, require, require_id


def _alert(flag) -> dict:
    topic = flag.conversation.topic.slug if flag.conversation_id and flag.conversation.topic_id else None
    return alert_payload(flag, topic_slug=topic, now=timezone.now())


async def ping(consumer, frame):
    await consumer.reply(frame, {"type": "pong"})


async def alert_ack(consumer, frame):
    flag_id = require_id(frame, "alert")
    flag = await run_service(services.alert_acknowledge, staff=consumer.user, flag_id=flag_id)
    await consumer.reply(frame, {"type": "alert.acknowledged", "alert": _alert(flag)})


async def flag_claim(consumer, frame):
    flag_id = require_id(frame, "flag")
    flag = await run_service(services.flag_claim, staff=consumer.user, flag_id=flag_id)
    await consumer.reply(frame, {"type": "flag.claimed", "alert": _alert(flag)})


def _staff_view(conversation) -> dict:
    payload = conversation_payload(conversation, for_user_id=0)
    payload["your_role"] = "staff"
    payload["peer"] = None
    return payload


async def conversation_join(consumer, frame):
    conversation_id = require_id(frame, "conversation")
    was_joined = conversation_id in consumer.conversations
    await consumer.join_conversation(conversation_id)
    try:
        conversation, messages = await run_service(
            services.staff_conversation_join, staff=consumer.user, conversation_id=conversation_id
        )
    except Exception:
        if not was_joined:
            await consumer.leave_conversation(conversation_id)
        raise
    envelope = {"type": "conversation.joined", "conversation": _staff_view(conversation)}
    await consumer.reply(
        frame,
        messages_page(
            messages, conversation_id=conversation_id, envelope=envelope, after_seq=0, last_seq=conversation.last_seq
        ),
    )


async def conversation_handoff(consumer, frame):
    conversation_id = require_id(frame, "conversation")
    was_joined = conversation_id in consumer.conversations
    await consumer.join_conversation(conversation_id)
    try:
        conversation = await run_service(
            services.staff_conversation_handoff, staff=consumer.user, conversation_id=conversation_id
        )
    except Exception:
        if not was_joined:
            await consumer.leave_conversation(conversation_id)
        raise
    await consumer.reply(
        frame, {"type": "conversation.handed_off", "conversation": conversation.pk, "last_seq": conversation.last_seq}
    )


async def message_send(consumer, frame):
    conversation_id = require_id(frame, "conversation")
    client_id = require(frame, "client_id", str)
    text = require(frame, "text", str)
    message, duplicate = await run_service(
        services.staff_message_send,
        staff=consumer.user,
        conversation_id=conversation_id,
        client_id=client_id,
        text=text,
    )
    await consumer.reply(
        frame,
        {
            "type": "message.ack",
            "conversation": conversation_id,
            "client_id": client_id,
            "seq": message.seq,
            "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
            "duplicate": duplicate,
            "masked": False,
        },
    )


async def conversation_sync(consumer, frame):
    """Messages after ``after_seq`` in a conversation this staff member joined (audited as ``sync``)."""
    from channels.db import database_sync_to_async

    conversation_id = require_id(frame, "conversation")
    after_seq = after_seq_of(frame)
    ratelimit.transcript_read_limit(
        consumer,
        "conversation.sync",
        key=conversation_id,
        after_seq=after_seq,
        limit=settings.HEARTH_WS_SYNC_PER_SOCKET,
    )
    limit = page_limit(frame)
    if conversation_id not in consumer.conversations:
        raise FrameError("not_joined", services.NOT_JOINED)

    def load():
        conversation = conversation_get_for_staff(staff=consumer.user, conversation_id=conversation_id, purpose="sync")
        check_after_seq(after_seq, conversation.last_seq)
        return conversation, [message for message in transcript(conversation) if message.seq > after_seq][:limit]

    conversation, messages = await database_sync_to_async(load)()
    await reply_with_messages_page(consumer, frame, conversation, messages, after_seq=after_seq)


async def conversation_end(consumer, frame):
    conversation_id = require_id(frame, "conversation")
    note = require(frame, "note", str, optional=True, default="")
    conversation = await run_service(
        services.staff_conversation_end, staff=consumer.user, conversation_id=conversation_id, note=note
    )
    await consumer.reply(
        frame, {"type": "conversation.end.ack", "conversation": conversation.pk, "status": conversation.status}
    )


HANDLERS = {
    "conversation.end": conversation_end,
    "ping": ping,
    "alert.ack": alert_ack,
    "flag.claim": flag_claim,
    "conversation.join": conversation_join,
    "conversation.handoff": conversation_handoff,
    "conversation.sync": conversation_sync,
    "message.send": message_send,
}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {
    "conversation.end": frozenset({"conversation", "note"}),
    "ping": frozenset(),
    "alert.ack": frozenset({"alert"}),
    "flag.claim": frozenset({"flag"}),
    "conversation.join": frozenset({"conversation"}),
    "conversation.handoff": frozenset({"conversation"}),
    "conversation.sync": frozenset({"conversation", "after_seq", "limit"}),
    "message.send": frozenset({"conversation", "client_id", "text"}),
}
