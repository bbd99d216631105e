import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from listeners.feedback import rating_create
from listeners.models import ListenerProfile, Rating
from tests.factories import ListenerFactory, SeekerFactory, open_shift, topic
from tests.listeners.conftest import client_for
from tests.ws import connected, receive_until


def ended_chat(listener, seeker, *, status=ConversationStatus.ENDED, started=True):
    now = timezone.now()
    return Conversation.objects.create(
        seeker=seeker,
        listener=listener if started else None,
        topic=topic(),
        status=status,
        started_at=now - timedelta(minutes=20) if started else None,
        ended_at=now if status == ConversationStatus.ENDED else None,
    )


def url(conversation):
    return f"/api/v1/conversations/{conversation.pk}/rating"


@pytest.mark.django_db
def test_seeker_rates_an_ended_chat_once(listener, seeker):
    conversation = ended_chat(listener, seeker)
    client = client_for(seeker)
    response = client.post(url(conversation), {"score": 5, "comment": "You really listened."}, format="json")
    assert response.status_code == 201
    assert response.json() == {"conversation": conversation.pk, "score": 5, "comment": "You really listened."}
    again = client.post(url(conversation), {"score": 1}, format="json")
    assert again.status_code == 409
    assert again.json()["error"] == "already_rated"
    assert Rating.objects.get().score == 5


