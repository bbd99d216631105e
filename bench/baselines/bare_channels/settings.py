"""Minimal Django settings for the bare Channels baseline.

Environment:
  BENCH_LAYER     memory | redis | redis-pubsub   (default: memory)
  REDIS_URL       default redis://127.0.0.1:6379/0
  BENCH_CAPACITY  per-channel capacity (memory + redis core), default 10000
  BENCH_PREFIX    Redis key/channel prefix, unique per run so stale group
                  members from earlier runs are never delivered to
  BENCH_REDIS_MAX_CONNECTIONS  redis-py pool cap, default 2000
"""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
ROOT_URLCONF = None
ASGI_APPLICATION = "bench.baselines.bare_channels.asgi.application"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    # WARNING keeps channels_redis' "over capacity" messages visible in the
    # server log without an INFO line per message.
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}

LAYER = os.environ.get("BENCH_LAYER", "memory")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "10000"))
PREFIX = os.environ.get("BENCH_PREFIX", "bench")
# channels_redis passes every key of a host dict except "address" straight to
# redis.asyncio.ConnectionPool.from_url(address, **rest); redis-py 8 defaults
# max_connections to 100 and raises MaxConnectionsError beyond it.
REDIS_HOST = {
    "address": REDIS_URL,
    "max_connections": int(os.environ.get("BENCH_REDIS_MAX_CONNECTIONS", "2000")),
}

if LAYER == "memory":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CAPACITY},
        }
    }
elif LAYER == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_HOST], "capacity": CAPACITY, "prefix": PREFIX},
        }
    }
elif LAYER == "redis-pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_HOST], "prefix": PREFIX},
        }
    }
else:
    raise ValueError(f"BENCH_LAYER must be memory, redis or redis-pubsub, not {LAYER!r}")
