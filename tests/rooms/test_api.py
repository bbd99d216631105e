"""Room REST endpoints: create (room managers), list, detail with open state, message paging."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rooms import selectors, services
from rooms.models import Room, RoomMessage
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory
from tests.rooms.helpers import make_member, make_moderator, make_room, make_room_manager

pytestmark = pytest.mark.django_db

NEW_ROOM = {
    "topic": "sleep",
    "audience": "teen",
    "name": "Can't sleep club",
    "guideline": "Be kind.",
    "hours": [{"weekday": 4, "opens_at": "20:00", "closes_at": "22:00"}],
}


def test_room_manager_creates_a_room_with_default_capacity_and_hours(api_client):
    api_client.force_authenticate(make_room_manager())
    response = api_client.post("/api/v1/rooms", NEW_ROOM, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["capacity"] == 30 and body["audience"] == "teen" and body["open"] is False
    assert body["hours"] == [{"weekday": 4, "opens_at": "20:00", "closes_at": "22:00"}]
    assert body["next_opening"] and body["alternatives"]["one_to_one"] == {"topic": "sleep"}


@pytest.mark.parametrize("user_factory", [SeekerFactory, ListenerFactory, StaffFactory])
def test_only_room_managers_create_rooms(api_client, user_factory):
    api_client.force_authenticate(user_factory())
    response = api_client.post("/api/v1/rooms", NEW_ROOM, format="json")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert not Room.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"audience": "kids"}, "audience"),
        ({"capacity": 0}, "capacity"),
        ({"name": ""}, "name"),
        ({"hours": [{"weekday": 9, "opens_at": "20:00", "closes_at": "22:00"}]}, "hours"),
        ({"hours": [{"weekday": 1, "opens_at": "22:00", "closes_at": "20:00"}]}, "hours"),
    ],
)
def test_invalid_room_fields_get_a_json_error(api_client, change, field):
    api_client.force_authenticate(make_room_manager())
    response = api_client.post("/api/v1/rooms", {**NEW_ROOM, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid" and field in response.json()["fields"]


def test_unknown_topic_is_a_clear_error(api_client):
    api_client.force_authenticate(make_room_manager())
    response = api_client.post("/api/v1/rooms", {**NEW_ROOM, "topic": "no-such-topic"}, format="json")
    assert response.status_code == 400 and response.json()["error"] == "unknown_topic"


def test_moderation_is_granted_only_to_listeners_approved_for_the_audience(api_client):
    room = make_room(audience="teen")
    api_client.force_authenticate(make_room_manager())
    adult_only = ListenerFactory()
    response = api_client.post(f"/api/v1/rooms/{room.pk}/moderators", {"listener": adult_only.alias}, format="json")
    assert response.status_code == 400 and response.json()["error"] == "not_approved_for_audience"
    teen_ok = ListenerFactory(profile__approved_for_teens=True)
    response = api_client.post(f"/api/v1/rooms/{room.pk}/moderators", {"listener": teen_ok.alias}, format="json")
    assert response.status_code == 201
    assert list(room.moderators.values_list("listener__alias", flat=True)) == [teen_ok.alias]


def test_detail_shows_open_while_a_moderator_is_present(api_client):
    room = make_room()
    moderator = make_moderator(room)
    api_client.force_authenticate(SeekerFactory())
    assert api_client.get(f"/api/v1/rooms/{room.pk}").json()["open"] is False
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod")
    body = api_client.get(f"/api/v1/rooms/{room.pk}").json()
    assert body["open"] is True and body["next_opening"] is None and body["member_count"] == 0


def test_the_rooms_list_says_as_many_people_here_as_the_rooms_member_list_shows(api_client):
    room = make_room(capacity=2)
    moderator = make_moderator(room)
    member = make_member(room)
    services.room_join(user=moderator, room_id=room.pk, channel_name="mod")
    services.room_join(user=member, room_id=room.pk, channel_name="tab-1")
    services.room_join(user=member, room_id=room.pk, channel_name="tab-2")  # a second tab is the same person
    members = selectors.presence_get_for_member(user=member, room_id=room.pk).members
    api_client.force_authenticate(SeekerFactory())
    [listed] = [entry for entry in api_client.get("/api/v1/rooms").json() if entry["id"] == room.pk]
    assert listed["here_count"] == len(members) == 2  # the moderator is on the list, so in the count
    assert listed["member_count"] == 1 and listed["full"] is False  # capacity counts members only


def test_messages_page_backwards_for_members_only(api_client):
    room = make_room()
    moderator = make_moderator(room)
    member = make_member(room)
    for seq in range(1, 8):
        RoomMessage.objects.create(room=room, seq=seq, sender=moderator, text=f"m{seq}", created_at=timezone.now())
    Room.objects.filter(pk=room.pk).update(last_seq=7)
    api_client.force_authenticate(SeekerFactory())  # right audience, never joined
    assert api_client.get(f"/api/v1/rooms/{room.pk}/messages").status_code == 404
    api_client.force_authenticate(member)
    newest = api_client.get(f"/api/v1/rooms/{room.pk}/messages?limit=3").json()
    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7] and newest["has_more"] is True
    older = api_client.get(f"/api/v1/rooms/{room.pk}/messages?before_seq=5&limit=10").json()
    assert [m["seq"] for m in older["messages"]] == [1, 2, 3, 4] and older["has_more"] is False


@pytest.mark.parametrize("query", ["before_seq=abc", "before_seq=-1", "before_seq=0", "limit=0", "limit=100000"])
def test_bad_paging_parameters_get_a_json_error_not_a_500(api_client, query):
    room = make_room()
    api_client.force_authenticate(make_member(room))
    response = api_client.get(f"/api/v1/rooms/{room.pk}/messages?{query}")
    assert response.status_code == 400 and response.json()["error"] == "invalid_field"


def test_anonymous_visitors_get_not_authenticated(api_client):
    room = make_room()
    for url in ("/api/v1/rooms", f"/api/v1/rooms/{room.pk}", f"/api/v1/rooms/{room.pk}/messages"):
        response = api_client.get(url)
        assert response.status_code in (401, 403) and response.json()["error"] == "not_authenticated"
