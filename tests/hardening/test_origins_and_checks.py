"""Socket origins and the deploy check for unsafe production settings."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from support.checks import production_safety
from tests.factories import SeekerFactory
from tests.hardening.helpers import open_socket

pytestmark = [pytest.mark.security]


def _app(monkeypatch, origins: str | None):
    """The production websocket stack (origin check, auth, routes) built with these settings."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from support.origins import origin_validator
    from support.routing import websocket_urlpatterns

    if origins is None:
        monkeypatch.delenv("WS_ALLOWED_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("WS_ALLOWED_ORIGINS", origins)
    return origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


CONFIGURED = "https://hearth.example"
ORIGIN_CASES = [
    (b"https://hearth.example", True),
    (b"https://evil.example", False),
    (b"http://hearth.example", False),  # scheme differs
    (b"https://hearth.example.evil.example", False),
    (b"https://evilhearth.example", False),
    (b"https://hearth.example:8443", False),  # port differs
    (b"https://hearth.example:443", True),  # the default port spelled out is the same origin
    (b"http://hearth.example:443", False),  # the right port under the wrong scheme
    (b"wss://hearth.example", False),  # not a page origin
    (b"https://hearth.example/path", False),
    (b"https://user@hearth.example", False),
    (b"null", False),  # sandboxed iframes, file:// pages
    (b"", False),  # no Origin header at all
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin,allowed", ORIGIN_CASES)
async def test_only_configured_origins_open_a_socket_even_when_allowed_hosts_is_broad(
    monkeypatch, settings, origin, allowed
):
    settings.ALLOWED_HOSTS = ["*"]
    app = _app(monkeypatch, CONFIGURED)
    user = await sync_to_async(SeekerFactory)()
    ws, accepted = await open_socket(user, origin=origin, app=app)
    try:
        assert accepted is allowed
        if allowed:
            assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    finally:
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin,host,allowed",
    [
        (b"http://127.0.0.1", b"127.0.0.1", True),
        (b"http://localhost:8000", b"localhost:8000", True),
        (b"http://localhost:8000", b"localhost:8001", False),  # same host, another port
        (b"http://localhost:9000", b"localhost", False),  # any port on an allowed host is not enough
        (b"https://localhost", b"localhost", False),  # a ws:// socket opened from an https page elsewhere
        (b"http://evil.example", b"evil.example", False),  # host not in ALLOWED_HOSTS
        (b"https://evil.example", b"127.0.0.1", False),
    ],
)
async def test_without_an_origin_list_only_the_sites_own_origin_opens_a_socket(
    monkeypatch, settings, origin, host, allowed
):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    app = _app(monkeypatch, None)
    user = await sync_to_async(SeekerFactory)()
    ws, accepted = await open_socket(user, origin=origin, host=host, app=app)
    await ws.disconnect()
    assert accepted is allowed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("forwarded,allowed", [(b"https", True), (b"http", False)])
async def test_behind_a_tls_proxy_the_forwarded_scheme_decides_when_trusted(monkeypatch, settings, forwarded, allowed):
    settings.ALLOWED_HOSTS = ["hearth.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    app = _app(monkeypatch, None)
    user = await sync_to_async(SeekerFactory)()
    from channels.testing import WebsocketCommunicator

    from tests.ws import cookie_for

    headers = [
        (b"origin", b"https://hearth.example"),
        (b"host", b"hearth.example"),
        (b"x-forwarded-proto", forwarded),
        (b"cookie", await cookie_for(user)),
    ]
    ws = WebsocketCommunicator(app, "/ws/v1/chat/", headers=headers)
    accepted, _ = await ws.connect(timeout=5)
    await ws.disconnect()
    assert accepted is allowed


SAFE = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["hearth.example"],
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {}}},
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "hearth"}},
    "SAFETY_ALERT_EMAILS": ["oncall@hearth.example"],
    "HEARTH_PUBLIC_URL": "https://hearth.example",
    "CLIENT_IP_HEADER": "X-Real-IP",
    "TRUSTED_PROXIES": ["127.0.0.1"],
}


@pytest.mark.parametrize(
    "unsafe,error_id",
    [
        ({"DEBUG": True}, "hearth.E001"),
        ({"ALLOWED_HOSTS": ["hearth.example", "*"]}, "hearth.E002"),
        ({"CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}}, "hearth.E003"),
        ({"CHANNEL_LAYERS": {"default": {"BACKEND": "support.layers.InMemoryChannelLayer"}}}, "hearth.E003"),
        ({"SESSION_COOKIE_SECURE": False}, "hearth.E004"),
        ({"CSRF_COOKIE_SECURE": False}, "hearth.E004"),
        ({"SESSION_COOKIE_HTTPONLY": False}, "hearth.E005"),
        ({"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}}, "hearth.E006"),
        ({"HEARTH_PUBLIC_URL": ""}, "hearth.W001"),  # alert e-mails would carry links no mail client can open
        ({"CLIENT_IP_HEADER": "", "TRUSTED_PROXIES": []}, "hearth.W002"),  # per-IP limits would count the proxy
        ({"CLIENT_IP_HEADER": "", "TRUSTED_PROXIES": ["127.0.0.1"]}, "hearth.W002"),
        ({"TRUSTED_PROXIES": []}, "hearth.W003"),  # the header would be ignored
    ],
)
def test_the_deploy_check_refuses_each_unsafe_production_setting(monkeypatch, unsafe, error_id):
    from types import SimpleNamespace

    import support.checks

    # The check reads only these settings; a stand-in avoids overriding DATABASES under a live test database.
    monkeypatch.setattr(support.checks, "settings", SimpleNamespace(**SAFE))
    assert production_safety(None) == []
    monkeypatch.setattr(support.checks, "settings", SimpleNamespace(**{**SAFE, **unsafe}))
    assert [error.id for error in production_safety(None)] == [error_id]
