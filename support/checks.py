"""System checks that refuse unsafe production settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


def _is_in_memory_layer(backend: str) -> bool:
    from channels.layers import InMemoryChannelLayer

    try:
        layer_class = import_string(backend)
    except ImportError:
        return False
    return isinstance(layer_class, type) and issubclass(layer_class, InMemoryChannelLayer)


@register(Tags.security, deploy=True)
def production_safety(app_configs, **kwargs):
    errors = []
    if settings.DEBUG:
        errors.append(Error("DEBUG is on in a deployment.", hint="Set DEBUG=0.", id="hearth.E001"))
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS contains '*'.", hint="List the real host names.", id="hearth.E002"))
    if _is_in_memory_layer(settings.CHANNEL_LAYERS["default"]["BACKEND"]):
        errors.append(
            Error(
                "The in-memory channel layer cannot span several Daphne processes.",
                hint="Set REDIS_URL.",
                id="hearth.E003",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        errors.append(Error("Session and CSRF cookies must be Secure.", id="hearth.E004"))
    if not settings.SESSION_COOKIE_HTTPONLY:
        errors.append(Error("Session cookies must be HttpOnly.", id="hearth.E005"))
    if settings.SAFETY_ALERT_EMAILS and not settings.HEARTH_PUBLIC_URL:
        errors.append(
            Warning(
                "Safety alert e-mails will carry links without a host, which mail clients cannot open.",
                hint="Set HEARTH_PUBLIC_URL to the address people use, e.g. https://hearth.example.org.",
                id="hearth.W001",
            )
        )
    errors.extend(_client_address_checks())
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(Error("SQLite is for the embedded default only.", hint="Set DATABASE_URL.", id="hearth.E006"))
    return errors


#: Bytes one character can take in a frame: an astral character is sent as two ``\uXXXX`` escapes.
_MAX_BYTES_PER_CHARACTER = 12
#: The rest of the largest frame that carries one message (room.hello's room, members and alternatives).
_ONE_MESSAGE_ENVELOPE_BYTES = 8 * 1024


@register()
def frame_limits(app_configs, **kwargs):
    """The server's frame limit must hold a reply carrying one message of the longest length allowed.

    Replies are paged by size (support.paging), but a page holds at least one message: a
    limit below that would make the server fail on sending it instead of paging.
    """
    needed = settings.CHAT_MAX_MESSAGE_CHARS * _MAX_BYTES_PER_CHARACTER + _ONE_MESSAGE_ENVELOPE_BYTES
    if settings.HEARTH_WS_SERVER_MAX_BYTES < needed:
        return [
            Error(
                f"HEARTH_WS_SERVER_MAX_BYTES ({settings.HEARTH_WS_SERVER_MAX_BYTES}) cannot carry one message of "
                f"CHAT_MAX_MESSAGE_CHARS ({settings.CHAT_MAX_MESSAGE_CHARS}) characters.",
                hint=f"Set HEARTH_WS_SERVER_MAX_BYTES to at least {needed}, or lower CHAT_MAX_MESSAGE_CHARS.",
                id="hearth.E010",
            )
        ]
    return []


def _client_address_checks() -> list:
    """Per-IP limits behind a proxy need both the header and the proxy's address (support/client_ip.py)."""
    if settings.DEBUG:
        return []
    header, proxies = settings.CLIENT_IP_HEADER, settings.TRUSTED_PROXIES
    if header and proxies:
        return []
    if header and not proxies:
        return [
            Warning(
                f"CLIENT_IP_HEADER ({header}) is ignored because TRUSTED_PROXIES is empty.",
                hint="Set TRUSTED_PROXIES to your proxy's addresses (e.g. 127.0.0.1), or every client "
                "behind the proxy shares its per-IP limits.",
                id="hearth.W003",
            )
        ]
    return [
        Warning(
            "Per-IP limits count the connection's peer: behind a proxy every client shares the proxy's limits.",
            hint="Behind a proxy set CLIENT_IP_HEADER=X-Real-IP and TRUSTED_PROXIES to the proxy's addresses "
            "(docs/nginx.conf). Without a proxy this warning can be silenced (SILENCED_SYSTEM_CHECKS).",
            id="hearth.W002",
        )
    ]
