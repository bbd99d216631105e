from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import ChatRequest, Conversation, Offer, OfferStatus
from listeners.jobs import presence_sweep
from listeners.models import Shift, ShiftEndReason
from support.models import Connection
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, open_shift, topic
from tests.listeners.conftest import client_for
from tests.ws import connected, receive_until


def present(user, *, now=None):
    Connection.objects.create(
        user=user, channel_name=f"test.{user.pk}.{Connection.objects.count()}", last_seen_at=now or timezone.now()
    )


def waiting_request(*, topic_slug="anxiety", now=None):
    seeker = SeekerFactory()
    now = now or timezone.now()
    conversation = Conversation.objects.create(seeker=seeker, topic=topic(topic_slug))
    return ChatRequest.objects.create(
        seeker=seeker, conversation=conversation, topic=topic(topic_slug), age_group="adult", queued_at=now
    )


@pytest.mark.django_db
def test_listener_starts_and_ends_a_shift_over_rest(listener):
    client = client_for(listener)
    response = client.post("/api/v1/listeners/shift", {"topics": ["anxiety", "sleep"], "capacity": 3}, format="json")
    assert response.status_code == 201
    assert response.json()["topics"] == ["anxiety", "sleep"]
    assert response.json()["capacity"] == 3
    again = client.post("/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 1}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "already_on_shift"
    ended = client.delete("/api/v1/listeners/shift")
    assert ended.status_code == 200
    assert ended.json()["end_reason"] == "ended_by_listener"
    assert client.post("/api/v1/listeners/shift/end").json()["error"] == "not_on_shift"


@pytest.mark.django_db
def test_post_end_is_the_same_as_delete(listener):
    client = client_for(listener)
    client.post("/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 1}, format="json")
    assert client.post("/api/v1/listeners/shift/end").status_code == 200
    assert not Shift.objects.filter(listener=listener, ended_at__isnull=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,code",
    [
        ({"topics": ["anxiety"], "capacity": 6}, "invalid"),
        ({"topics": ["anxiety"], "capacity": True}, "invalid"),
        ({"topics": [], "capacity": 2}, "no_topics"),
        ({"topics": ["astrology"], "capacity": 2}, "unknown_topic"),
        ({"capacity": 2}, "invalid"),
    ],
)
def test_bad_shift_input_gets_a_clear_error(listener, body, code):
    response = client_for(listener).post("/api/v1/listeners/shift", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == code


@pytest.mark.django_db
def test_shift_history_shows_chats_taken_and_hard_chats(listener):
    now = timezone.now()
    shift = open_shift(listener, started_at=now - timedelta(hours=2))
    Shift.objects.filter(pk=shift.pk).update(
        ended_at=now - timedelta(hours=1), end_reason="ended_by_listener", chats_taken=4, hard_chats=1
    )
    open_shift(listener, started_at=now)
    body = client_for(listener).get("/api/v1/listeners/shifts").json()
    assert len(body["shifts"]) == 2
    current, previous = body["shifts"]
    assert current["ended_at"] is None
    assert previous["chats_taken"] == 4
    assert previous["chats_escalated"] == 1
    assert previous["started_at"].endswith("Z") and previous["ended_at"].endswith("Z")


@pytest.mark.django_db
def test_a_listener_sees_only_their_own_shifts(listener):
    other = ListenerFactory()
    open_shift(other)
    assert client_for(listener).get("/api/v1/listeners/shifts").json()["shifts"] == []


@pytest.mark.django_db
def test_a_listener_past_the_maximum_shift_length_gets_no_offers(listener, settings):
    settings.LISTENERS_MAX_SHIFT_SECONDS = 3600
    now = timezone.now()
    open_shift(listener, started_at=now - timedelta(seconds=3601))
    present(listener, now=now)
    waiting_request(now=now)
    assert requests_dispatch(now=now) == 0
    assert not Offer.objects.exists()


@pytest.mark.django_db
def test_a_listener_just_inside_the_maximum_shift_length_is_offered(listener, settings):
    settings.LISTENERS_MAX_SHIFT_SECONDS = 3600
    now = timezone.now()
    open_shift(listener, started_at=now - timedelta(seconds=3500))
    present(listener, now=now)
    waiting_request(now=now)
    assert requests_dispatch(now=now) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_listener_past_the_maximum_shift_length_is_told(settings):
    settings.LISTENERS_MAX_SHIFT_SECONDS = 3600
    listener = await sync_to_async(ListenerFactory)()
    await sync_to_async(open_shift)(listener, started_at=timezone.now() - timedelta(seconds=3601))
    async with connected(listener) as socket:
        await sync_to_async(presence_sweep)()
        frame = await receive_until(socket, "shift.max_length_reached")
        assert "maximum shift length" in frame["message"]
        # Told once, not every sweep.
        await sync_to_async(presence_sweep)()
        assert await socket.receive_nothing(timeout=0.3)


@pytest.mark.django_db
def test_at_the_daily_cap_no_offers(listener, settings):
    settings.LISTENERS_DAILY_CHAT_CAP = 2
    now = timezone.now().replace(hour=12)
    open_shift(listener, capacity=5, started_at=now - timedelta(minutes=30))
    present(listener, now=now)
    for _ in range(2):
        request = waiting_request(now=now)
        Offer.objects.create(
            request=request,
            listener=listener,
            status=OfferStatus.ACCEPTED,
            expires_at=now,
            answered_at=now - timedelta(minutes=5),
        )
        ChatRequest.objects.filter(pk=request.pk).update(status="matched")
    waiting_request(now=now)
    assert requests_dispatch(now=now) == 0


@pytest.mark.django_db
def test_yesterdays_chats_do_not_count_towards_the_daily_cap(listener, settings):
    settings.LISTENERS_DAILY_CHAT_CAP = 2
    now = timezone.now().replace(hour=12)
    open_shift(listener, capacity=5, started_at=now - timedelta(minutes=30))
    present(listener, now=now)
    for _ in range(2):
        request = waiting_request(now=now)
        Offer.objects.create(
            request=request,
            listener=listener,
            status=OfferStatus.ACCEPTED,
            expires_at=now,
            answered_at=now - timedelta(days=1),
        )
        ChatRequest.objects.filter(pk=request.pk).update(status="matched")
    waiting_request(now=now)
    assert requests_dispatch(now=now) == 1


@pytest.mark.django_db
def test_lost_connection_ends_the_shift_through_the_sweep(listener, settings):
    settings.MATCHING_LISTENER_GRACE_SECONDS = 60
    now = timezone.now()
    shift = open_shift(listener, started_at=now - timedelta(minutes=10))
    assert presence_sweep(now=now) == 1
    shift.refresh_from_db()
    assert shift.end_reason == ShiftEndReason.CONNECTION_LOST


@pytest.mark.django_db
def test_staff_see_who_is_on_shift_per_topic(manager, listener):
    other = ListenerFactory()
    open_shift(listener, topics=("anxiety", "sleep"), capacity=2)
    open_shift(other, topics=("sleep",), capacity=1)
    body = client_for(manager).get("/api/v1/staff/shifts/active").json()
    by_topic = {item["topic"]: item["listeners"] for item in body["topics"]}
    assert [entry["alias"] for entry in by_topic["anxiety"]] == [listener.alias]
    assert sorted(entry["alias"] for entry in by_topic["sleep"]) == sorted([listener.alias, other.alias])
    assert by_topic["grief-and-loss"] == []
    assert by_topic["anxiety"][0]["capacity"] == 2


@pytest.mark.django_db
def test_safety_staff_see_active_shifts_too_but_listeners_do_not(listener):
    assert client_for(StaffFactory()).get("/api/v1/staff/shifts/active").status_code == 200
    response = client_for(listener).get("/api/v1/staff/shifts/active")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


@pytest.mark.django_db(transaction=True)
async def test_shift_start_frame_refuses_an_untrained_listener():
    from listeners.models import ListenerStatus

    listener = await sync_to_async(ListenerFactory)(profile__status=ListenerStatus.PENDING, profile__trained_at=None)
    async with connected(listener) as socket:
        await socket.send_json_to({"type": "shift.start", "topics": ["anxiety"], "capacity": 2, "ref": "s1"})
        frame = await receive_until(socket, "error")
        assert frame["code"] == "not_trained"
        assert frame["ref"] == "s1"
