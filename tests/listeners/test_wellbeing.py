from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import ChatRequest, Conversation, ConversationStatus, Offer
from chat.services.conversations import conversation_end
from listeners.models import ListenerProfile, Shift
from listeners.wellbeing import DEBRIEF_PROMPT, wellbeing_continue
from support.models import Connection
from tests.factories import ListenerFactory, SeekerFactory, open_shift, topic
from tests.listeners.conftest import client_for
from tests.ws import connected, receive_until


def _hard_chat(listener, seeker, *, has_safety_case=True):
    return Conversation.objects.create(
        seeker=seeker,
        listener=listener,
        topic=topic(),
        status=ConversationStatus.ACTIVE,
        started_at=timezone.now(),
        has_safety_case=has_safety_case,
    )


def _waiting(seeker):
    conversation = Conversation.objects.create(seeker=seeker, topic=topic())
    return ChatRequest.objects.create(
        seeker=seeker, conversation=conversation, topic=topic(), age_group="adult", queued_at=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
async def test_ending_a_hard_chat_pauses_offers_and_prompts_a_debrief(settings):
    settings.LISTENERS_HARD_CHAT_COOLDOWN_SECONDS = 900
    listener = await sync_to_async(ListenerFactory)()
    seeker = await sync_to_async(SeekerFactory)()
    await sync_to_async(open_shift)(listener, capacity=3)
    conversation = await sync_to_async(_hard_chat)(listener, seeker)
    async with connected(listener) as socket:
        await socket.send_json_to({"type": "conversation.end", "conversation": conversation.pk})
        frame = await receive_until(socket, "wellbeing.pause")
        assert frame["prompt"] == DEBRIEF_PROMPT
        assert frame["paused_until"].endswith("Z")
        profile = await sync_to_async(ListenerProfile.objects.get)(user=listener)
        assert profile.paused_until is not None

        # While paused: a waiting seeker is not offered to this listener.
        other = await sync_to_async(SeekerFactory)()
        await sync_to_async(_waiting)(other)
        assert await sync_to_async(requests_dispatch)() == 0

        # wellbeing.continue lifts the pause and the seeker is offered at once.
        await socket.send_json_to({"type": "wellbeing.continue", "ref": "w"})
        resumed = await receive_until(socket, "wellbeing.resumed")
        assert resumed["ref"] == "w"
        offer = await receive_until(socket, "offer.created")
        assert offer["offer"]["topic"] == "anxiety"
        assert await sync_to_async(Offer.objects.filter(listener=listener).count)() == 1


@pytest.mark.django_db
def test_an_ordinary_chat_does_not_pause(listener, seeker, settings):
    settings.LISTENERS_HARD_CHAT_COOLDOWN_SECONDS = 900
    open_shift(listener)
    conversation = _hard_chat(listener, seeker, has_safety_case=False)
    conversation_end(user=listener, conversation_id=conversation.pk)
    assert ListenerProfile.objects.get(user=listener).paused_until is None


@pytest.mark.django_db
def test_the_pause_ends_by_itself_after_the_cooldown(listener, seeker, settings):
    settings.LISTENERS_HARD_CHAT_COOLDOWN_SECONDS = 900
    now = timezone.now()
    open_shift(listener, started_at=now - timedelta(minutes=5))
    conversation = _hard_chat(listener, seeker)
    conversation_end(user=seeker, conversation_id=conversation.pk, now=now)
    Connection.objects.create(user=listener, channel_name="test.c", last_seen_at=now + timedelta(seconds=901))
    _waiting(SeekerFactory())
    assert requests_dispatch(now=now + timedelta(seconds=60)) == 0
    Connection.objects.filter(user=listener).update(last_seen_at=now + timedelta(seconds=901))
    assert requests_dispatch(now=now + timedelta(seconds=901)) == 1


@pytest.mark.django_db
def test_hard_chats_count_in_the_shift_stats(listener, seeker):
    open_shift(listener)
    conversation = _hard_chat(listener, seeker)
    conversation_end(user=listener, conversation_id=conversation.pk)
    shift = Shift.objects.get(listener=listener)
    assert shift.hard_chats == 1
    history = client_for(listener).get("/api/v1/listeners/shifts").json()["shifts"]
    assert history[0]["chats_escalated"] == 1
    console = client_for(listener).get("/api/v1/listeners/me/console").json()
    assert console["shift"]["chats_escalated"] == 1
    assert console["stats"]["hard_chats"] == 1
    assert console["profile"]["paused_until"] is not None


@pytest.mark.django_db
def test_continue_clears_the_pause(listener, seeker):
    open_shift(listener)
    conversation_end(user=listener, conversation_id=_hard_chat(listener, seeker).pk)
    wellbeing_continue(listener=listener)
    assert ListenerProfile.objects.get(user=listener).paused_until is None
