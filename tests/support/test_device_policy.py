"""Anonymous starts go through the device policy safety registers; without one they are refused."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from safety.devices import DeviceBans
from support import devices
from support.models import User


def test_the_running_app_checks_anonymous_starts_against_safetys_device_bans():
    assert isinstance(devices.device_policy(), DeviceBans)


@pytest.mark.django_db
def test_without_a_device_policy_no_anonymous_session_starts(csrf_client, monkeypatch):
    monkeypatch.setattr(devices.DEVICE_POLICY, "implementation", None)
    csrf_client.get("/api/v1/session/csrf")
    token = csrf_client.cookies["csrftoken"].value
    with pytest.raises(ImproperlyConfigured):
        csrf_client.post("/api/v1/session/anonymous", {"age": 30}, format="json", HTTP_X_CSRFTOKEN=token)
    assert not User.objects.exists()


def test_start_up_checks_fail_without_a_device_policy(monkeypatch):
    assert "support.E001" not in {message.id for message in run_checks()}
    monkeypatch.setattr(devices.DEVICE_POLICY, "implementation", None)
    assert "support.E001" in {message.id for message in run_checks()}
