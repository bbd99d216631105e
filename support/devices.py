"""The browser's device id, and the safety policy that anonymous starts from a browser go through.

On anonymous start the browser gets a signed cookie holding a random device id
(no personal data; nothing derived from the person, IP or browser). Only its
SHA-256 hash is used: to count new anonymous sessions per browser
(``support.services.seeker_create_anonymous``) and, through the registered ``DevicePolicy``, to refuse
a browser under a ban and link the accounts it started. Clearing cookies
defeats it; this is a speed bump, not identification.

support sits below safety, which owns bans: safety registers its policy in
``SafetyConfig.ready()``. There is no default: without a policy, anonymous
starts raise and ``manage.py check`` fails, rather than let a banned seeker
straight back in.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

from django.conf import settings

from support.hooks import RequiredHook

DEVICE_COOKIE = "hearth_device"
DEVICE_SALT = "hearth.device"
NO_POLICY = (
    "No device policy is registered: banned browsers could start anonymous sessions (safety's ready() registers it)."
)


def device_hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def device_id_from(request) -> str | None:
    """The device id from a valid signed cookie, or None (absent or tampered)."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if not isinstance(value, str) or not 16 <= len(value) <= 64:
        return None
    return value


def device_cookie_keep(request, response) -> str:
    """Keep (or mint) the browser's device id cookie; returns the device id."""
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
    return device_id


class DevicePolicy(Protocol):
    def refuse_if_banned(self, device_hash: str) -> None:
        """Raise a ``DomainError`` (``banned``, 403) when the browser is under an active ban."""

    def link(self, *, user, device_hash: str) -> None:
        """Record that ``user`` was started from this browser (so a ban of ``user`` bans the browser)."""


DEVICE_POLICY: RequiredHook[DevicePolicy] = RequiredHook(
    what="device policy", missing=NO_POLICY, check_id="support.E001", hint="Keep 'safety' in INSTALLED_APPS."
)
#: Install the policy anonymous starts go through (safety's ``ready()``).
device_policy_register = DEVICE_POLICY.install
#: The installed policy; raises ``ImproperlyConfigured`` rather than skip the ban check.
device_policy = DEVICE_POLICY.get


def device_ban_check(request) -> None:
    """Refuse an anonymous start from a browser under a ban (no device cookie: nothing to check).
    Without a registered policy it raises before anything is written, cookie or not."""
    policy = device_policy()
    device_id = device_id_from(request)
    if device_id is not None:
        policy.refuse_if_banned(device_hash(device_id))


def device_cookie_set(request, response, *, user) -> None:
    """Keep (or mint) the browser's device id cookie and link its hash to ``user`` through the policy."""
    device_policy().link(user=user, device_hash=device_hash(device_cookie_keep(request, response)))
