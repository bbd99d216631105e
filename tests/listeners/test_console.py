from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import ChatRequest, Conversation, ConversationStatus, Offer
from listeners.models import ListenerStatus
from listeners.queue_sizes import queue_sizes_for_listener, queue_sizes_notify
from tests.factories import ListenerFactory, SeekerFactory, TeenSeekerFactory, open_shift, topic
from tests.listeners.conftest import client_for
from tests.ws import connected, receive_until

LISTENER_ENDPOINTS = [
    ("get", "/api/v1/listeners/me"),
    ("get", "/api/v1/listeners/me/console"),
    ("get", "/api/v1/listeners/me/feedback"),
    ("get", "/api/v1/listeners/training"),
    ("get", "/api/v1/listeners/training/open-questions"),
    ("post", "/api/v1/listeners/training/open-questions/attempts"),
    ("post", "/api/v1/listeners/shift"),
    ("delete", "/api/v1/listeners/shift"),
    ("post", "/api/v1/listeners/shift/end"),
    ("get", "/api/v1/listeners/shifts"),
]


def waiting(seeker, slug):
    conversation = Conversation.objects.create(seeker=seeker, topic=topic(slug) if slug else None)
    return ChatRequest.objects.create(
        seeker=seeker,
        conversation=conversation,
        topic=topic(slug) if slug else None,
        age_group=seeker.age_group,
        queued_at=timezone.now(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method,path", LISTENER_ENDPOINTS)
def test_a_seeker_cannot_call_listener_endpoints(method, path):
    response = getattr(client_for(SeekerFactory()), method)(path, {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize("method,path", LISTENER_ENDPOINTS)
def test_signed_out_callers_get_a_json_403(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] in {"not_authenticated", "forbidden"}


@pytest.mark.django_db
def test_console_shows_this_listeners_own_state(listener):
    other = ListenerFactory()
    open_shift(other)
    open_shift(listener, topics=("anxiety", "sleep"), capacity=2)
    seeker = SeekerFactory()
    mine = Conversation.objects.create(
        seeker=seeker, listener=listener, topic=topic(), status=ConversationStatus.ACTIVE, started_at=timezone.now()
    )
    Conversation.objects.create(
        seeker=SeekerFactory(),
        listener=other,
        topic=topic(),
        status=ConversationStatus.ACTIVE,
        started_at=timezone.now(),
    )
    request = waiting(SeekerFactory(), "anxiety")
    Offer.objects.create(request=request, listener=listener, expires_at=timezone.now() + timedelta(seconds=30))
    waiting(SeekerFactory(), "sleep")
    waiting(SeekerFactory(), None)
    waiting(SeekerFactory(), "grief-and-loss")

    body = client_for(listener).get("/api/v1/listeners/me/console").json()
    assert body["profile"]["alias"] == listener.alias
    assert body["shift"]["topics"] == ["anxiety", "sleep"]
    assert [conversation["id"] for conversation in body["conversations"]] == [mine.pk]
    assert [offer["id"] for offer in body["offers"]] == [request.offers.get().pk]
    assert body["queue_sizes"] == {
        "topics": {"anxiety": 1, "sleep": 1},
        "any_topic": 1,
        "total": 3,
        "urgent": {"topics": {"anxiety": 0, "sleep": 0}, "any_topic": 0, "total": 0},
        "takeable": 3,
    }
    assert body["training"]["required_total"] == 6
    assert body["stats"]["daily_cap"] >= 1
    assert body["max_length_reached"] is False


@pytest.mark.django_db
def test_queue_sizes_count_teens_only_for_teen_approved_listeners(listener):
    teen_listener = ListenerFactory(profile__approved_for_teens=True)
    open_shift(listener)
    open_shift(teen_listener)
    waiting(TeenSeekerFactory(), "anxiety")
    assert queue_sizes_for_listener(listener.pk)["total"] == 0
    assert queue_sizes_for_listener(teen_listener.pk)["total"] == 1


@pytest.mark.django_db
def test_queue_sizes_are_none_off_shift(listener):
    assert queue_sizes_for_listener(listener.pk) is None
    assert client_for(listener).get("/api/v1/listeners/me/console").json()["queue_sizes"] is None


@pytest.mark.django_db
def test_console_of_a_pending_listener_shows_training_progress(pending_listener):
    body = client_for(pending_listener).get("/api/v1/listeners/me/console").json()
    assert body["profile"]["status"] == ListenerStatus.PENDING
    assert body["training"]["trained"] is False
    assert body["shift"] is None


@pytest.mark.django_db(transaction=True)
async def test_listeners_on_shift_get_queue_sizes_when_the_line_changes():
    listener = await sync_to_async(ListenerFactory)()
    await sync_to_async(open_shift)(listener, topics=("anxiety",))
    async with connected(listener) as socket:
        await sync_to_async(waiting)(await sync_to_async(SeekerFactory)(), "anxiety")
        assert await sync_to_async(queue_sizes_notify)() == 1
        frame = await receive_until(socket, "queue.sizes")
        assert frame == {
            "type": "queue.sizes",
            "topics": {"anxiety": 1},
            "any_topic": 0,
            "total": 1,
            "urgent": {"topics": {"anxiety": 0}, "any_topic": 0, "total": 0},
            "takeable": 1,
        }
        # Unchanged numbers are not re-sent.
        assert await sync_to_async(queue_sizes_notify)() == 0


@pytest.mark.django_db(transaction=True)
async def test_shift_start_frame_sends_queue_sizes():
    listener = await sync_to_async(ListenerFactory)()
    await sync_to_async(waiting)(await sync_to_async(SeekerFactory)(), "sleep")
    async with connected(listener) as socket:
        await socket.send_json_to({"type": "shift.start", "topics": ["sleep"], "capacity": 1})
        frame = await receive_until(socket, "queue.sizes")
        assert frame["topics"] == {"sleep": 1}
