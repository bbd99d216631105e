from __future__ import annotations

import pytest

from chat.services.messages import message_send
from tests.chat.helpers import listener_on_shift, matched_pair
from tests.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def test_participant_lists_conversations_and_pages_messages_after_seq(api_client):
    seeker, listener, conversation = matched_pair()
    for i in range(5):
        message_send(sender=seeker, conversation_id=conversation.pk, client_id=f"m{i}", text=f"message {i}")
    api_client.force_authenticate(seeker)
    listed = api_client.get("/api/v1/conversations").json()
    assert [c["id"] for c in listed] == [conversation.pk]
    assert listed[0]["peer"]["alias"] == listener.alias
    page = api_client.get(f"/api/v1/conversations/{conversation.pk}/messages?after_seq=0&limit=3").json()
    assert [m["seq"] for m in page["messages"]] == [1, 2, 3] and page["has_more"] is True
    rest = api_client.get(f"/api/v1/conversations/{conversation.pk}/messages?after_seq=3").json()
    assert rest["messages"][0]["seq"] == 4 and rest["has_more"] is False


def test_outsider_gets_the_same_404_for_a_real_and_a_missing_conversation(api_client):
    _, _, conversation = matched_pair()
    api_client.force_authenticate(SeekerFactory())
    real = api_client.get(f"/api/v1/conversations/{conversation.pk}/messages")
    missing = api_client.get("/api/v1/conversations/987654/messages")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    assert api_client.get(f"/api/v1/conversations/{conversation.pk}").status_code == 404


@pytest.mark.parametrize("query", ["after_seq=-1", "after_seq=abc", "limit=0", "limit=100000"])
def test_bad_paging_parameters_are_400(api_client, query):
    seeker, _, conversation = matched_pair()
    api_client.force_authenticate(seeker)
    response = api_client.get(f"/api/v1/conversations/{conversation.pk}/messages?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


def test_request_status_by_rest(api_client):
    listener_on_shift(topics=("grief-and-loss",))
    seeker = SeekerFactory()
    api_client.force_authenticate(seeker)
    assert api_client.get("/api/v1/requests/mine").status_code == 404
    created = api_client.post("/api/v1/requests/mine", {"topic": "anxiety", "note": "hi"}, format="json")
    assert created.status_code == 201
    status = api_client.get("/api/v1/requests/mine").json()
    assert status["position"] == 1 and status["status"] == "waiting" and status["topic"] == "anxiety"
    assert api_client.post("/api/v1/requests/mine", {"topic": "anxiety"}, format="json").status_code == 409
    assert api_client.delete("/api/v1/requests/mine").status_code == 204
    assert api_client.get("/api/v1/requests/mine").status_code == 404


def test_unauthenticated_chat_api_is_refused(api_client):
    assert api_client.get("/api/v1/conversations").status_code == 403
