"""Anonymous seekers: the neutral age gate, aliases, and what is (not) stored."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection

from support.api.views import UNDER_MINIMUM_AGE_MESSAGE
from support.errors import RateLimited
from support.models import User
from support.services import NEW_SESSIONS_TOO_FAST, NEW_SESSIONS_TOO_FAST_HERE, seeker_create_anonymous

URL = "/api/v1/session/anonymous"
pytestmark = pytest.mark.django_db


def test_adult_start_creates_logged_in_seeker_with_friendly_alias(api_client):
    response = api_client.post(URL, {"age": 34}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["age_group"] == "adult"
    assert re.fullmatch(r"[A-Z][a-z]+[A-Z][a-z]+\d{2,}", body["alias"])
    assert api_client.get("/api/v1/me").json()["alias"] == body["alias"]


@pytest.mark.parametrize("age, group", [(13, "teen"), (17, "teen"), (18, "adult"), (120, "adult")])
def test_age_group_boundaries(api_client, age, group):
    response = api_client.post(URL, {"age": age}, format="json")
    assert response.status_code == 201
    assert response.json()["age_group"] == group


def test_seeker_row_holds_no_identifying_data(api_client):
    api_client.post(URL, {"age": 16}, format="json", REMOTE_ADDR="203.0.113.9")
    user = User.objects.get()
    assert user.email == ""
    assert not user.has_usable_password()
    row = User.objects.values().get()
    assert "203.0.113.9" not in " ".join(str(value) for value in row.values())
    # Every column that could hold the age: not the id (a sequence number, which may well
    # contain "16"), the unusable password's random hash, the generated alias (which ends in a
    # random 10-99, and in lower case is the username) or timestamps.
    assert row["username"] == row["alias"].lower()
    free_text = {
        name: value
        for name, value in row.items()
        if name not in ("id", "password", "alias", "username") and not isinstance(value, (dt.date, dt.datetime))
    }
    assert not any("16" in str(value) for value in free_text.values()), free_text


def test_under_13_is_refused_kindly_with_helplines_and_no_account(api_client):
    response = api_client.post(URL, {"age": 12}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "under_minimum_age"
    assert body["message"] == UNDER_MINIMUM_AGE_MESSAGE
    assert body["helplines"]
    assert User.objects.count() == 0


def test_under_13_cannot_immediately_retry_with_another_age(api_client):
    api_client.post(URL, {"age": 11}, format="json")
    retry = api_client.post(URL, {"age": 25}, format="json")
    assert retry.status_code == 403
    assert retry.json()["error"] == "under_minimum_age"
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"age": -1}, {"age": 121}, {"age": "twelve"}, {"age": None}, {}, {"age": True}, {"age": 17.5}, {"age": [18]}, []],
)
def test_ages_that_are_not_whole_numbers_in_range_are_400(api_client, body):
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert User.objects.count() == 0


def test_malformed_json_is_a_400_with_a_code(api_client):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


def test_form_encoded_body_is_415(api_client):
    response = api_client.post(URL, {"age": 20})
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_csrf_is_required_for_anonymous_start(csrf_client):
    refused = csrf_client.post(URL, {"age": 20}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"
    token = csrf_client.get("/api/v1/session/csrf").json()["csrf_token"]
    accepted = csrf_client.post(URL, {"age": 20}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_new_session_limits_hold_for_every_caller_of_the_service_and_create_nothing(settings):
    settings.HEARTH_ANON_SESSIONS_PER_DEVICE = 1
    settings.HEARTH_ANON_SESSIONS_PER_IP = 2
    seeker_create_anonymous(age=30, address="203.0.113.7", device_id="a" * 32)
    with pytest.raises(RateLimited) as same_browser:
        seeker_create_anonymous(age=30, address="203.0.113.7", device_id="a" * 32)
    assert same_browser.value.message == NEW_SESSIONS_TOO_FAST_HERE and same_browser.value.retry_after >= 1
    seeker_create_anonymous(age=30, address="203.0.113.7", device_id="b" * 32)
    with pytest.raises(RateLimited) as same_network:
        seeker_create_anonymous(age=30, address="203.0.113.7", device_id="c" * 32)
    assert same_network.value.message == NEW_SESSIONS_TOO_FAST
    assert User.objects.filter(role="seeker").count() == 2


def test_aliases_are_unique_even_when_the_generator_collides(monkeypatch):
    from support import services

    names = iter(["QuietHarbor11", "QuietHarbor11", "QuietHarbor11", "GentleRiver22"])
    monkeypatch.setattr(services, "generate_alias", lambda: next(names))
    first = seeker_create_anonymous(age=20)
    second = seeker_create_anonymous(age=20)
    assert first.alias == "QuietHarbor11"
    assert second.alias != first.alias


@pytest.mark.django_db(transaction=True)
def test_concurrent_anonymous_starts_get_distinct_aliases(monkeypatch):
    from support import services

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the concurrent case is proven on PostgreSQL")
    monkeypatch.setattr(services, "generate_alias", lambda: "SameName10")
    results, errors = [], []

    def start():
        try:
            results.append(seeker_create_anonymous(age=30).alias)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 6 and len(set(results)) == 6


def test_a_seeker_can_set_a_password_and_log_in_with_their_alias(api_client):
    alias = api_client.post(URL, {"age": 30}, format="json").json()["alias"]
    weak = api_client.post("/api/v1/me/password", {"password": "short"}, format="json")
    assert weak.status_code == 400
    assert (
        api_client.post("/api/v1/me/password", {"password": "a-long-and-quiet-river"}, format="json").status_code == 204
    )
    api_client.post("/api/v1/session/logout")
    login = api_client.post(
        "/api/v1/session/login", {"username": alias, "password": "a-long-and-quiet-river"}, format="json"
    )
    assert login.status_code == 200
    assert login.json()["alias"] == alias
