"""Safety replies on the chat socket after a message was flagged."""

from __future__ import annotations

from support.helplines import helplines_for

GUIDANCE = (
    "This message may mean the person is at risk. Stay with them, stay calm and kind, and ask directly about "
    "their safety. The safety team has been alerted and may join. Don't promise secrecy; share the crisis "
    "resources if they are in danger now."
)


async def after_flagged_message(consumer, *, conversation_id: int, screening) -> None:
    """Crisis resources to a seeker who wrote it; the listener gets guidance through the conversation."""
    from chat.events import conversation_group

    if consumer.user.is_seeker:
        await consumer.send_json(
            {"type": "safety.resources", "conversation": conversation_id, "helplines": helplines_for(None)}
        )
    await consumer.channel_layer.group_send(
        conversation_group(conversation_id),
        {
            "type": "deliver",
            "conversation": conversation_id,
            "role": "listener",
            "frame": {"type": "safety.guidance", "conversation": conversation_id, "level": screening.level, "guidance": GUIDANCE},
        },
    )
