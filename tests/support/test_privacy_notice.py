"""The privacy notice: versioned, shown before a chat, its acceptance counted per version and day without identity."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from support.models import PrivacyNoticeAcceptance
from support.privacy import PRIVACY_COOKIE, privacy_notice_accept, privacy_notice_counts

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy"


def test_accepting_the_current_version_counts_it_for_the_day_and_remembers_it_in_the_browser(settings):
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 3
    client = APIClient()

    response = client.post(URL, {"version": 3}, format="json")

    assert response.status_code == 200
    assert response.json() == {"version": 3, "accepted": True, "recorded": True, "url": "/privacy/"}
    cookie = response.cookies[PRIVACY_COOKIE]
    assert cookie.value == "3" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert [(row["version"], row["count"]) for row in privacy_notice_counts()] == [(3, 1)]
    assert client.get(URL).json()["accepted"] is True


def test_the_record_holds_no_identity_only_version_day_and_count():
    fields = {field.name for field in PrivacyNoticeAcceptance._meta.get_fields()}
    assert fields == {"id", "version", "day", "count"}


def test_two_browsers_make_two_the_same_browser_again_makes_none(settings):
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 1
    first, second = APIClient(), APIClient()
    first.post(URL, {"version": 1}, format="json")
    second.post(URL, {"version": 1}, format="json")
    again = first.post(URL, {"version": 1}, format="json")
    assert again.json()["recorded"] is False
    assert privacy_notice_counts(version=1)[0]["count"] == 2


def test_a_new_version_must_be_accepted_again_and_is_counted_apart(settings):
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 1
    client = APIClient()
    client.post(URL, {"version": 1}, format="json")
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 2
    assert client.get(URL).json()["accepted"] is False
    stale = client.post(URL, {"version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"] == "privacy_notice_outdated" and stale.json()["version"] == 2
    assert client.post(URL, {"version": 2}, format="json").json()["recorded"] is True
    assert [(row["version"], row["count"]) for row in privacy_notice_counts()] == [(1, 1), (2, 1)]


def test_counts_are_kept_per_day():
    privacy_notice_accept(version=1, address=None, today=datetime.date(2026, 12, 6))
    privacy_notice_accept(version=1, address=None, today=datetime.date(2026, 12, 7))
    privacy_notice_accept(version=1, address=None, today=datetime.date(2026, 12, 7))
    assert [(row["day"].day, row["count"]) for row in privacy_notice_counts(version=1)] == [(6, 1), (7, 2)]


def test_past_the_per_address_limit_acceptances_are_not_counted_but_the_person_goes_on(settings):
    settings.HEARTH_PRIVACY_ACCEPTANCES_PER_IP = 2
    statuses = [APIClient().post(URL, {"version": 1}, format="json", REMOTE_ADDR="198.51.100.4") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 200]
    assert [r.json()["recorded"] for r in statuses] == [True, True, False]
    assert PRIVACY_COOKIE in statuses[2].cookies
    assert privacy_notice_counts()[0]["count"] == 2


@pytest.mark.parametrize("body", [{}, {"version": "x"}, {"version": True}, {"version": 0}, {"version": [1]}, []])
def test_a_malformed_acceptance_is_a_400_with_a_code(body):
    response = APIClient().post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert not PrivacyNoticeAcceptance.objects.exists()


def test_acceptance_needs_the_csrf_token():
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(URL, {"version": 1}, format="json")
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


def test_the_first_screen_of_a_chat_shows_the_short_notice_with_the_settings_figures(settings):
    settings.SAFETY_RETENTION_DAYS = 17
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 4
    html = Client().get("/talk/").content.decode()
    assert "Your privacy, in short" in html
    assert "deleted 17 days after it ends" in html
    assert '"version": 4' in html and '"due": true' in html
    for subject in ("Software reads every message first", "Who may read your chat", "In an emergency", "Deleting"):
        assert subject in html


def test_a_browser_that_accepted_the_current_version_is_not_asked_again_until_it_changes(settings):
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 4
    client = Client()
    client.cookies[PRIVACY_COOKIE] = "4"
    assert '"due": false' in client.get("/talk/").content.decode()
    settings.HEARTH_PRIVACY_NOTICE_VERSION = 5
    assert '"due": true' in client.get("/talk/").content.decode()


def test_the_full_notice_gives_every_period_from_the_settings_and_is_linked_from_every_page(settings):
    settings.SAFETY_RETENTION_DAYS = 11
    settings.SAFETY_RETENTION_ROOM_MESSAGE_DAYS = 12
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 13
    settings.SAFETY_RETENTION_KEPT_ACCOUNT_DAYS = 14
    settings.SAFETY_RETENTION_AUDIT_DAYS = 415
    html = Client().get("/privacy/").content.decode()
    for figure in ("11 days after it ends", "12 days", "13 days", "14 days", "415 days"):
        assert figure in html
    for path in ("/", "/talk/", "/account/", "/listen/", "/staff/", "/rooms/"):
        assert 'href="/privacy/"' in Client().get(path).content.decode(), path
