"""The Redis cache shares one connection pool per process across async contexts."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from django.conf import settings

from support.cache import RedisCache


def _backend_in_a_fresh_context(location: str):
    return contextvars.copy_context().run(lambda: RedisCache(location, {}))


def _pool(backend):
    # Builds the client and its pool; no connection is opened until a command runs.
    return backend.client.get_client(write=True).connection_pool


def test_backends_built_in_different_contexts_share_one_pool():
    # As run_service does: each call runs in a copy of the caller's context and builds its own backend.
    first = _backend_in_a_fresh_context("redis://127.0.0.1:6399/0")
    second = _backend_in_a_fresh_context("redis://127.0.0.1:6399/0")
    assert first is not second
    assert _pool(first) is _pool(second)


def test_different_servers_get_different_pools():
    assert _pool(RedisCache("redis://127.0.0.1:6399/1", {})) is not _pool(RedisCache("redis://127.0.0.1:6399/0", {}))


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the PostgreSQL + Redis run)")
async def test_sockets_rate_limited_in_turn_do_not_open_a_redis_connection_each(settings, monkeypatch):
    import redis

    from support import ratelimit
    from support.events import run_service

    connects = []
    real_connect = redis.connection.Connection._connect  # opens the socket (connect() is a no-op when open)

    def counting_connect(self, *args, **kwargs):
        connects.append(self)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "_connect", counting_connect)

    def one_hit():
        return ratelimit.hit("pool-test", "u", limit=1000, window=60).allowed

    # Every socket's consumer is a task with a context of its own, where Django keeps its own
    # cache backend: with Django's backend each of them opened a connection (and kept it).
    for _ in range(30):
        assert await asyncio.create_task(run_service(one_hit))
    assert len(connects) <= 6, f"{len(connects)} Redis connections for 30 sockets"
