"""``/healthz``: 200 only when the database and the channel layer both work."""

from __future__ import annotations

import asyncio
import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger("hearth.health")
LAYER_TIMEOUT_SECONDS = 2.0


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        logger.warning("health: database check failed", exc_info=True)
        return False


async def _layer_ok() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    token = uuid.uuid4().hex
    try:
        channel = await asyncio.wait_for(layer.new_channel("health."), LAYER_TIMEOUT_SECONDS)
        await asyncio.wait_for(layer.send(channel, {"type": "health.ping", "token": token}), LAYER_TIMEOUT_SECONDS)
        message = await asyncio.wait_for(layer.receive(channel), LAYER_TIMEOUT_SECONDS)
        return message.get("token") == token
    except Exception:
        logger.warning("health: channel layer check failed", exc_info=True)
        return False


async def healthz(request):
    database = await sync_to_async(_database_ok, thread_sensitive=True)()
    layer = await _layer_ok()
    checks = {"database": "ok" if database else "failed", "channel_layer": "ok" if layer else "failed"}
    healthy = database and layer
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
