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
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(Error("SQLite is for the embedded default only.", hint="Set DATABASE_URL.", id="hearth.E006"))
    return errors
