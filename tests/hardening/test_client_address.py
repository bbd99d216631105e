"""Which address per-IP limits count (support/client_ip.py), and limits a concurrent burst cannot pass.

The same rule for HTTP requests and websocket scopes: the TCP peer, unless
the peer is a trusted proxy and ``CLIENT_IP_HEADER`` names the header it
writes. The real-nginx proof is ``test_nginx_proxy.py``.
"""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import connection
from django.test import Client

from chat.models import ChatRequest
from chat.services.requests import request_create
from support import client_ip as client_ip_module
from support.client_ip import client_ip_from_meta, client_ip_from_scope
from support.errors import RateLimited
from support.serve import PROXY_HEADERS_REFUSED, server_argv
from support.services import NEW_SESSIONS_TOO_FAST_HERE
from tests.factories import SeekerFactory, topic
from tests.hardening.conftest import clear_of_window_edge

pytestmark = [pytest.mark.security]

FORGED = {
    "HTTP_X_FORWARDED_FOR": "198.51.100.1",
    "HTTP_X_REAL_IP": "198.51.100.2",
    "HTTP_FORWARDED": "for=198.51.100.3",
}


def _scope(peer: str, **headers: str) -> dict:
    return {"client": (peer, 5000), "headers": [(name.encode(), value.encode()) for name, value in headers.items()]}


@pytest.mark.parametrize("header,proxies", [("", []), ("X-Real-IP", []), ("", ["127.0.0.1"])])
def test_without_both_settings_no_forwarding_header_is_believed(settings, header, proxies):
    settings.CLIENT_IP_HEADER, settings.TRUSTED_PROXIES = header, proxies
    assert client_ip_from_meta({"REMOTE_ADDR": "127.0.0.1", **FORGED}) == "127.0.0.1"
    assert (
        client_ip_from_scope(_scope("127.0.0.1", **{"x-real-ip": "198.51.100.2", "x-forwarded-for": "1.2.3.4"}))
        == "127.0.0.1"
    )


def test_the_header_counts_only_on_connections_from_a_trusted_proxy(settings):
    settings.CLIENT_IP_HEADER, settings.TRUSTED_PROXIES = "X-Real-IP", ["127.0.0.1", "10.1.0.0/16"]
    assert client_ip_from_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}) == "203.0.113.7"
    assert client_ip_from_meta({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_REAL_IP": "203.0.113.8"}) == "203.0.113.8"
    assert client_ip_from_meta({"REMOTE_ADDR": "192.0.2.50", "HTTP_X_REAL_IP": "203.0.113.7"}) == "192.0.2.50"
    assert client_ip_from_scope(_scope("127.0.0.1", **{"x-real-ip": "203.0.113.9"})) == "203.0.113.9"
    assert client_ip_from_scope(_scope("192.0.2.51", **{"x-real-ip": "203.0.113.9"})) == "192.0.2.51"
    assert client_ip_from_scope(_scope("::ffff:127.0.0.1", **{"x-real-ip": "203.0.113.10"})) == "203.0.113.10"


def test_a_proxy_header_that_is_not_an_address_counts_the_proxy(settings):
    settings.CLIENT_IP_HEADER, settings.TRUSTED_PROXIES = "X-Forwarded-For", ["127.0.0.1"]
    assert client_ip_from_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"}) == "127.0.0.1"
    # A list: the last entry is the one the trusted proxy added; the others came from the client.
    assert (
        client_ip_from_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.4"})
        == "203.0.113.4"
    )


def test_ignored_forwarding_headers_are_logged_once_per_process(settings, monkeypatch, caplog):
    settings.CLIENT_IP_HEADER, settings.TRUSTED_PROXIES = "", []
    monkeypatch.setattr(client_ip_module, "_ignored_warned", False)
    with caplog.at_level(logging.WARNING, logger="hearth.client_ip"):
        for _ in range(3):
            client_ip_from_meta({"REMOTE_ADDR": "127.0.0.1", **FORGED})
    warnings = [record for record in caplog.records if record.name == "hearth.client_ip"]
    assert len(warnings) == 1
    assert "TRUSTED_PROXIES" in warnings[0].getMessage()
    assert "198.51.100" not in warnings[0].getMessage()


@pytest.mark.parametrize("option", ["--proxy-headers", "--proxy-headers-host=X-Real-IP"])
def test_the_launcher_refuses_daphnes_proxy_headers(option):
    with pytest.raises(SystemExit) as refused:
        server_argv(["-b", "127.0.0.1", option], environ={})
    assert str(refused.value) == PROXY_HEADERS_REFUSED


@pytest.mark.django_db
def test_forged_headers_do_not_give_new_anonymous_sessions(settings):
    clear_of_window_edge()
    settings.HEARTH_ANON_SESSIONS_PER_IP = 3
    statuses = []
    for index in range(5):
        response = Client().post(
            "/api/v1/session/anonymous",
            {"age": 30},
            content_type="application/json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}",
            HTTP_X_REAL_IP=f"203.0.113.{index}",
        )
        statuses.append(response.status_code)
    assert statuses == [201, 201, 201, 429, 429]


@pytest.mark.django_db
def test_one_browser_cannot_start_more_than_its_own_sessions_from_many_addresses(settings):
    clear_of_window_edge()
    settings.HEARTH_ANON_SESSIONS_PER_DEVICE = 2
    browser = Client()
    responses = [
        browser.post(
            "/api/v1/session/anonymous", {"age": 30}, content_type="application/json", REMOTE_ADDR=f"192.0.2.{i}"
        )
        for i in range(4)
    ]
    # The first start mints the browser's device cookie; the two after it are counted on it.
    assert [response.status_code for response in responses] == [201, 201, 201, 429]
    assert responses[-1].json()["message"] == NEW_SESSIONS_TOO_FAST_HERE


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_burst_of_requests_from_one_address_gets_only_the_limit(settings):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the concurrent burst runs on PostgreSQL (and through nginx)")
    settings.CHAT_REQUESTS_PER_ADDRESS = 5
    clear_of_window_edge()
    topic()
    seekers = [SeekerFactory() for _ in range(16)]
    barrier = threading.Barrier(len(seekers))
    outcomes, errors = [], []

    def ask(seeker) -> None:
        try:
            barrier.wait()
            request_create(seeker=seeker, topic_slug="anxiety", address="198.51.100.20")
            outcomes.append("created")
        except RateLimited as refused:
            outcomes.append(("refused", refused.retry_after > 0))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(seeker,)) for seeker in seekers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert outcomes.count("created") == 5
    assert outcomes.count(("refused", True)) == 11
    assert ChatRequest.objects.count() == 5


@pytest.mark.django_db
def test_a_seeker_asking_again_and_again_is_limited_over_rest(settings, api_client):
    clear_of_window_edge()
    settings.CHAT_REQUESTS_PER_SEEKER = 3
    topic()
    seeker = SeekerFactory()
    api_client.force_authenticate(seeker)
    statuses = []
    for _ in range(4):
        created = api_client.post("/api/v1/requests/mine", {"topic": "anxiety"}, format="json")
        statuses.append(created.status_code)
        if created.status_code == 201:
            api_client.delete("/api/v1/requests/mine")
        else:
            assert created.json()["error"] == "rate_limited" and created.json()["retry_after"] > 0
    assert statuses == [201, 201, 201, 429]
