"""The shared cache on Redis: django-redis, with the rate limits' counter in one round trip.

Django builds a cache backend per async context, and every socket's consumer
is a task with a context of its own. Django's own ``RedisCache`` gives each
backend object its own connection pool, so every socket would open (and
keep) a Redis connection on its first rate-limit check. django-redis keeps
one pool per server for the whole process, shared by every backend object.
"""

from __future__ import annotations

from django_redis.cache import RedisCache as DjangoRedisCache


class RedisCache(DjangoRedisCache):
    def count_in_window(self, key: str, window: int) -> int:
        """Add one to a fixed-window counter that expires after ``window`` + 1 s; return the new count.

        One round trip (SET NX EX + INCR, pipelined) instead of the three of
        ``add`` then ``incr``: rate limits run on every chat message. The
        counter stays a plain integer, which ``get`` reads back as one.
        """
        full_key = self.client.make_key(key)
        pipeline = self.client.get_client(write=True).pipeline(transaction=False)
        pipeline.set(full_key, 0, ex=window + 1, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
