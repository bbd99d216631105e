"""Alerts: email when nobody is watching, re-notify rounds that widen, never closed automatically."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from safety.models import FlagStatus, SafetyFlag
from safety.services import alert_acknowledge, alerts_renotify
from tests.safety.helpers import CRISIS, flagged_pair, present, staff_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SAFETY_ALERT_EMAILS = ["oncall@hearth.example"]
    settings.SAFETY_ALERT_RENOTIFY_SECONDS = 120


def test_a_flag_raised_while_no_staff_socket_is_connected_is_emailed_to_the_alert_list():
    staff_member()  # exists but is not connected
    _, _, _, flag = flagged_pair()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["oncall@hearth.example"]
    assert f"#{flag.pk}" in email.subject
    assert CRISIS not in email.body  # no conversation text leaves the platform


def test_the_email_links_to_the_staff_page_with_the_alert_selected(settings, client):
    settings.HEARTH_PUBLIC_URL = "https://hearth.example.org"
    staff_member()
    _, _, _, flag = flagged_pair()
    link = f"https://hearth.example.org/staff/?flag={flag.pk}"
    assert link in mail.outbox[0].body
    assert client.get(link.removeprefix("https://hearth.example.org")).status_code == 200  # a page, not a 404


def test_no_email_when_a_staff_member_is_connected():
    present(staff_member())
    flagged_pair()
    assert mail.outbox == []


def test_a_stale_staff_connection_does_not_count_as_someone_watching(settings):
    present(staff_member(), seen=timezone.now() - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS + 5))
    flagged_pair()
    assert len(mail.outbox) == 1


def test_unacknowledged_alerts_are_re_sent_with_wider_recipients_each_round():
    present(staff_member(email="a@hearth.example"))
    staff_member(email="b@hearth.example")
    _, _, _, flag = flagged_pair()
    assert mail.outbox == []  # round 1: staff sockets only
    start = flag.created_at

    assert alerts_renotify(now=start + timedelta(seconds=60)) == 0  # not due yet
    assert alerts_renotify(now=start + timedelta(seconds=121)) == 1
    flag.refresh_from_db()
    assert flag.notify_round == 2
    assert [sorted(m.to) for m in mail.outbox] == [["oncall@hearth.example"]]

    alerts_renotify(now=start + timedelta(seconds=242))
    flag.refresh_from_db()
    assert flag.notify_round == 3
    assert sorted(mail.outbox[-1].to) == ["a@hearth.example", "b@hearth.example", "oncall@hearth.example"]

    alerts_renotify(now=start + timedelta(seconds=363))  # later rounds keep the widest list
    assert sorted(mail.outbox[-1].to) == ["a@hearth.example", "b@hearth.example", "oncall@hearth.example"]


def test_an_acknowledged_alert_is_not_re_sent_and_stays_open_for_review():
    staff = staff_member()
    present(staff)
    _, _, _, flag = flagged_pair()
    alert_acknowledge(staff=staff, flag_id=flag.pk)
    assert alerts_renotify(now=timezone.now() + timedelta(hours=1)) == 0
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.resolved_at is None


def test_alerts_are_never_closed_automatically_however_long_they_wait():
    _, _, _, flag = flagged_pair()
    for hours in range(1, 25):
        alerts_renotify(now=flag.created_at + timedelta(hours=hours))
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.acknowledged_at is None
    assert flag.notify_round == 25


def test_renotify_job_is_registered_with_the_scheduler(settings):
    assert "safety.jobs.alerts_renotify" in settings.HEARTH_SCHEDULED_JOBS
    from support.scheduler import scheduled_jobs

    scheduled_jobs.cache_clear()
    assert any(job.__module__ == "safety.jobs" and job.__name__ == "alerts_renotify" for job in scheduled_jobs())


def test_an_email_failure_does_not_lose_the_flag(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("safety.services.send_mail", broken)
    _, _, _, flag = flagged_pair()
    assert SafetyFlag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True).exists()
