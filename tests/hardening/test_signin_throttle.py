"""The sign-in throttle (support/signin.py): one for the API and /admin/login/.

Counted atomically before the password is checked, locks that grow, the real
person on a known device still gets in, staff hear of locks on their account.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory

from safety.models import AuditRecord
from safety.signin_alerts import SIGNIN_LOCKED_ACTION
from support import signin
from support.models import User
from tests.factories import PASSWORD, ListenerFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.security]

API = "/api/v1/session/login"
ADMIN = "/admin/login/"


def _api_login(client, username, password, ip="192.0.2.10"):
    return client.post(
        API, {"username": username, "password": password}, content_type="application/json", REMOTE_ADDR=ip
    )


def _admin_login(client, username, password, ip="192.0.2.10"):
    return client.post(ADMIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


@pytest.fixture
def password_checks(monkeypatch):
    """Counts every password the hasher checks, each taking a moment so a burst overlaps."""
    checks = []
    lock = threading.Lock()
    original = User.check_password

    def counted(self, raw):
        with lock:
            checks.append(raw)
        time.sleep(0.05)  # widen the window a check-then-count throttle would leave open
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", counted)
    return checks


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_burst_of_24_tries_checks_at_most_5_passwords(settings, password_checks):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 5
    settings.HEARTH_LOGIN_RATE_PER_IP = 1000
    target = UserFactory(username="victim")
    factory = RequestFactory()
    barrier = threading.Barrier(24)
    outcomes, errors = [], []

    def attempt(index: int) -> None:
        try:
            request = factory.post(
                API, REMOTE_ADDR=f"198.51.100.{index}"
            )  # many addresses: only the account limit holds
            barrier.wait()
            user = authenticate(request, username=target.username, password=f"guess-{index}")
            outcomes.append("refused" if signin.signin_refusal(request) else ("ok" if user else "wrong"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(password_checks) <= 5
    assert outcomes.count("wrong") == len(password_checks)
    assert outcomes.count("refused") == 24 - len(password_checks)


@pytest.mark.django_db
def test_admin_login_is_throttled_and_shares_the_count_with_the_api(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 5
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    attacker = Client()
    for _ in range(5):
        assert "correct username and password" in _admin_login(attacker, "root", "wrong").content.decode()
    locked = _admin_login(attacker, "root", PASSWORD)
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    # The API refuses the right password too, typed and with retry_after.
    refused = _api_login(Client(), admin.username, PASSWORD, ip="192.0.2.77")
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited" and body["retry_after"] > 0
    assert int(refused["Retry-After"]) == body["retry_after"]


@pytest.mark.django_db
def test_api_failures_lock_the_admin_login(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 3
    UserFactory(username="root2", is_staff=True, is_superuser=True)
    for _ in range(3):
        assert _api_login(Client(), "root2", "wrong").status_code == 400
    admin_client = Client()
    response = _admin_login(admin_client, "root2", PASSWORD, ip="192.0.2.99")
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in admin_client.session


@pytest.mark.django_db
def test_the_owner_on_a_known_device_signs_in_while_the_account_is_locked(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 5
    reviewer = StaffFactory()
    owner = Client()
    assert _api_login(owner, reviewer.username, PASSWORD, ip="192.0.2.1").status_code == 200
    assert signin.KNOWN_DEVICE_COOKIE in owner.cookies
    owner.post("/api/v1/session/logout")
    attacker = Client()
    for _ in range(5):
        assert _api_login(attacker, reviewer.username, "guess", ip="203.0.113.5").status_code == 400
    assert _api_login(attacker, reviewer.username, PASSWORD, ip="203.0.113.5").status_code == 429
    assert _api_login(Client(), reviewer.username, PASSWORD, ip="192.0.2.1").status_code == 429  # unknown browser
    assert _api_login(owner, reviewer.username, PASSWORD, ip="192.0.2.1").status_code == 200


@pytest.mark.django_db
def test_a_known_device_does_not_escape_the_limit_of_its_address(settings):
    settings.HEARTH_LOGIN_RATE_PER_IP = 4
    listener = ListenerFactory()
    owner = Client()
    assert _api_login(owner, listener.username, PASSWORD, ip="192.0.2.2").status_code == 200
    for index in range(4):
        _api_login(Client(), f"someone{index}", "guess", ip="192.0.2.2")
    refused = _api_login(owner, listener.username, PASSWORD, ip="192.0.2.2")
    assert refused.status_code == 429 and refused.json()["retry_after"] > 0


@pytest.mark.django_db
def test_a_known_device_cookie_for_another_account_or_forged_does_not_exempt(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 2
    mine, theirs = ListenerFactory(), ListenerFactory()
    client = Client()
    assert _api_login(client, mine.username, PASSWORD).status_code == 200
    for _ in range(2):
        _api_login(Client(), theirs.username, "guess", ip="203.0.113.6")
    assert _api_login(client, theirs.username, PASSWORD).status_code == 429
    forged = Client()
    forged.cookies[signin.KNOWN_DEVICE_COOKIE] = "eyJ0IjoiYSIsImEiOltdfQ:forged:signature"
    assert _api_login(forged, theirs.username, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_each_lock_of_an_account_lasts_twice_as_long_as_the_one_before(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 2
    settings.HEARTH_LOGIN_LOCK_SECONDS = 60
    settings.HEARTH_LOGIN_LOCK_MAX_SECONDS = 3600
    ListenerFactory(username="slowly")
    waits = []
    for _ in range(3):
        for _ in range(2):
            assert _api_login(Client(), "slowly", "guess").status_code == 400
        refused = _api_login(Client(), "slowly", "guess")
        assert refused.status_code == 429
        waits.append(refused.json()["retry_after"])
        # The lock ends (as its cache entry would expire); a fresh set of attempts is counted.
        _, lock_key, _ = signin._keys("account", "slowly", 0)
        from django.core.cache import cache

        cache.delete(lock_key)
    assert waits == [60, 120, 240]


@pytest.mark.django_db
def test_addresses_are_locked_with_growing_delays_too(settings):
    settings.HEARTH_LOGIN_RATE_PER_IP = 3
    settings.HEARTH_LOGIN_LOCK_SECONDS = 30
    for index in range(3):
        _api_login(Client(), f"user{index}", "x", ip="198.51.100.50")
    first = _api_login(Client(), "user9", "x", ip="198.51.100.50")
    assert first.status_code == 429 and first.json()["retry_after"] == 30
    assert _api_login(Client(), "user9", "x", ip="198.51.100.51").status_code == 400


@pytest.mark.django_db
def test_a_right_password_clears_the_accounts_failures(settings):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 3
    listener = ListenerFactory()
    for _ in range(2):
        assert _api_login(Client(), listener.username, "typo").status_code == 400
    assert _api_login(Client(), listener.username, PASSWORD).status_code == 200
    for _ in range(2):
        assert _api_login(Client(), listener.username, "typo").status_code == 400
    assert _api_login(Client(), listener.username, PASSWORD).status_code == 200


@pytest.mark.django_db
def test_safety_staff_are_told_once_per_lock_of_their_account(settings, django_capture_on_commit_callbacks):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 5
    settings.SAFETY_ALERT_EMAILS = ["oncall@hearth.example"]
    reviewer = StaffFactory(email="reviewer@hearth.example")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(24):
            _api_login(Client(), reviewer.username, "guess", ip="203.0.113.9")
    records = AuditRecord.objects.filter(action=SIGNIN_LOCKED_ACTION, target_id=reviewer.pk)
    assert records.count() == 1
    assert records.get().actor is None
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"reviewer@hearth.example", "oncall@hearth.example"}
    assert reviewer.username in mail.outbox[0].subject
    assert "203.0.113.9" not in mail.outbox[0].body  # addresses are never kept


@pytest.mark.django_db
def test_a_seekers_lock_is_recorded_without_an_email(settings, django_capture_on_commit_callbacks):
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 2
    settings.SAFETY_ALERT_EMAILS = ["oncall@hearth.example"]
    seeker = UserFactory(username="quietriver12")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            _api_login(Client(), seeker.username, "guess")
    assert AuditRecord.objects.filter(action=SIGNIN_LOCKED_ACTION, target_id=seeker.pk).count() == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_sign_in_is_refused_when_the_throttle_cannot_count(monkeypatch):
    listener = ListenerFactory()

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(signin, "_increment", broken)
    refused = _api_login(Client(), listener.username, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["retry_after"] == signin.CACHE_DOWN_RETRY_AFTER
