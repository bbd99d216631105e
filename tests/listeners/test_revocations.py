"""Revocations take effect at once, whatever the transport: teen approval withdrawn, suspension."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group

from chat.dispatch import requests_dispatch
from chat.models import ChatRequest, ConversationStatus, Message, RequestPriority, RequestStatus
from chat.services.conversations import conversation_end
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from listeners.models import DecisionAction
from listeners.services import listener_decide
from support.events import collecting_events
from support.roles import LISTENER_MANAGERS_GROUP
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for
from tests.factories import ListenerFactory, SeekerFactory, TeenSeekerFactory, UserFactory
from tests.listeners.conftest import client_for
from tests.rooms.helpers import in_room, make_room
from tests.ws import connected, receive_until


def _chat(listener, seeker):
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    return offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)


def _teen_chat(listener):
    return _chat(listener, TeenSeekerFactory())


@pytest.mark.django_db
def test_withdrawing_teen_approval_sends_the_teen_kindly_to_the_front_of_the_line(
    manager, django_capture_on_commit_callbacks
):
    listener = listener_on_shift(teens=True, capacity=3)
    teen_chat = _teen_chat(listener)
    adult_chat = _chat(listener, SeekerFactory())
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        listener_decide(staff=manager, listener_id=listener.pk, action=DecisionAction.REVOKE_TEENS, note="review")
    teen_chat.refresh_from_db()
    adult_chat.refresh_from_db()
    assert teen_chat.status == ConversationStatus.WAITING and teen_chat.listener_id is None
    assert adult_chat.status == ConversationStatus.ACTIVE and adult_chat.listener_id == listener.pk
    request = ChatRequest.objects.get(conversation=teen_chat, status__in=[RequestStatus.WAITING, RequestStatus.OFFERED])
    assert request.priority >= RequestPriority.RETURNING
    notice = Message.objects.filter(conversation=teen_chat, kind="system").order_by("-seq").first()
    assert "nothing you did" in notice.text
    left = [event for _, event in outbox if event.get("type") == "conversation.leave"]
    assert [event["conversation"] for event in left] == [teen_chat.pk]


@pytest.mark.django_db
def test_a_suspended_listener_reads_no_transcript_with_the_old_session_or_a_fresh_sign_in(manager):
    seeker, listener, conversation = matched_pair()
    conversation_end(user=seeker, conversation_id=conversation.pk)
    old_session = client_for(listener)
    assert old_session.get(f"/api/v1/conversations/{conversation.pk}/messages").status_code == 200
    listener_decide(staff=manager, listener_id=listener.pk, action=DecisionAction.SUSPEND, note="serious report")
    assert old_session.get(f"/api/v1/conversations/{conversation.pk}/messages").status_code == 404
    fresh = client_for(listener)
    assert fresh.get(f"/api/v1/conversations/{conversation.pk}/messages").status_code == 404
    assert fresh.get(f"/api/v1/conversations/{conversation.pk}").status_code == 404
    assert fresh.get("/api/v1/conversations").json() == []
    # The seeker still reads their own chat.
    assert client_for(seeker).get(f"/api/v1/conversations/{conversation.pk}/messages").status_code == 200


@pytest.mark.django_db
def test_a_suspension_offers_the_requeued_seeker_to_another_listener_without_any_follow_up(
    manager, django_capture_on_commit_callbacks
):
    seeker, listener, conversation = matched_pair()
    other = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        listener_decide(staff=manager, listener_id=listener.pk, action=DecisionAction.SUSPEND, note="serious report")
    assert pending_offer_for(other).request.conversation_id == conversation.pk


@pytest.mark.django_db(transaction=True)
async def test_withdrawing_teen_approval_closes_the_listeners_teen_room_sockets():
    def setup():
        staff = UserFactory(username="manager9", alias="ListenerManager9", role="staff")
        staff.groups.add(Group.objects.get(name=LISTENER_MANAGERS_GROUP))
        return staff, make_room(audience="teen", name="Teen circle"), ListenerFactory(profile__approved_for_teens=True)

    staff, room, listener = await sync_to_async(setup)()
    async with in_room(listener, room.pk) as ws:
        await sync_to_async(listener_decide)(staff=staff, listener_id=listener.pk, action=DecisionAction.REVOKE_TEENS)
        frame = await receive_until(ws, "room.left")
        assert frame["reason"] == "approval_withdrawn" and frame["room"] == room.pk
        closed = await ws.receive_output(timeout=5)
        assert closed["type"] == "websocket.close" and closed["code"] == 4403
    async with connected(listener, path=f"/ws/v1/rooms/{room.pk}/", expect_hello=False) as again:
        closed = await again.receive_output(timeout=5)
        assert closed["type"] == "websocket.close" and closed["code"] == 4404
