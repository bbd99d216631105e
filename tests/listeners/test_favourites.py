import pytest
from django.utils import timezone

from chat.models import ChatRequest, Conversation, Offer, OfferStatus, RequestStatus
from chat.services.requests import request_create
from listeners.models import Favourite
from support.errors import DomainError
from tests.factories import topic
from tests.listeners.conftest import client_for


def talked(seeker, listener):
    now = timezone.now()
    conversation = Conversation.objects.create(
        seeker=seeker, listener=listener, topic=topic(), status="ended", started_at=now
    )
    request = ChatRequest.objects.create(
        seeker=seeker,
        conversation=conversation,
        topic=topic(),
        age_group="adult",
        queued_at=now,
        status=RequestStatus.MATCHED,
    )
    Offer.objects.create(
        request=request, listener=listener, status=OfferStatus.ACCEPTED, expires_at=now, answered_at=now
    )


@pytest.mark.django_db
def test_seeker_adds_a_listener_they_talked_with(seeker, listener):
    talked(seeker, listener)
    client = client_for(seeker)
    response = client.post(f"/api/v1/favourites/{listener.alias}")
    assert response.status_code == 201
    assert response.json()["favourite"]["alias"] == listener.alias
    assert client.post(f"/api/v1/favourites/{listener.alias}").status_code == 200  # idempotent
    listed = client.get("/api/v1/favourites").json()["favourites"]
    assert [item["alias"] for item in listed] == [listener.alias]


@pytest.mark.django_db
def test_a_listener_they_never_talked_with_cannot_be_added(seeker, listener):
    response = client_for(seeker).post(f"/api/v1/favourites/{listener.alias}")
    assert response.status_code == 403
    assert response.json()["error"] == "not_talked"
    assert not Favourite.objects.exists()


@pytest.mark.django_db
def test_unknown_alias_is_not_found(seeker):
    assert client_for(seeker).post("/api/v1/favourites/NoSuchPerson").status_code == 404


@pytest.mark.django_db
def test_remove_a_favourite(seeker, listener):
    talked(seeker, listener)
    client = client_for(seeker)
    client.post(f"/api/v1/favourites/{listener.alias}")
    assert client.delete(f"/api/v1/favourites/{listener.alias}").status_code == 204
    assert client.get("/api/v1/favourites").json()["favourites"] == []
    assert client.delete(f"/api/v1/favourites/{listener.alias}").status_code == 204


@pytest.mark.django_db
def test_a_suspended_favourite_disappears_from_the_list(seeker, listener, manager):
    from listeners.models import DecisionAction
    from listeners.services import listener_decide

    talked(seeker, listener)
    client_for(seeker).post(f"/api/v1/favourites/{listener.alias}")
    listener_decide(staff=manager, listener_id=listener.pk, action=DecisionAction.SUSPEND)
    assert client_for(seeker).get("/api/v1/favourites").json()["favourites"] == []


@pytest.mark.django_db
def test_listeners_do_not_keep_favourites(listener):
    response = client_for(listener).get("/api/v1/favourites")
    assert response.status_code == 403


@pytest.mark.django_db
def test_seeker_requests_a_favourite_directly(seeker, listener):
    talked(seeker, listener)
    request = request_create(seeker=seeker, topic_slug="anxiety", listener_alias=listener.alias)
    assert request.requested_listener_id == listener.pk


@pytest.mark.django_db
def test_a_listener_who_declines_direct_requests_cannot_be_requested(seeker, listener):
    client = client_for(listener)
    response = client.patch("/api/v1/listeners/me", {"accepts_direct_requests": False}, format="json")
    assert response.status_code == 200
    assert response.json()["accepts_direct_requests"] is False
    with pytest.raises(DomainError) as refused:
        request_create(seeker=seeker, topic_slug="anxiety", listener_alias=listener.alias)
    assert refused.value.code == "unknown_listener"


@pytest.mark.django_db
def test_profile_patch_validates_its_fields(listener):
    client = client_for(listener)
    assert client.patch("/api/v1/listeners/me", {"accepts_direct_requests": "no"}, format="json").status_code == 400
    assert client.patch("/api/v1/listeners/me", {}, format="json").status_code == 400
    assert (
        client.patch("/api/v1/listeners/me", {"topics": ["astrology"]}, format="json").json()["error"]
        == "unknown_topic"
    )
    body = client.patch(
        "/api/v1/listeners/me", {"bio": "Night owl, good with worries.", "topics": ["sleep"]}, format="json"
    ).json()
    assert body["bio"] == "Night owl, good with worries." and body["topics"] == ["sleep"]
