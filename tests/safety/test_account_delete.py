"""A seeker deleting their account (DELETE /api/v1/me/account): everything not under review goes, they are told what stays."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import ChatRequest, Conversation, ConversationStatus
from chat.services.messages import message_send
from chat.services.requests import request_create
from listeners.models import Favourite
from rooms.models import RoomMembership, RoomMessage, RoomMessageStatus
from safety.models import Block, DeviceLink
from support.events import collecting_events
from support.models import User
from support.services import seeker_create_anonymous
from tests.rooms.helpers import make_member, make_room
from tests.safety.helpers import CRISIS, listener_on_shift, matched_pair

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _ended(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.ENDED, ended_at=timezone.now())


def test_a_seeker_deletes_their_account_and_everything_it_held(django_capture_on_commit_callbacks):
    seeker = seeker_create_anonymous(age=25)
    listener = listener_on_shift(capacity=5)
    _, _, ended = matched_pair(seeker=seeker, listener=listener)
    message_send(sender=seeker, conversation_id=ended.pk, client_id="a", text="my words")
    _ended(ended)
    _, _, active = matched_pair(seeker=seeker, listener=listener)
    DeviceLink.objects.create(user=seeker, device_hash="d" * 64)
    Favourite.objects.create(seeker=seeker, listener=listener, created_at=timezone.now())
    Block.objects.create(blocker=seeker, blocked=listener)
    room = make_room()
    RoomMembership.objects.create(room=room, user=seeker, joined_at=timezone.now())
    RoomMessage.objects.create(room=room, seq=1, sender=seeker, text="room words", created_at=timezone.now())
    client = client_for(seeker)

    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/api/v1/me/account")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["account"] == "deleted" and body["deleted_conversations"] == 2 and body["ended_open_chats"] == 1
    assert body["deleted_room_messages"] == 1 and body["kept_under_review"] == 0
    assert "audit trail" in body["message"] and "never what you wrote" in body["message"]
    assert not User.objects.filter(pk=seeker.pk).exists()
    assert not Conversation.objects.filter(pk__in=[ended.pk, active.pk]).exists()
    assert not RoomMessage.objects.exists() and not DeviceLink.objects.exists()
    assert not Favourite.objects.exists() and not Block.objects.exists()
    assert (f"user.{seeker.pk}", {"type": "access.revoked", "reason": "account_deleted"}) in outbox
    assert any(
        group == f"conversation.{active.pk}" and event["frame"]["type"] == "conversation.ended"
        for group, event in outbox
    )  # the listener is told the chat ended
    assert client.get("/api/v1/me").status_code in (401, 403)  # signed out


def test_what_is_under_review_is_kept_and_the_account_closed_until_the_review_ends():
    seeker = seeker_create_anonymous(age=25)
    listener = listener_on_shift(capacity=5)
    _, _, reviewed = matched_pair(seeker=seeker, listener=listener)
    message_send(sender=seeker, conversation_id=reviewed.pk, client_id="c", text=CRISIS)
    _ended(reviewed)
    _, _, plain = matched_pair(seeker=seeker, listener=listener)
    _ended(plain)
    room = make_room()
    held = RoomMessage.objects.create(
        room=room, seq=1, sender=seeker, text="held words", status=RoomMessageStatus.HELD, created_at=timezone.now()
    )
    DeviceLink.objects.create(user=seeker, device_hash="d" * 64)

    response = client_for(seeker).delete("/api/v1/me/account")

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "closed" and body["kept_under_review"] == 2 and body["deleted_conversations"] == 1
    assert "safety team" in body["message"] and "deleted after it" in body["message"]
    closed = User.objects.get(pk=seeker.pk)
    assert not closed.is_active and closed.deleted_at is not None and not closed.has_usable_password()
    assert closed.alias == closed.username == f"deleted-{seeker.pk}"
    assert (
        Conversation.objects.filter(pk=reviewed.pk).exists() and not Conversation.objects.filter(pk=plain.pk).exists()
    )
    assert RoomMessage.objects.filter(pk=held.pk).exists()
    assert not DeviceLink.objects.filter(user=closed).exists()
    login = APIClient().post(
        "/api/v1/session/login", {"username": closed.username, "password": "x" * 12}, format="json"
    )
    assert login.status_code == 400


def test_a_seeker_waiting_in_line_leaves_it_when_deleting_their_account():
    seeker = seeker_create_anonymous(age=25)
    created = request_create(seeker=seeker, topic_slug="anxiety")

    response = client_for(seeker).delete("/api/v1/me/account")

    assert response.status_code == 200 and response.json()["ended_open_chats"] == 1
    assert not ChatRequest.objects.filter(pk=created.pk).exists()
    assert not User.objects.filter(pk=seeker.pk).exists()


def test_the_other_members_of_a_room_are_told_a_deleted_account_left(django_capture_on_commit_callbacks):
    from rooms.models import RoomPresence

    room = make_room()
    seeker = make_member(room)
    other = make_member(room)
    for user, channel in ((seeker, "leaving"), (other, "staying")):
        RoomPresence.objects.create(
            room=room, user=user, channel_name=channel, joined_at=timezone.now(), last_seen_at=timezone.now()
        )

    assert client_for(seeker).delete("/api/v1/me/account").status_code == 200

    assert list(RoomPresence.objects.values_list("channel_name", flat=True)) == ["staying"]
    room.presence_feed.refresh_from_db()
    assert room.presence_feed.version > room.presence_feed.sent_version  # the next delta tells the room


def test_only_seekers_delete_their_account_here():
    _, listener, _ = matched_pair()
    response = client_for(listener).delete("/api/v1/me/account")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert User.objects.filter(pk=listener.pk).exists()


def test_account_deletion_needs_a_session():
    assert APIClient().delete("/api/v1/me/account").status_code in (401, 403)


def test_history_and_account_deletion_agree_on_what_is_under_review():
    """Both go through one definition: the same conversations survive either."""
    room = make_room()
    listener = listener_on_shift(capacity=5)
    results = []
    for path in ("/api/v1/me/history", "/api/v1/me/account"):
        seeker = make_member(room)
        _, _, reviewed = matched_pair(seeker=seeker, listener=listener)
        message_send(sender=seeker, conversation_id=reviewed.pk, client_id="c", text=CRISIS)
        _ended(reviewed)
        _, _, plain = matched_pair(seeker=seeker, listener=listener)
        _ended(plain)
        assert client_for(seeker).delete(path).status_code == 200
        results.append(
            (Conversation.objects.filter(pk=reviewed.pk).exists(), Conversation.objects.filter(pk=plain.pk).exists())
        )
    assert results == [(True, False), (True, False)]
