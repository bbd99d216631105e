"""Which page origins may open a websocket: scheme, host and port, all three.

``WS_ALLOWED_ORIGINS`` (comma-separated, like ``https://hearth.example``) when
set: the Origin must equal one of them. An entry without a scheme means
``https``; a missing port is the scheme's default (80 for http, 443 for
https), so ``https://hearth.example`` and ``https://hearth.example:443`` are
one origin and ``https://hearth.example:8443`` or ``http://hearth.example``
another. An explicit list keeps sockets safe even when ``ALLOWED_HOSTS`` has to
be broad behind a proxy.

Without it the socket must come from its own site: the Origin must equal the
scheme, host and port the socket was opened on (``Host`` header; ``https``
for a ``wss`` socket, or when ``X-Forwarded-Proto`` says so and
``TRUST_X_FORWARDED_PROTO`` is on), and that host must be in ``ALLOWED_HOSTS``.
A refused socket is closed before the handshake completes (HTTP 403).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port, validate_host

from support.env import env_list

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str, *, default_scheme: str | None = None) -> Origin | None:
    """(scheme, host, port) of an origin, the port defaulted by scheme; None when it is not one."""
    value = value.strip()
    if "://" not in value:
        if default_scheme is None:
            return None
        value = f"{default_scheme}://{value}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.username:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _own_origin(scope: dict) -> Origin | None:
    """The origin of the site this socket was opened on, when its host is an allowed one."""
    host_header = _header(scope, b"host")
    if not host_header:
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    proxy_ssl = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_ssl:
        name = proxy_ssl[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = _header(scope, name)
        if forwarded is not None:
            scheme = "https" if forwarded.split(",")[0].strip().lower() == proxy_ssl[1] else "http"
    domain, _ = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return parse_origin(f"{scheme}://{host_header}")


class OriginCheck:
    """ASGI middleware refusing websockets whose Origin is not allowed (see the module docstring)."""

    def __init__(self, application, allowed: frozenset[Origin] | None):
        self.application = application
        self.allowed = allowed

    def origin_allowed(self, scope: dict) -> bool:
        origin = parse_origin(_header(scope, b"origin") or "")
        if origin is None:
            return False
        if self.allowed is not None:
            return origin in self.allowed
        return origin == _own_origin(scope)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def origin_validator(app):
    entries = env_list("WS_ALLOWED_ORIGINS")
    if not entries:
        return OriginCheck(app, None)
    allowed = set()
    for entry in entries:
        origin = parse_origin(entry, default_scheme="https")
        if origin is None:
            raise ImproperlyConfigured(f"WS_ALLOWED_ORIGINS: {entry!r} is not an origin like https://hearth.example.")
        allowed.add(origin)
    return OriginCheck(app, frozenset(allowed))
