"""Django's Redis cache with one connection pool per process instead of one per backend object.

Django keeps cache backends per async context, and every socket's consumer is
a task with a context of its own: each socket built its own backend, pool and
TCP connection to Redis on its first rate-limit check (the handshake's
flood limit), and kept it open for its life — 5,000 idle sockets, 5,000
Redis connections. Pools here are shared by every backend object of the
process with the same server and options (redis-py pools are thread-safe).
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_pools: dict[tuple, object] = {}
_pools_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        return self._pool_for_index(self._get_connection_pool_index(write))

    def get_client(self, key=None, *, write=False):
        """One ``redis.Redis`` per server for this backend object, not one per call: building it
        (and its pool key) costs more than the rate-limit check it serves, which runs on every chat message.
        Redis clients are thread-safe; each command takes a connection from the shared pool."""
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_hearth_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._pool_for_index(index))
        return client

    def _pool_for_index(self, index):
        server = self._servers[index]
        key = (server, self._pool_class, tuple(sorted((name, repr(value)) for name, value in self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient

    def count_in_window(self, key: str, window: int) -> int:
        """Add one to a fixed-window counter that expires after ``window`` + 1 s; return the new count.

        One round trip (SET NX EX + INCR, pipelined) instead of the three of
        ``add`` then ``incr`` (which checks EXISTS first): rate limits run on
        every chat message. The counter stays a plain integer, which ``get``
        reads back as one.
        """
        full_key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipeline.set(full_key, 0, ex=window + 1, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
