from __future__ import annotations

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


async def test_health_is_200_when_database_and_layer_work():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}}


async def test_health_is_503_naming_the_layer_when_redis_is_unreachable(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "channel_layer": "failed"}


async def test_health_is_503_naming_the_database_when_it_fails(monkeypatch):
    from support import health

    monkeypatch.setattr(health, "_database_ok", lambda: False)
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"


async def test_health_with_real_redis(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200


def _core_layer_config(redis_url: str, capacity: int) -> dict:
    """The channel layer Hearth's settings build for ``CHANNEL_LAYER_KIND=core`` (read in a subprocess)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','support.settings'); django.setup();"
        "from django.conf import settings as s; print(json.dumps(s.CHANNEL_LAYERS['default']))"
    )
    keep = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env = {**keep, "REDIS_URL": redis_url, "CHANNEL_LAYER_KIND": "core", "CHANNEL_LAYER_CAPACITY": str(capacity)}
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return json.loads(output.splitlines()[-1])


async def test_a_ping_left_by_a_timed_out_check_does_not_fail_the_next_on_a_small_capacity(settings, redis_url):
    """A check whose answer timed out leaves its ping in the process's shared list until the key
    expires (60 s); with a capacity of 1 for conversation traffic, the next checks must still pass."""
    import uuid

    from channels.layers import get_channel_layer

    layer_settings = _core_layer_config(redis_url, capacity=1)
    layer_settings["CONFIG"]["prefix"] = f"health-test-{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {"default": layer_settings}
    layer = get_channel_layer()
    stale = await layer.new_channel("health.")
    await layer.send(stale, {"type": "health.ping", "token": "never read"})

    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200, response.json()
