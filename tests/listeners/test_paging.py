"""Paging listeners off shift when the line for their topics grows and nobody on shift can take it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from chat.models import ChatRequest, Conversation
from listeners import paging
from listeners.models import ListenerProfile, PagingPreference
from support.models import Connection, Topic
from tests.factories import ListenerFactory, SeekerFactory, TeenSeekerFactory, open_shift, topic
from tests.listeners.conftest import client_for

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _paging_settings(settings):
    settings.LISTENERS_PAGE_LINE_THRESHOLD = 3
    settings.LISTENERS_PAGE_WAIT_MINUTES = 0
    settings.LISTENERS_PAGE_MIN_INTERVAL_SECONDS = 3600
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HEARTH_PUBLIC_URL = "https://hearth.example.org"


@pytest.fixture
def frames(monkeypatch):
    sent = []
    monkeypatch.setattr(paging, "user_event", lambda user_id, frame: sent.append((user_id, frame)))
    return sent


def opted_in(*, topics=("anxiety",), email="", email_enabled=False, teens=False, quiet=None, time_zone="UTC"):
    listener = ListenerFactory(email=email, profile__approved_for_teens=teens)
    ListenerProfile.objects.get(user=listener).topics.set(Topic.objects.filter(slug__in=topics))
    PagingPreference.objects.create(
        listener=listener,
        enabled=True,
        email_enabled=email_enabled,
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
        time_zone=time_zone,
        updated_at=NOW,
    )
    return listener


def connect(user, *, now=NOW):
    Connection.objects.create(user=user, channel_name=f"test.{user.pk}.{Connection.objects.count()}", last_seen_at=now)


def wait(n=3, *, topic_slug="anxiety", teen=False, minutes_ago=1):
    for _ in range(n):
        seeker = (TeenSeekerFactory if teen else SeekerFactory)()
        conversation = Conversation.objects.create(seeker=seeker, topic=topic(topic_slug))
        ChatRequest.objects.create(
            seeker=seeker,
            conversation=conversation,
            topic=topic(topic_slug),
            age_group="teen" if teen else "adult",
            note="please, it's about my exams",
            queued_at=NOW - timedelta(minutes=minutes_ago),
        )


# --- the job ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_connected_listener_is_paged_with_a_frame_once_the_line_reaches_the_threshold(frames):
    listener = opted_in()
    connect(listener)
    wait(2)
    assert paging.line_paging_run(now=NOW) == 0
    wait(1)
    assert paging.line_paging_run(now=NOW) == 1
    ((user_id, frame),) = frames
    assert user_id == listener.pk
    assert frame == {
        "type": "line.page",
        "topic": "anxiety",
        "topic_name": topic("anxiety").name,
        "count": 3,
        "oldest_wait_seconds": 60,
        "url": "https://hearth.example.org/listen/",
    }
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_long_wait_pages_below_the_threshold(frames, settings):
    settings.LISTENERS_PAGE_WAIT_MINUTES = 10
    connect(opted_in())
    wait(1, minutes_ago=9)
    assert paging.line_paging_run(now=NOW) == 0
    assert paging.line_paging_run(now=NOW + timedelta(minutes=1)) == 1


@pytest.mark.django_db
def test_a_listener_is_not_paged_for_topics_they_do_not_take(frames):
    connect(opted_in(topics=("sleep",)))
    wait(3, topic_slug="anxiety")
    assert paging.line_paging_run(now=NOW) == 0


@pytest.mark.django_db
def test_teen_requests_page_only_listeners_approved_for_teens(frames):
    adults_only = opted_in()
    approved = opted_in(teens=True)
    connect(adults_only)
    connect(approved)
    wait(3, teen=True)
    assert paging.line_paging_run(now=NOW) == 1
    assert [user_id for user_id, _ in frames] == [approved.pk]


@pytest.mark.django_db
def test_someone_on_shift_with_a_free_seat_for_the_line_means_no_page(frames):
    connect(opted_in())
    on_shift = ListenerFactory()
    connect(on_shift)
    open_shift(on_shift, topics=("anxiety",), capacity=2, started_at=NOW - timedelta(minutes=5))
    wait(3)
    assert paging.line_paging_run(now=NOW) == 0


@pytest.mark.django_db
def test_someone_on_shift_for_another_topic_does_not_stop_the_page(frames):
    connect(opted_in())
    on_shift = ListenerFactory()
    connect(on_shift)
    open_shift(on_shift, topics=("sleep",), capacity=2, started_at=NOW - timedelta(minutes=5))
    wait(3)
    assert paging.line_paging_run(now=NOW) == 1


@pytest.mark.django_db
def test_a_listener_already_on_shift_or_paused_is_not_paged(frames):
    on_shift = opted_in()
    connect(on_shift)
    open_shift(on_shift, topics=("sleep",), capacity=1, started_at=NOW - timedelta(minutes=5))
    paused = opted_in()
    connect(paused)
    ListenerProfile.objects.filter(user=paused).update(paused_until=NOW + timedelta(minutes=5))
    wait(3)
    assert paging.line_paging_run(now=NOW) == 0


@pytest.mark.django_db
def test_a_listener_is_paged_at_most_once_an_hour(frames):
    connect(opted_in())
    wait(3)
    assert paging.line_paging_run(now=NOW) == 1
    Connection.objects.update(last_seen_at=NOW + timedelta(minutes=59))
    assert paging.line_paging_run(now=NOW + timedelta(minutes=59)) == 0
    Connection.objects.update(last_seen_at=NOW + timedelta(minutes=60))
    assert paging.line_paging_run(now=NOW + timedelta(minutes=60)) == 1
    assert len(frames) == 2


@pytest.mark.django_db
def test_never_during_quiet_hours_on_the_listeners_own_clock(frames):
    # 22:00–07:00 in Paris (UTC+1 in January): quiet until 06:00 UTC.
    listener = opted_in(quiet=(time(22, 0), time(7, 0)), time_zone="Europe/Paris")
    connect(listener, now=datetime(2026, 1, 10, 5, 59, tzinfo=UTC))
    wait(3)
    assert paging.line_paging_run(now=datetime(2026, 1, 10, 5, 59, tzinfo=UTC)) == 0
    Connection.objects.update(last_seen_at=datetime(2026, 1, 10, 6, 0, tzinfo=UTC))
    assert paging.line_paging_run(now=datetime(2026, 1, 10, 6, 0, tzinfo=UTC)) == 1


@pytest.mark.django_db
def test_a_listener_with_no_open_page_is_e_mailed_without_anyone_s_data(frames):
    listener = opted_in(email="kind@example.org", email_enabled=True)
    wait(3)
    assert paging.line_paging_run(now=NOW) == 1
    assert frames == []
    (message,) = mail.outbox
    assert message.to == ["kind@example.org"]
    assert "3 people are waiting" in message.body
    assert "https://hearth.example.org/listen/" in message.body
    for request in ChatRequest.objects.select_related("seeker"):
        assert request.seeker.alias not in message.body + message.subject
    assert "exams" not in message.body + message.subject
    assert not message.alternatives  # plain text only
    assert PagingPreference.objects.get(listener=listener).last_paged_at == NOW


@pytest.mark.django_db
def test_no_socket_and_no_e_mail_means_no_page_and_the_hour_is_not_spent(frames):
    listener = opted_in(email="kind@example.org", email_enabled=False)
    wait(3)
    assert paging.line_paging_run(now=NOW) == 0
    assert mail.outbox == [] and frames == []
    assert PagingPreference.objects.get(listener=listener).last_paged_at is None


@pytest.mark.django_db
def test_a_listener_who_turned_paging_off_is_not_paged(frames):
    listener = opted_in()
    connect(listener)
    PagingPreference.objects.filter(listener=listener).update(enabled=False)
    wait(3)
    assert paging.line_paging_run(now=NOW) == 0


@pytest.mark.django_db
def test_a_second_run_between_the_first_runs_read_and_its_claim_leaves_it_nothing(frames, monkeypatch):
    """Two processes: the second runs whole after the first has read the line and decided whom to
    page, before the first claims. Each listener is paged once."""
    connect(opted_in(email="kind@example.org", email_enabled=True))
    opted_in(email="other@example.org", email_enabled=True)  # no socket: e-mailed
    wait(3)
    read = paging.connected_listener_ids
    inner = []

    def other_process_runs_now(*args, **kwargs):
        if not inner:
            inner.append(None)
            inner[0] = paging.line_paging_run(now=NOW)
        return read(*args, **kwargs)

    monkeypatch.setattr(paging, "connected_listener_ids", other_process_runs_now)
    assert paging.line_paging_run(now=NOW) == 0
    assert inner == [2]
    assert len(frames) == 1 and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_job_runs_at_once_page_a_listener_once(frames, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer, so there is no race to test; run with DATABASE_URL=postgres://…")
    connect(opted_in(email="kind@example.org", email_enabled=True))
    opted_in(email="other@example.org", email_enabled=True)
    wait(3)
    barrier = threading.Barrier(2)
    read = paging.connected_listener_ids

    def both_have_read_the_line(*args, **kwargs):
        result = read(*args, **kwargs)
        barrier.wait(timeout=10)  # both runs found the same listeners due before either claims
        return result

    monkeypatch.setattr(paging, "connected_listener_ids", both_have_read_the_line)
    results = []

    def run():
        try:
            results.append(paging.line_paging_run(now=NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and sum(results) == 2  # each listener claimed by one run only
    assert len(frames) == 1 and len(mail.outbox) == 1


# --- the API ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_preferences_default_to_off_and_follow_the_profile_topics():
    listener = opted_in(topics=("anxiety", "sleep"))
    PagingPreference.objects.filter(listener=listener).delete()
    body = client_for(listener).get("/api/v1/listeners/me/paging").json()
    assert body["enabled"] is False and body["email_enabled"] is False
    assert body["quiet_hours"] is None and body["time_zone"] == "UTC"
    assert body["topics"] == ["anxiety", "sleep"]
    assert body["min_interval_seconds"] == 3600


@pytest.mark.django_db
def test_put_replaces_the_preferences_and_stores_the_e_mail_on_the_account():
    listener = ListenerFactory()
    client = client_for(listener)
    body = {
        "enabled": True,
        "email_enabled": True,
        "email": "kind@example.org",
        "quiet_hours": {"start": "22:30", "end": "07:00"},
        "time_zone": "Europe/Paris",
    }
    response = client.put("/api/v1/listeners/me/paging", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["quiet_hours"] == {"start": "22:30", "end": "07:00"}
    assert response.json()["email"] == "kind@example.org"
    listener.refresh_from_db()
    assert listener.email == "kind@example.org"
    stored = PagingPreference.objects.get(listener=listener)
    assert (stored.quiet_start, stored.quiet_end, stored.time_zone) == (time(22, 30), time(7, 0), "Europe/Paris")
    body.update(quiet_hours=None, enabled=False)
    del body["email"]
    again = client.put("/api/v1/listeners/me/paging", body, format="json").json()
    assert again["quiet_hours"] is None and again["enabled"] is False and again["email"] == "kind@example.org"


VALID = {"enabled": True, "email_enabled": False, "quiet_hours": None, "time_zone": "UTC"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change,field",
    [
        ({"enabled": "yes"}, "enabled"),
        ({"email_enabled": 1}, "email_enabled"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"quiet_hours": {"start": "7:00", "end": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "24:00", "end": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "08:00", "end": "09:00", "tz": "UTC"}}, "quiet_hours"),
        ({"quiet_hours": "22:00-07:00"}, "quiet_hours"),
        ({"email": "not an address"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"enabeld": True}, "enabeld"),
    ],
)
def test_put_refuses_bad_input_with_the_field_named(change, field):
    response = client_for(ListenerFactory()).put("/api/v1/listeners/me/paging", {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert field in response.json()["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("missing", sorted(VALID))
def test_put_needs_every_field(missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    response = client_for(ListenerFactory()).put("/api/v1/listeners/me/paging", body, format="json")
    assert response.status_code == 400 and missing in response.json()["fields"]


@pytest.mark.django_db
def test_e_mail_paging_needs_an_address():
    response = client_for(ListenerFactory(email="")).put(
        "/api/v1/listeners/me/paging", {**VALID, "email_enabled": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "email_required" and response.json()["field"] == "email"
    assert not PagingPreference.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[], "on", None])
def test_a_body_that_is_not_an_object_is_refused(body):
    response = client_for(ListenerFactory()).put("/api/v1/listeners/me/paging", body, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_only_listeners_have_paging_preferences():
    client = client_for(SeekerFactory())
    assert client.get("/api/v1/listeners/me/paging").status_code == 403
    assert client.put("/api/v1/listeners/me/paging", VALID, format="json").status_code == 403


# --- through the real socket --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_listener_with_the_console_open_gets_line_page_on_their_socket():
    from asgiref.sync import sync_to_async
    from django.utils import timezone

    from tests.ws import connected, receive_until

    listener = await sync_to_async(opted_in)(email="kind@example.org", email_enabled=True)
    async with connected(listener) as socket:
        await sync_to_async(wait)(3)
        assert await sync_to_async(paging.line_paging_run)(now=timezone.now()) == 1
        frame = await receive_until(socket, "line.page")
    assert frame["count"] == 3 and frame["topic"] == "anxiety"
    assert mail.outbox == []  # the socket was open: no e-mail
