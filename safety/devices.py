"""Device bans for anonymous seekers: safety's ``support.devices.DevicePolicy``.

A browser's device id hash (``support.devices``) is linked to the accounts it
started, and put in a ``DeviceBan`` when one of them is banned
(``safety.sanctions``), so a banned seeker cannot simply start a fresh
anonymous session.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from safety.models import DeviceBan, DeviceLink
from support.errors import DomainError
from support.helplines import helplines_for

BANNED_MESSAGE = (
    "We can't start a new chat from this browser right now, because of an earlier decision by the Hearth safety team. "
    "If you're in danger or need to talk to someone now, the services below are there for you."
)


class DeviceBans:
    """Registered with ``support.devices.device_policy_register`` in ``SafetyConfig.ready()``."""

    def refuse_if_banned(self, device_hash: str, *, now=None) -> None:
        now = now or timezone.now()
        banned = DeviceBan.objects.filter(device_hash=device_hash).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
        if banned.exists():
            raise DomainError("banned", BANNED_MESSAGE, status=403, helplines=helplines_for(None))

    def link(self, *, user, device_hash: str) -> None:
        DeviceLink.objects.get_or_create(user=user, device_hash=device_hash)


DEVICE_BANS = DeviceBans()
