"""Safety frames on the seeker/listener chat socket (registered with ``chat.consumers`` in ``SafetyConfig.ready()``)."""

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


async def resources_send(consumer, frame):
    """A listener sends the seeker of their chat the crisis lines (one action on the console)."""
    conversation_id = require_id(frame, "conversation")
    sent = await run_service(
        services.resources_share_by_listener, listener=consumer.user, conversation_id=conversation_id
    )
    await consumer.reply(
        frame,
        {"type": "resources.sent", "conversation": conversation_id, "level": sent["level"], "urgent": sent["urgent"]},
    )


HANDLERS = {"conversation.flag": conversation_flag, "resources.send": resources_send}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {"conversation.flag": frozenset({"conversation", "note"}), "resources.send": frozenset({"conversation"})}
