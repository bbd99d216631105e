"""Safety frames on the seeker/listener chat socket (merged into ``ChatConsumer.handlers``)."""

from __future__ import annotations

from safety import services
from support.events import run_service
from support.ws import require, require_id


async def conversation_flag(consumer, frame):
    """A listener raises their chat with the safety team (manual escalation)."""
    conversation_id = require_id(frame, "conversation")
    note = require(frame, "note", str, optional=True, default="")
    flag, duplicate = await run_service(
        services.flag_create_by_listener, listener=consumer.user, conversation_id=conversation_id, note=note
    )
    await consumer.reply(
        frame,
        {"type": "conversation.flagged", "conversation": conversation_id, "flag": flag.pk, "duplicate": duplicate},
    )


HANDLERS = {"conversation.flag": conversation_flag}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {"conversation.flag": frozenset({"conversation", "note"})}
