"""Safety replies on the chat socket after a message was flagged."""

from __future__ import annotations

from safety.classifier import Level
from safety.payloads import level_label
from support.helplines import helplines_for

GUIDANCE_ELEVATED = (
    "This message may mean the person is at risk. Stay with them, stay calm and kind, and ask directly about "
    'their safety: "Are you thinking about suicide?" Asking does not put the idea in their head. The safety '
    "team has been alerted and may join. Don't promise secrecy."
)
GUIDANCE_IMMINENT = (
    "This person may be in danger right now. Ask whether they have already done something to hurt themselves "
    "and where they are. If they have taken something or are in a dangerous place, send them the crisis "
    "resources and urge them to call emergency services now. Stay with them; the safety team has been "
    "alerted and will join."
)

# The seeker's transcript line when their listener sent the lines; ``safety.selectors.resources_shared_in``
# finds it again, so a reloaded page knows the lines were sent.
RESOURCES_SHARED = (
    "Your listener sent you crisis lines: people you can call or text now. They're in the panel on this page "
    "and at the foot of every page."
)

WARNING_TEXT = (
    "A member of the Hearth safety team reviewed a conversation you were in. Please keep to the community "
    "guidelines: be kind, keep everyone anonymous, and don't ask for or share contact details."
)


def warning_payload(sanction) -> dict:
    """One warning as the person warned sees it: the fixed text and when, never the reviewer or their note."""
    from safety.payloads import iso

    return {
        "id": sanction.pk,
        "text": WARNING_TEXT,
        "given_at": iso(sanction.created_at),
        "until": iso(sanction.expires_at),
    }


def warning_frame(sanction) -> dict:
    """``safety.warning``: sent live when staff warn someone (``hello.warnings`` after a reload)."""
    return {"type": "safety.warning", **warning_payload(sanction)}


def guidance_frame(*, conversation_id: int, level: int) -> dict:
    """What a listener is told when a message in their chat is flagged, specific to the level."""
    text = GUIDANCE_IMMINENT if level >= Level.IMMINENT else GUIDANCE_ELEVATED
    return {
        "type": "safety.guidance",
        "conversation": conversation_id,
        "level": int(level),
        "level_label": level_label(level),
        "guidance": text,
    }


def resources_frame(*, conversation_id: int, level: int, age_group: str | None) -> dict:
    """``safety.resources``: the crisis lines for a seeker at ``level``, emergency services first when
    the risk is imminent (the default country's; the page re-picks for the country they chose)."""
    urgent = level >= Level.IMMINENT
    return {
        "type": "safety.resources",
        "conversation": conversation_id,
        "level": int(level),
        "level_label": level_label(level),
        "urgent": urgent,
        "helplines": helplines_for(None, age_group, urgent=urgent),
    }


def risk_payload(*, conversation_id: int, level: int | None, role: str, shared: bool = False) -> dict:
    """One entry of ``hello.risk``: what a reloaded page needs to show the crisis state again.

    ``level`` is the open case's (None when there is none); ``shared`` when the listener sent the
    lines. A listener gets the guidance only for a case; a seeker only the level (their page has the
    lines). Lines sent without a case come back at elevated, the level they were sent at.
    """
    entry = {
        "conversation": conversation_id,
        "level": int(level if level is not None else Level.ELEVATED),
        "level_label": level_label(level if level is not None else Level.ELEVATED),
        "urgent": level is not None and level >= Level.IMMINENT,
    }
    if role == "listener" and level is not None:
        entry["guidance"] = guidance_frame(conversation_id=conversation_id, level=level)["guidance"]
    if shared:
        entry["shared_by"] = "listener"
    return entry


async def after_flagged_message(consumer, *, conversation_id: int, screening) -> None:
    """Crisis resources to a seeker who wrote it; the listener gets guidance through the conversation."""
    from chat.events import conversation_group

    if consumer.user.is_seeker:
        await consumer.send_json(
            resources_frame(
                conversation_id=conversation_id, level=screening.level, age_group=consumer.user.age_group or None
            )
        )
    await consumer.channel_layer.group_send(
        conversation_group(conversation_id),
        {
            "type": "deliver",
            "conversation": conversation_id,
            "role": "listener",
            "frame": guidance_frame(conversation_id=conversation_id, level=screening.level),
        },
    )
