"""Socket presence rows (see ``support.models.Connection``)."""

from __future__ import annotations

from django.utils import timezone

from support.models import Connection


def connection_open(*, user_id: int, channel_name: str) -> None:
    Connection.objects.update_or_create(
        channel_name=channel_name, defaults={"user_id": user_id, "last_seen_at": timezone.now()}
    )


def connection_heartbeat(*, channel_name: str) -> None:
    Connection.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def connection_close(*, channel_name: str) -> None:
    Connection.objects.filter(channel_name=channel_name).delete()
