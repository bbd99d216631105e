"""Nothing people wrote is kept by a browser cache, and a seeker chooses whether this browser remembers them."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.chat.helpers import matched_pair
from tests.factories import PASSWORD, StaffFactory
from tests.safety.helpers import flagged_pair

pytestmark = [pytest.mark.security, pytest.mark.django_db]

ANONYMOUS = "/api/v1/session/anonymous"


def _no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives and "private" in directives


def test_transcripts_and_conversations_are_never_stored_by_a_cache(api_client):
    seeker, listener, conversation = matched_pair()
    api_client.force_authenticate(seeker)
    for path in (
        f"/api/v1/conversations/{conversation.pk}/messages",
        f"/api/v1/conversations/{conversation.pk}",
        "/api/v1/conversations",
        "/api/v1/me",
        "/api/v1/reports/mine",
    ):
        response = api_client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), (path, response.get("Cache-Control"))


def test_staff_transcripts_flags_and_pages_are_never_stored_by_a_cache():
    _, _, conversation, flag = flagged_pair()
    staff = StaffFactory()
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    for path in (
        "/api/v1/staff/queue",
        f"/api/v1/staff/flags/{flag.pk}",
        f"/api/v1/staff/flags/{flag.pk}/transcript",
        f"/api/v1/staff/conversations/{conversation.pk}/transcript",
        "/staff/",
        "/talk/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), (path, response.get("Cache-Control"))


def test_errors_are_not_stored_either(api_client):
    for response in (api_client.get("/api/v1/conversations/999"), api_client.get("/api/v1/nowhere")):
        assert response.status_code in (403, 404)
        assert _no_store(response)


def test_a_seeker_is_forgotten_when_the_browser_closes_unless_they_ask_to_be_remembered():
    default = Client().post(ANONYMOUS, {"age": 30}, content_type="application/json")
    assert default.status_code == 201
    cookie = default.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie

    forgotten = Client().post(ANONYMOUS, {"age": 30, "remember": False}, content_type="application/json")
    assert forgotten.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == ""

    remembered = Client().post(ANONYMOUS, {"age": 30, "remember": True}, content_type="application/json")
    assert remembered.status_code == 201
    assert int(remembered.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"]) == django_settings.SESSION_COOKIE_AGE


@pytest.mark.parametrize("value", ["yes", 1, "true", None, []])
def test_remember_must_be_a_json_boolean(value):
    response = Client().post(ANONYMOUS, {"age": 30, "remember": value}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid" and "remember" in response.json()["fields"]


def test_a_session_that_is_not_remembered_stays_so_after_the_next_request():
    client = Client()
    client.post(ANONYMOUS, {"age": 30}, content_type="application/json")
    assert client.session.get_expire_at_browser_close()
    client.get("/api/v1/me")
    assert client.session.get_expire_at_browser_close()


def test_staff_sign_in_is_not_changed_by_the_seekers_choice(api_client):
    staff = StaffFactory()
    response = Client().post(
        "/api/v1/session/login", {"username": staff.username, "password": PASSWORD}, content_type="application/json"
    )
    assert int(response.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"]) == django_settings.SESSION_COOKIE_AGE


def test_the_start_pages_offer_remember_me_unticked():
    for path in ("/talk/", "/rooms/"):
        page = Client().get(path).content.decode()
        assert 'type="checkbox" id="remember"' in page and "Remember me on this device" in page
        assert 'id="remember" name="remember" checked' not in page