@pytest.mark.django_db
def test_an_active_chat_cannot_be_rated_yet(listener, seeker):
    conversation = ended_chat(listener, seeker, status=ConversationStatus.ACTIVE)
    response = client_for(seeker).post(url(conversation), {"score": 4}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "conversation_not_ended"


@pytest.mark.django_db
def test_a_chat_nobody_joined_has_nobody_to_rate(seeker):
    conversation = ended_chat(None, seeker, started=False)
    response = client_for(seeker).post(url(conversation), {"score": 4}, format="json")
    assert response.json()["error"] == "nothing_to_rate"


@pytest.mark.django_db
def test_someone_elses_chat_is_not_found(listener, seeker):
    conversation = ended_chat(listener, seeker)
    response = client_for(SeekerFactory()).post(url(conversation), {"score": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
def test_the_listener_cannot_rate_themselves(listener, seeker):
    conversation = ended_chat(listener, seeker)
    response = client_for(listener).post(url(conversation), {"score": 5}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": "5"}, {"score": True}, {"score": 4.5}, {}])
def test_score_must_be_a_whole_number_from_1_to_5(listener, seeker, body):
    conversation = ended_chat(listener, seeker)
    response = client_for(seeker).post(url(conversation), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


@pytest.mark.django_db
def test_comment_is_limited_to_1000_characters(listener, seeker):
    conversation = ended_chat(listener, seeker)
    response = client_for(seeker).post(url(conversation), {"score": 4, "comment": "x" * 1001}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "comment_too_long"
    assert (
        client_for(seeker).post(url(conversation), {"score": 4, "comment": "x" * 1000}, format="json").status_code
        == 201
    )


@pytest.mark.django_db
def test_contact_details_in_a_comment_are_hidden_before_the_listener_sees_them(listener, seeker):
    conversation = ended_chat(listener, seeker)
    rating = rating_create(
        seeker=seeker, conversation_id=conversation.pk, score=5, comment="thanks! email me at sam.h@example.com"
    )
    assert "sam.h@example.com" not in rating.comment
    ListenerProfile.objects.filter(user=listener).update(feedback_released_through=timezone.now())
    feedback = client_for(listener).get("/api/v1/listeners/me/feedback").json()
    assert "sam.h@example.com" not in json.dumps(feedback)


@pytest.mark.django_db
def test_a_crisis_comment_raises_a_safety_flag(listener, seeker):
    from safety.models import SafetyFlag

    conversation = ended_chat(listener, seeker)
    rating_create(
        seeker=seeker,
        conversation_id=conversation.pk,
        score=3,
        comment="it helped but I still want to kill myself tonight",
    )
    flag = SafetyFlag.objects.get(conversation=conversation)
    assert flag.subject_id == seeker.pk
    assert flag.level >= 2


@pytest.mark.django_db(transaction=True)
async def test_rate_frame_answers_conversation_rated():
    listener = await sync_to_async(ListenerFactory)()
    seeker = await sync_to_async(SeekerFactory)()
    conversation = await sync_to_async(ended_chat)(listener, seeker)
    async with connected(seeker) as socket:
        await socket.send_json_to(
            {"type": "conversation.rate", "conversation": conversation.pk, "score": 4, "comment": "kind", "ref": 7}
        )
        frame = await receive_until(socket, "conversation.rated")
        assert frame == {
            "type": "conversation.rated",
            "conversation": conversation.pk,
            "score": 4,
            "comment": "kind",
            "ref": 7,
        }
        await socket.send_json_to({"type": "conversation.rate", "conversation": conversation.pk, "score": 4})
        error = await receive_until(socket, "error")
        assert error["code"] == "already_rated"
        await socket.send_json_to({"type": "conversation.rate", "conversation": conversation.pk, "score": "4"})
        error = await receive_until(socket, "error")
        assert error["code"] == "invalid_field" and error["field"] == "score"
        await socket.send_json_to({"type": "conversation.rate", "conversation": conversation.pk, "score": 9})
        assert (await receive_until(socket, "error"))["code"] == "invalid_score"


def _rate(listener, scores, *, days_ago=0, comment="", release=True):
    """Ratings, released to the listener at once (``release``) as a batch would be."""
    for score in scores:
        seeker = SeekerFactory()
        conversation = ended_chat(listener, seeker)
        rating_create(
            seeker=seeker,
            conversation_id=conversation.pk,
            score=score,
            comment=comment,
            now=timezone.now() - timedelta(days=days_ago),
        )
    if release:
        ListenerProfile.objects.filter(user=listener).update(feedback_released_through=timezone.now())


@pytest.mark.django_db
def test_public_profile_hides_the_average_below_the_minimum_count(listener, seeker, settings):
    settings.LISTENERS_RATING_MIN_COUNT = 3
    _rate(listener, [5, 4])
    body = client_for(seeker).get(f"/api/v1/listeners/{listener.alias}").json()
    assert body["rating"] == {"average": None, "count": 2, "shown": False}
    _rate(listener, [3])
    body = client_for(seeker).get(f"/api/v1/listeners/{listener.alias}").json()
    assert body["rating"] == {"average": 4.0, "count": 3, "shown": True}
    assert body["alias"] == listener.alias
    assert {"bio", "topics", "chats_helped", "level"} <= set(body)


@pytest.mark.django_db
def test_public_profile_of_a_suspended_or_unknown_listener_is_not_found(seeker):
    from listeners.models import ListenerStatus

    suspended = ListenerFactory(profile__status=ListenerStatus.SUSPENDED)
    client = client_for(seeker)
    assert client.get(f"/api/v1/listeners/{suspended.alias}").status_code == 404
    assert client.get("/api/v1/listeners/NobodyHere").status_code == 404
    assert client.get(f"/api/v1/listeners/{seeker.alias}").status_code == 404


@pytest.mark.django_db
def test_profile_shows_chats_helped(listener, seeker):
    shift = open_shift(listener)
    type(shift).objects.filter(pk=shift.pk).update(chats_taken=7)
    assert client_for(seeker).get(f"/api/v1/listeners/{listener.alias}").json()["chats_helped"] == 7


@pytest.mark.django_db
def test_listener_feedback_never_reveals_which_chat_or_seeker(listener):
    _rate(listener, [5], comment="Thank you so much", days_ago=2)
    _rate(listener, [2, 4], comment="ok", days_ago=0)
    body = client_for(listener).get("/api/v1/listeners/me/feedback").json()
    assert body["count"] == 3
    assert body["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    for item in body["comments"]:
        assert set(item) == {"score", "comment"}  # no day, no id
    raw = json.dumps(body)
    for conversation in Conversation.objects.all():
        assert conversation.seeker.alias not in raw
    assert "conversation" not in raw and "seeker" not in raw


@pytest.mark.django_db
def test_a_listener_sees_only_their_own_feedback(listener):
    other = ListenerFactory()
    _rate(other, [1], comment="rude")
    body = client_for(listener).get("/api/v1/listeners/me/feedback").json()
    assert body["count"] == 0 and body["comments"] == []


@pytest.mark.django_db
def test_low_ratings_with_a_comment_go_to_staff_for_follow_up(manager, listener):
    _rate(listener, [1], comment="They told me to just get over it")
    _rate(listener, [2])  # no comment: nothing to follow up
    _rate(listener, [5], comment="lovely")
    client = client_for(manager)
    body = client.get("/api/v1/staff/ratings/follow-up").json()
    assert [(item["score"], item["comment"], item["listener"]) for item in body["ratings"]] == [
        (1, "They told me to just get over it", listener.alias)
    ]
    rating_id = body["ratings"][0]["id"]
    assert client.post(f"/api/v1/staff/ratings/{rating_id}/followed-up").status_code == 200
    assert client.get("/api/v1/staff/ratings/follow-up").json()["ratings"] == []


@pytest.mark.django_db
def test_follow_up_list_is_for_listener_managers_only(listener):
    response = client_for(listener).get("/api/v1/staff/ratings/follow-up")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_listener_sees_new_ratings_only_in_a_weekly_batch_of_at_least_five(listener, settings):
    from listeners.feedback import feedback_release

    settings.LISTENERS_FEEDBACK_MIN_BATCH = 5
    settings.LISTENERS_FEEDBACK_RELEASE_DAYS = 7
    client = client_for(listener)
    _rate(listener, [5, 4, 4, 3], comment="thanks", release=False)
    assert feedback_release() == 0  # four new ones: not enough to hide which chat each came from
    assert client.get("/api/v1/listeners/me/feedback").json()["count"] == 0
    _rate(listener, [2], comment="meh", release=False)
    assert feedback_release() == 1
    body = client.get("/api/v1/listeners/me/feedback").json()
    assert body["count"] == 5 and len(body["comments"]) == 5
    # Five more the next day: nothing moves until a week after the last release.
    _rate(listener, [1, 1, 1, 1, 1], release=False)
    assert feedback_release() == 0
    assert client.get("/api/v1/listeners/me/feedback").json()["count"] == 5
    assert client.get("/api/v1/listeners/me/console").json()["stats"]["rating"]["count"] == 5
    assert feedback_release(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
    assert client.get("/api/v1/listeners/me/feedback").json()["count"] == 10


@pytest.mark.django_db
def test_an_unreleased_rating_changes_no_average_anyone_can_read(listener, seeker):
    _rate(listener, [5, 5, 5])
    before = client_for(seeker).get(f"/api/v1/listeners/{listener.alias}").json()["rating"]
    _rate(listener, [1], release=False)
    assert client_for(seeker).get(f"/api/v1/listeners/{listener.alias}").json()["rating"] == before
