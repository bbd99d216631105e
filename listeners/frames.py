"""Frame handlers for listeners (and seekers' ratings) on the chat socket: shifts, wellbeing, ratings."""

from __future__ import annotations

from channels.db import database_sync_to_async

from listeners import feedback, services, wellbeing
from listeners.selectors import shift_payload
from support.events import run_service
from support.ws import require, require_id


async def shift_start(consumer, frame):
    topics = require(frame, "topics", list)
    capacity = require(frame, "capacity", int, optional=True)  # None: the listener's default_capacity
    shift = await run_service(services.shift_start, listener=consumer.user, topic_slugs=topics, capacity=capacity)
    await consumer.reply(frame, {"type": "shift.start.ack", "shift": await _payload(shift)})
    await run_service(_queue_sizes)


async def shift_end(consumer, frame):
    await run_service(services.shift_end, listener=consumer.user)
    await consumer.reply(frame, {"type": "shift.end.ack"})
    await run_service(_queue_sizes)


async def wellbeing_continue(consumer, frame):
    await run_service(wellbeing.wellbeing_continue, listener=consumer.user)
    await consumer.reply(frame, {"type": "wellbeing.resumed"})


async def conversation_rate(consumer, frame):
    conversation_id = require_id(frame, "conversation")
    score = require(frame, "score", int)
    comment = require(frame, "comment", str, optional=True, default="")
    rating = await run_service(
        feedback.rating_create, seeker=consumer.user, conversation_id=conversation_id, score=score, comment=comment
    )
    await consumer.reply(
        frame,
        {
            "type": "conversation.rated",
            "conversation": conversation_id,
            "score": rating.score,
            "comment": rating.comment,
        },
    )


def _queue_sizes() -> None:
    from listeners.queue_sizes import queue_sizes_notify

    queue_sizes_notify()


async def _payload(shift):
    return await database_sync_to_async(shift_payload)(shift)


HANDLERS = {
    "shift.start": shift_start,
    "shift.end": shift_end,
    "wellbeing.continue": wellbeing_continue,
    "conversation.rate": conversation_rate,
}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {
    "shift.start": frozenset({"topics", "capacity"}),
    "shift.end": frozenset(),
    "wellbeing.continue": frozenset(),
    "conversation.rate": frozenset({"conversation", "score", "comment"}),
}
