"""The framework baselines: raw ASGI and bare Channels on each channel layer."""

from __future__ import annotations

import os

from bench.harness.target import ChatMessage, ServerSpec, Target, daphne_argv

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "10000"))
REDIS_MAX_CONNECTIONS = int(os.environ.get("BENCH_REDIS_MAX_CONNECTIONS", "2000"))


class CompactCodec:
    """``sender:seq:sched_ns:`` padded with 'x' to the requested size."""

    def encode(self, msg: ChatMessage, size: int) -> str:
        head = f"{msg.sender}:{msg.seq}:{msg.sched_ns}:"
        return head + "x" * max(0, size - len(head))

    def decode(self, text: str) -> ChatMessage | None:
        parts = text.split(":", 3)
        if len(parts) != 4:
            return None
        try:
            return ChatMessage(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None


class _RoomPaths(CompactCodec, Target):
    def probe_url(self, port: int) -> str:
        return f"ws://127.0.0.1:{port}/ws/echo/"

    def socket_url(self, port: int, room: str, member: int) -> str:
        return f"ws://127.0.0.1:{port}/ws/room/{room}/"


class RawAsgi(_RoomPaths):
    name, family, layer = "raw", "raw", "inproc"

    def server(self, port: int, run_id: str) -> ServerSpec:
        return ServerSpec(daphne_argv("bench.baselines.raw_asgi:app", port))


class BareChannels(_RoomPaths):
    family = "channels"

    def __init__(self, layer: str) -> None:
        self.layer = layer
        self.name = f"channels-{layer}"
        self.multi_process = layer != "memory"

    def _prefix(self, run_id: str) -> str:
        return f"bench{run_id}"

    def server(self, port: int, run_id: str) -> ServerSpec:
        return ServerSpec(
            daphne_argv("bench.baselines.bare_channels.asgi:application", port),
            {
                "BENCH_LAYER": self.layer,
                "REDIS_URL": REDIS_URL,
                "BENCH_CAPACITY": str(CAPACITY),
                "BENCH_PREFIX": self._prefix(run_id),
                "BENCH_REDIS_MAX_CONNECTIONS": str(REDIS_MAX_CONNECTIONS),
            },
        )

    async def cleanup(self, run_id: str) -> None:
        if self.layer == "memory":
            return
        from bench.harness.redisinfo import delete_prefix

        await delete_prefix(REDIS_URL, self._prefix(run_id))

    def describe(self) -> dict:
        out = super().describe()
        if self.layer == "memory":
            out["config"] = {"backend": "channels.layers.InMemoryChannelLayer", "capacity": CAPACITY}
        elif self.layer == "redis":
            out["config"] = {
                "backend": "channels_redis.core.RedisChannelLayer",
                "capacity": CAPACITY,
                "max_connections": REDIS_MAX_CONNECTIONS,
                "redis_url": REDIS_URL,
            }
        else:
            out["config"] = {
                "backend": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "max_connections": REDIS_MAX_CONNECTIONS,
                "redis_url": REDIS_URL,
            }
        return out
