"""Audience separation: teens only ever see and join teen rooms, adults adult rooms, by API and by socket."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from support.models import AgeGroup
from support.ws import CloseCode
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, TeenSeekerFactory
from tests.rooms.helpers import in_room, make_member, make_moderator, make_room, room_path, run_db

pytestmark = pytest.mark.django_db(transaction=True)


def _rooms():
    return make_room(audience=AgeGroup.ADULT, name="Adults"), make_room(audience=AgeGroup.TEEN, name="Teens")


def test_teen_lists_only_teen_rooms_and_adult_only_adult_rooms(api_client):
    adult_room, teen_room = _rooms()
    api_client.force_authenticate(TeenSeekerFactory())
    assert [room["id"] for room in api_client.get("/api/v1/rooms").json()] == [teen_room.pk]
    api_client.force_authenticate(SeekerFactory())
    assert [room["id"] for room in api_client.get("/api/v1/rooms").json()] == [adult_room.pk]


def test_teen_gets_not_found_for_an_adult_room_detail_and_messages(api_client):
    adult_room, _ = _rooms()
    teen = TeenSeekerFactory()
    api_client.force_authenticate(teen)
    for url in (f"/api/v1/rooms/{adult_room.pk}", f"/api/v1/rooms/{adult_room.pk}/messages"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    # Indistinguishable from a room that does not exist.
    assert api_client.get("/api/v1/rooms/999999").json() == api_client.get(f"/api/v1/rooms/{adult_room.pk}").json()


def test_listener_sees_rooms_only_for_audiences_they_are_approved_for(api_client):
    adult_room, teen_room = _rooms()
    api_client.force_authenticate(ListenerFactory())
    assert [room["id"] for room in api_client.get("/api/v1/rooms").json()] == [adult_room.pk]
    api_client.force_authenticate(ListenerFactory(profile__approved_for_teens=True))
    assert sorted(room["id"] for room in api_client.get("/api/v1/rooms").json()) == sorted(
        [adult_room.pk, teen_room.pk]
    )


async def _close_code(user, room_id) -> int:
    async with in_room(user, room_id, expect_hello=False) as ws:
        output = await ws.receive_output(timeout=5)
        return output["code"]


async def test_teen_socket_to_adult_room_is_closed_with_4404():
    adult_room, _ = await run_db(_rooms)
    await run_db(make_moderator, adult_room)
    teen = await run_db(TeenSeekerFactory)
    assert await _close_code(teen, adult_room.pk) == CloseCode.NOT_FOUND


async def test_adult_socket_to_teen_room_is_closed_with_4404():
    _, teen_room = await run_db(_rooms)
    adult = await run_db(SeekerFactory)
    assert await _close_code(adult, teen_room.pk) == CloseCode.NOT_FOUND


async def test_listener_not_approved_for_teens_cannot_join_a_teen_room():
    _, teen_room = await run_db(_rooms)
    listener = await run_db(ListenerFactory)
    assert await _close_code(listener, teen_room.pk) == CloseCode.NOT_FOUND


async def test_teen_who_once_joined_a_teen_room_still_cannot_use_adult_history(api_client):
    adult_room, teen_room = await run_db(_rooms)
    teen = await run_db(make_member, teen_room)
    await run_db(api_client.force_authenticate, teen)
    response = await run_db(api_client.get, f"/api/v1/rooms/{adult_room.pk}/messages")
    assert response.status_code == 404


@pytest.mark.parametrize("room_id", ["999999", "abc", "0", "-1", "99999999999999999999"])
async def test_missing_or_malformed_room_is_closed_with_4404(room_id):
    seeker = await run_db(SeekerFactory)
    assert await _close_code(seeker, room_id) == CloseCode.NOT_FOUND


async def test_unauthenticated_room_socket_is_closed_with_4401():
    from support.asgi import application

    room, _ = await run_db(_rooms)
    communicator = WebsocketCommunicator(
        application, room_path(room.pk), headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    )
    connected_ok, _ = await communicator.connect()
    assert connected_ok
    assert (await communicator.receive_output(timeout=5))["code"] == CloseCode.UNAUTHENTICATED
    await communicator.disconnect()


async def test_staff_account_on_room_socket_is_closed_with_4403():
    room, _ = await run_db(_rooms)
    staff = await run_db(StaffFactory)
    assert await _close_code(staff, room.pk) == CloseCode.FORBIDDEN
