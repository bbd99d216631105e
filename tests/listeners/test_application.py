import pytest

from listeners.models import ListenerProfile, ListenerStatus
from listeners.services import TOO_MANY_APPLICATIONS, listener_apply
from support.errors import RateLimited
from support.models import User
from tests.factories import SeekerFactory

URL = "/api/v1/listeners/apply"
PRACTICE_REPLIES = (
    "Hi, I'm glad you came. There's no right way to do this, take your time.",
    "It sounds exhausting to lie awake with exams so close, and lonely to feel you're the only one struggling.",
    "Thank you for telling me. Are you thinking about ending your life? I'm going to bring in our safety team.",
    "I'm glad this helped. Hearth keeps us both anonymous, so I can't share that, but you can come back any time.",
)


def application(**overrides):
    body = {
        "username": "river.listener",
        "password": "a-long-and-unusual-passphrase",
        "alias": "SteadyRiver",
        "bio": "I've been through anxiety myself and I'm a patient listener.",
        "topics": ["anxiety", "stress"],
        "wants_teens": True,
        "age": 34,
        "adult_declared": True,
        "practice_replies": list(PRACTICE_REPLIES),
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_an_adult_applies_and_is_signed_in_as_a_pending_listener(api_client):
    response = api_client.post(URL, application(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["role"] == "listener"
    assert body["user"]["alias"] == "SteadyRiver"
    assert body["profile"]["status"] == "pending"
    assert body["profile"]["trained"] is False
    profile = ListenerProfile.objects.get(user__alias="SteadyRiver")
    assert profile.wants_teens is True
    assert sorted(profile.topics.values_list("slug", flat=True)) == ["anxiety", "stress"]
    # Signed in: the session works for the listener endpoints straight away.
    assert api_client.get("/api/v1/listeners/training").status_code == 200


@pytest.mark.django_db
def test_the_age_itself_is_never_stored(api_client):
    api_client.post(URL, application(age=52), format="json")
    user = User.objects.get(alias="SteadyRiver")
    assert user.age_group == "adult"
    stored = User.objects.filter(pk=user.pk).values().first()
    # The hash and timestamps are digits by nature; every other column must not hold the age.
    for column in ("password", "date_joined", "last_login", "id"):
        stored.pop(column)
    assert "52" not in str(stored)


@pytest.mark.django_db
def test_under_18_is_refused_with_a_clear_code_and_no_account(api_client):
    response = api_client.post(URL, application(age=17), format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "under_listener_age"
    assert response.json()["field"] == "age"  # the form shows it beside the age
    assert not User.objects.filter(alias="SteadyRiver").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("age", [True, "30", 30.5, None])
def test_age_must_be_a_whole_number(api_client, age):
    response = api_client.post(URL, application(age=age), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "age" in response.json()["fields"]


@pytest.mark.django_db
def test_weak_password_is_refused_by_the_django_validators(api_client):
    response = api_client.post(URL, application(password="password1"), format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not User.objects.filter(alias="SteadyRiver").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "alias",
    ["ab", "Has Space", "call07700900123", "me", "Training", "x" * 30, "9Lives", "name@mail.com"],
)
def test_display_alias_is_validated(api_client, alias):
    response = api_client.post(URL, application(alias=alias), format="json")
    assert response.status_code == 400, alias
    assert "alias" in response.json()["fields"]


@pytest.mark.django_db
def test_alias_is_unique_ignoring_case(api_client):
    SeekerFactory(alias="SteadyRiver")
    response = api_client.post(URL, application(alias="steadyriver"), format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "alias_taken"


@pytest.mark.django_db
def test_username_is_unique(api_client):
    SeekerFactory(username="river.listener")
    response = api_client.post(URL, application(), format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "username_taken"


@pytest.mark.django_db
def test_bio_with_contact_details_is_refused(api_client):
    response = api_client.post(URL, application(bio="Text me on 07700 900123 anytime"), format="json")
    assert response.status_code == 400
    assert "bio" in response.json()["fields"]


@pytest.mark.django_db
def test_unknown_topic_is_refused(api_client):
    response = api_client.post(URL, application(topics=["anxiety", "astrology"]), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_topic"


@pytest.mark.django_db
def test_a_signed_in_user_cannot_apply_again(api_client):
    api_client.post(URL, application(), format="json")
    response = api_client.post(URL, application(username="other.name", alias="OtherName"), format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "already_signed_in"


@pytest.mark.django_db
def test_application_needs_a_csrf_token(csrf_client):
    response = csrf_client.post(URL, application(), format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


@pytest.mark.django_db
def test_applications_are_rate_limited_per_network(api_client, settings):
    settings.LISTENERS_APPLY_RATE_PER_IP = 1
    from rest_framework.test import APIClient

    assert api_client.post(URL, application(), format="json").status_code == 201
    response = APIClient().post(URL, application(username="second.one", alias="SecondOne"), format="json")
    assert response.status_code == 429
    assert response.json()["retry_after"] >= 1


@pytest.mark.django_db
def test_the_application_limit_holds_for_every_caller_of_the_service_and_creates_nothing(settings):
    settings.LISTENERS_APPLY_RATE_PER_IP = 1
    listener_apply(**_service_application(), address="203.0.113.7")
    with pytest.raises(RateLimited) as refused:
        listener_apply(**_service_application(username="second.one", alias="SecondOne"), address="203.0.113.7")
    assert refused.value.code == "rate_limited" and refused.value.retry_after >= 1
    assert refused.value.message == TOO_MANY_APPLICATIONS
    assert not User.objects.filter(username="second.one").exists()
    listener_apply(**_service_application(username="third.one", alias="ThirdOne"), address="203.0.113.8")


def _service_application(**overrides):
    values = application(**overrides)
    values["topic_slugs"] = values.pop("topics")
    return values


@pytest.mark.django_db
def test_a_new_applicant_cannot_start_a_shift(api_client):
    api_client.post(URL, application(), format="json")
    response = api_client.post("/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 2}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "not_trained"
    assert ListenerProfile.objects.get(user__alias="SteadyRiver").status == ListenerStatus.PENDING
