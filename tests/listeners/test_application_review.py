"""Becoming a listener: the adult declaration, the practice chat, and the reviewer's view of an application."""

from __future__ import annotations

import pytest

from listeners.models import ListenerProfile, PracticeReply
from listeners.practice import MAX_REPLY_CHARS, PRACTICE_SCRIPT
from listeners.services import ADULT_DECLARATION_REQUIRED
from support.models import User
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory
from tests.listeners.conftest import client_for, correct_answers, wrong_answers
from tests.listeners.test_application import PRACTICE_REPLIES, URL, application

PRACTICE_URL = "/api/v1/listeners/apply/practice"


def _review_url(listener_id) -> str:
    return f"/api/v1/staff/listeners/{listener_id}"


# --- the adult declaration -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("declared", [False, "yes", "true", 1, None])
def test_an_application_without_the_adult_declaration_is_refused_with_its_code(api_client, declared):
    response = api_client.post(URL, application(adult_declared=declared), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "adult_declaration_required"
    assert response.json()["message"] == ADULT_DECLARATION_REQUIRED
    assert not User.objects.filter(alias="SteadyRiver").exists()


@pytest.mark.django_db
def test_leaving_the_declaration_out_is_refused_too(api_client):
    body = application()
    body.pop("adult_declared")
    response = api_client.post(URL, body, format="json")
    assert response.json()["error"] == "adult_declaration_required"


@pytest.mark.django_db
def test_under_18_is_refused_even_with_the_declaration(api_client):
    response = api_client.post(URL, application(age=16, adult_declared=True), format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "under_listener_age"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_declaration_is_recorded_with_the_application(api_client):
    assert api_client.post(URL, application(), format="json").status_code == 201
    assert ListenerProfile.objects.get(user__alias="SteadyRiver").adult_declared_at is not None


# --- the practice chat ------------------------------------------------------------


@pytest.mark.django_db
def test_the_practice_script_is_served_to_anyone_applying(api_client):
    body = api_client.get(PRACTICE_URL).json()
    assert [turn["seeker"] for turn in body["turns"]] == list(PRACTICE_SCRIPT)
    assert [turn["turn"] for turn in body["turns"]] == list(range(1, len(PRACTICE_SCRIPT) + 1))
    assert body["max_reply_chars"] == MAX_REPLY_CHARS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "replies",
    [None, [], list(PRACTICE_REPLIES[:-1]), list(PRACTICE_REPLIES) + ["extra"], [*PRACTICE_REPLIES[:-1], "   "]],
)
def test_every_practice_turn_needs_a_reply(api_client, replies):
    body = application()
    if replies is None:
        body.pop("practice_replies")
    else:
        body["practice_replies"] = replies
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "practice_incomplete"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_practice_replies_are_limited_in_length_and_type(api_client):
    too_long = [*PRACTICE_REPLIES[:-1], "x" * (MAX_REPLY_CHARS + 1)]
    response = api_client.post(URL, application(practice_replies=too_long), format="json")
    assert response.json()["error"] == "practice_reply_too_long"
    response = api_client.post(URL, application(practice_replies=[*PRACTICE_REPLIES[:-1], 7]), format="json")
    assert response.json()["error"] == "practice_incomplete"
    response = api_client.post(URL, application(practice_replies={"1": "hi"}), format="json")
    assert response.json()["error"] == "practice_incomplete"


@pytest.mark.django_db
def test_practice_replies_are_screened_like_messages_and_stored_for_the_reviewer(api_client):
    replies = [*PRACTICE_REPLIES[:-1], "Sure! add me on instagram @steady.river"]
    assert api_client.post(URL, application(practice_replies=replies), format="json").status_code == 201
    stored = list(PracticeReply.objects.filter(listener__alias="SteadyRiver").order_by("turn"))
    assert [reply.seeker_text for reply in stored] == list(PRACTICE_SCRIPT)
    assert [reply.would_hold for reply in stored] == [False, False, False, True]
    last = stored[-1]
    assert last.masked and "@steady.river" not in last.text and "[handle removed]" in last.text


# --- the reviewer's view -------------------------------------------------------------


@pytest.fixture
def applicant(api_client, settings):
    settings.LISTENERS_QUIZ_RETAKE_COOLDOWN_SECONDS = 0
    replies = [*PRACTICE_REPLIES[:-1], "we could meet up for coffee, just the two of us"]
    api_client.post(URL, application(practice_replies=replies), format="json")
    user = User.objects.get(alias="SteadyRiver")
    client = client_for(user)
    url = "/api/v1/listeners/training/open-questions/attempts"
    # Each attempt answers its own draw, so the answers are read just before each submission.
    assert (
        client.post(url, {"answers": wrong_answers("open-questions", user, wrong=2)}, format="json").status_code == 201
    )
    assert client.post(url, {"answers": correct_answers("open-questions", user)}, format="json").status_code == 201
    return user


@pytest.mark.django_db
def test_the_reviewer_sees_the_application_training_results_and_practice_transcript(manager, applicant):
    response = client_for(manager).get(_review_url(applicant.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["application"]["alias"] == "SteadyRiver"
    assert body["application"]["status"] == "pending"
    assert body["application"]["adult_declared_at"]
    assert body["application"]["topics"] == ["anxiety", "stress"]
    module = next(item for item in body["training"]["modules"] if item["slug"] == "open-questions")
    assert module["passed"] is True and module["best_score"] == 100
    assert [(a["score"], a["passed"], a["questions"]) for a in module["attempts"]] == [(60, False, 5), (100, True, 5)]
    practice = body["practice"]
    assert [turn["seeker"] for turn in practice] == list(PRACTICE_SCRIPT)
    assert [turn["reply"] for turn in practice[:-1]] == list(PRACTICE_REPLIES[:-1])
    assert practice[-1]["would_hold"] is True
    assert "is_correct" not in str(body)


@pytest.mark.django_db
def test_the_reviewer_decides_through_the_existing_decision_and_sees_it(manager, applicant):
    client = client_for(manager)
    assert (
        client.post(
            f"/api/v1/staff/listeners/{applicant.pk}/reject", {"note": "practice chat"}, format="json"
        ).status_code
        == 200
    )
    decisions = client.get(_review_url(applicant.pk)).json()["decisions"]
    assert decisions[0]["action"] == "reject" and decisions[0]["note"] == "practice chat"


@pytest.mark.django_db
def test_the_review_is_forbidden_to_anyone_who_does_not_manage_listeners(applicant):
    for user in (SeekerFactory(), ListenerFactory(), applicant, StaffFactory()):
        response = client_for(user).get(_review_url(applicant.pk))
        assert response.status_code == 403, user
        assert response.json()["error"] == "forbidden"
    from rest_framework.test import APIClient

    assert APIClient().get(_review_url(applicant.pk)).status_code in {401, 403}


@pytest.mark.django_db
def test_reviewing_an_unknown_listener_is_not_found(manager):
    assert client_for(manager).get(_review_url(999999)).json()["error"] == "not_found"
    assert client_for(manager).get(_review_url(SeekerFactory().pk)).status_code == 404
