"""Connection floods: per-IP and per-user limits on handshakes and concurrent sockets (close 4429).

The limits live in support/connection_limits.py and apply to every socket
(chat, staff, rooms) through support.ws.FrameConsumer.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from support.ws import CloseCode
from tests.factories import SeekerFactory, StaffFactory
from tests.hardening.helpers import open_socket, refused_with

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _ip_from_header(settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the peer open_socket gives every socket


async def _close_all(sockets):
    for ws in sockets:
        await ws.disconnect()


async def test_a_user_cannot_hold_more_than_the_concurrent_socket_limit_and_others_still_connect(settings):
    settings.HEARTH_WS_SOCKETS_PER_USER = 3
    flooder, other = await sync_to_async(SeekerFactory)(), await sync_to_async(SeekerFactory)()
    held = []
    try:
        for i in range(3):
            ws, accepted = await open_socket(flooder, ip=f"10.0.0.{i + 1}")
            assert accepted
            assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
            held.append(ws)
        extra, accepted = await open_socket(flooder, ip="10.0.0.9")
        error = await refused_with(extra, CloseCode.TOO_MANY_CONNECTIONS)
        assert error["code"] == "too_many_connections" and error["retry_after"] >= 1
        # Meanwhile another person connects as usual.
        ws, accepted = await open_socket(other, ip="10.0.0.1")
        assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
        held.append(ws)
        # Closing one of the flooder's sockets frees a slot.
        await held.pop(0).disconnect()
        ws, _ = await open_socket(flooder, ip="10.0.0.1")
        assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
        held.append(ws)
    finally:
        await _close_all(held)


async def test_one_address_cannot_hold_more_than_the_per_ip_socket_limit(settings):
    settings.HEARTH_WS_SOCKETS_PER_IP = 4
    users = [await sync_to_async(SeekerFactory)() for _ in range(6)]
    held = []
    try:
        for user in users[:4]:
            ws, _ = await open_socket(user, ip="192.0.2.7")
            assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
            held.append(ws)
        ws, _ = await open_socket(users[4], ip="192.0.2.7")
        assert (await refused_with(ws, CloseCode.TOO_MANY_CONNECTIONS))["code"] == "too_many_connections"
        ws, _ = await open_socket(users[5], ip="192.0.2.8")
        assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
        held.append(ws)
    finally:
        await _close_all(held)


async def test_a_handshake_flood_from_one_address_is_refused_while_other_addresses_connect(settings):
    settings.HEARTH_WS_HANDSHAKES_PER_IP = 10
    user = await sync_to_async(SeekerFactory)()
    refused = 0
    for _ in range(15):
        ws, _ = await open_socket(None, ip="198.51.100.1")  # anonymous: closed 4401 when admitted
        output = await ws.receive_output(timeout=5)
        if output["type"] == "websocket.send":
            refused += 1
            output = await ws.receive_output(timeout=5)
            assert output["code"] == CloseCode.TOO_MANY_CONNECTIONS
        else:
            assert output["code"] == CloseCode.UNAUTHENTICATED
        await ws.disconnect()
    assert refused == 5
    ws, _ = await open_socket(user, ip="198.51.100.2")
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    await ws.disconnect()


async def test_a_handshake_flood_by_one_user_is_refused_from_any_address(settings):
    settings.HEARTH_WS_HANDSHAKES_PER_USER = 5
    staff = await sync_to_async(StaffFactory)()
    for i in range(5):
        ws, _ = await open_socket(staff, path="/ws/v1/staff/", ip=f"203.0.113.{i}")
        assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
        await ws.disconnect()
    ws, _ = await open_socket(staff, path="/ws/v1/staff/", ip="203.0.113.99")
    assert (await refused_with(ws, CloseCode.TOO_MANY_CONNECTIONS))["code"] == "too_many_connections"


async def test_limits_fail_open_when_the_cache_is_unreachable(settings):
    """During a Redis outage people must still reach help: sockets are admitted."""
    from tests.hardening.conftest import dead_port

    settings.HEARTH_WS_SOCKETS_PER_USER = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port()}/0",
        }
    }
    user = await sync_to_async(SeekerFactory)()
    held = []
    try:
        for _ in range(3):
            ws, _ = await open_socket(user, ip="10.9.9.9")
            assert (await ws.receive_json_from(timeout=10))["type"] == "hello"
            held.append(ws)
    finally:
        await _close_all(held)
