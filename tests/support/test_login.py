from __future__ import annotations

import pytest

from support.api.views import LOGIN_FAILED_MESSAGE
from tests.factories import PASSWORD, ListenerFactory, StaffFactory

URL = "/api/v1/session/login"
pytestmark = pytest.mark.django_db


def test_listener_logs_in_and_me_shows_role(api_client):
    listener = ListenerFactory()
    response = api_client.post(URL, {"username": listener.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    me = api_client.get("/api/v1/me").json()
    assert me["role"] == "listener" and me["is_safety_staff"] is False


def test_staff_rights_come_from_the_group(api_client):
    staff = StaffFactory()
    api_client.post(URL, {"username": staff.username, "password": PASSWORD}, format="json")
    assert api_client.get("/api/v1/me").json()["is_safety_staff"] is True
    staff.groups.clear()
    assert api_client.get("/api/v1/me").json()["is_safety_staff"] is False


def test_wrong_password_is_a_clear_400(api_client):
    listener = ListenerFactory()
    response = api_client.post(URL, {"username": listener.username, "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "login_failed", "message": LOGIN_FAILED_MESSAGE}


def test_repeated_failures_for_one_username_are_throttled_even_with_the_right_password(api_client, settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 3
    listener = ListenerFactory()
    for _ in range(3):
        api_client.post(URL, {"username": listener.username, "password": "guess"}, format="json")
    blocked = api_client.post(URL, {"username": listener.username, "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "rate_limited"
    assert int(blocked["Retry-After"]) > 0


def test_many_attempts_from_one_ip_are_throttled_across_usernames(api_client, settings):
    settings.HEARTH_LOGIN_RATE_PER_IP = 4
    for index in range(4):
        api_client.post(URL, {"username": f"nobody{index}", "password": "x"}, format="json", REMOTE_ADDR="198.51.100.7")
    blocked = api_client.post(URL, {"username": "another", "password": "x"}, format="json", REMOTE_ADDR="198.51.100.7")
    assert blocked.status_code == 429
    other_ip = api_client.post(URL, {"username": "another", "password": "x"}, format="json", REMOTE_ADDR="198.51.100.8")
    assert other_ip.status_code == 400


def test_logout_ends_the_session(api_client):
    listener = ListenerFactory()
    api_client.post(URL, {"username": listener.username, "password": PASSWORD}, format="json")
    assert api_client.post("/api/v1/session/logout").status_code == 204
    assert api_client.get("/api/v1/me").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "a"},
        {"password": "b"},
        {"username": ["a"], "password": "b"},
        {"username": "a" * 200, "password": "b"},
    ],
)
def test_login_bodies_missing_fields_are_400_with_field_errors(api_client, body):
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"]
