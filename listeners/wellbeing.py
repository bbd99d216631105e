"""Looking after listeners: a pause and a debrief after a hard chat."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from chat.events import user_event
from listeners.models import ListenerProfile, Shift

DEBRIEF_PROMPT = (
    "That was a hard conversation, and you stayed with them. Take a breath before the next one. "
    "What went well? What stays with you? If anything is weighing on you, the safety team is here for you too."
)


def after_conversation_closed(conversation, *, now) -> None:
    """After a hard chat (one with a safety case) ends: count it, pause new offers and prompt a debrief. Caller holds a transaction."""
    if not conversation.has_safety_case or not conversation.listener_id:
        return
    Shift.objects.filter(listener_id=conversation.listener_id, ended_at__isnull=True).update(
        hard_chats=F("hard_chats") + 1
    )
    cooldown = settings.LISTENERS_HARD_CHAT_COOLDOWN_SECONDS
    if cooldown <= 0:
        return
    paused_until = now + timedelta(seconds=cooldown)
    ListenerProfile.objects.filter(user_id=conversation.listener_id).update(paused_until=paused_until)
    user_event(
        conversation.listener_id,
        {
            "type": "wellbeing.pause",
            "paused_until": paused_until.isoformat().replace("+00:00", "Z"),
            "prompt": DEBRIEF_PROMPT,
        },
    )


def wellbeing_continue(*, listener) -> None:
    """The listener chooses to take offers again before the cooldown ends; a round runs after commit."""
    # Function-local: chat.dispatch reads listeners.selectors, which imports this module.
    from chat.dispatch import requests_dispatch_after_commit

    with transaction.atomic():
        ListenerProfile.objects.filter(user_id=listener.pk).update(paused_until=None)
        requests_dispatch_after_commit()
