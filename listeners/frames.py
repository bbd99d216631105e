"""Frame handlers for listeners on the chat socket: shifts and wellbeing."""

from __future__ import annotations

from chat.frames import _dispatch_and_notify
from listeners import services, wellbeing
from listeners.selectors import shift_payload
from support.events import run_service
from support.ws import require


async def shift_start(consumer, frame):
    topics = require(frame, "topics", list)
    capacity = require(frame, "capacity", int)
    shift = await run_service(services.shift_start, listener=consumer.user, topic_slugs=topics, capacity=capacity)
    await consumer.reply(frame, {"type": "shift.start.ack", "shift": await _payload(shift)})
    await run_service(_dispatch_and_notify)


async def shift_end(consumer, frame):
    await run_service(services.shift_end, listener=consumer.user)
    await consumer.reply(frame, {"type": "shift.end.ack"})
    await run_service(_dispatch_and_notify)


async def wellbeing_continue(consumer, frame):
    await run_service(wellbeing.wellbeing_continue, listener=consumer.user)
    await consumer.reply(frame, {"type": "wellbeing.resumed"})
    await run_service(_dispatch_and_notify)


async def _payload(shift):
    from channels.db import database_sync_to_async

    return await database_sync_to_async(shift_payload)(shift)


HANDLERS = {
    "shift.start": shift_start,
    "shift.end": shift_end,
    "wellbeing.continue": wellbeing_continue,
}
