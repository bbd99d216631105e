"""Device bans for anonymous seekers.

On anonymous start the browser gets a signed cookie holding a random device
id (no personal data; nothing derived from the person, IP or browser). Only
its SHA-256 hash is stored: linked to the accounts it started, and in a
``DeviceBan`` when one of them is banned, so a banned seeker cannot simply
start a fresh anonymous session. Clearing cookies defeats it; this is a
speed bump, not identification.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from safety.models import DeviceBan, DeviceLink
from support.errors import DomainError

DEVICE_COOKIE = "hearth_device"
DEVICE_SALT = "hearth.device"
BANNED_MESSAGE = (
    "We can't start a new chat from this browser right now, because of an earlier decision by the Hearth safety team. "
    "If you're in danger or need to talk to someone now, the services below are there for you."
)


def device_hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def device_id_from(request) -> str | None:
    """The device id from a valid signed cookie, or None (absent or tampered)."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if not isinstance(value, str) or not 16 <= len(value) <= 64:
        return None
    return value


def device_ban_check(request, *, now=None) -> None:
    """Raise ``banned`` (403) when this browser's device id is under an active ban."""
    device_id = device_id_from(request)
    if device_id is None:
        return
    now = now or timezone.now()
    banned = DeviceBan.objects.filter(device_hash=device_hash(device_id)).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if banned.exists():
        from support.helplines import helplines_for

        raise DomainError("banned", BANNED_MESSAGE, status=403, helplines=helplines_for(None))


def device_cookie_set(request, response, *, user) -> None:
    """Keep (or mint) the browser's device id cookie and link its hash to ``user``."""
    device_id = device_id_from(request) or secrets.token_urlsafe(24)
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device_id,
        salt=DEVICE_SALT,
        max_age=settings.SAFETY_DEVICE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    DeviceLink.objects.get_or_create(user=user, device_hash=device_hash(device_id))
