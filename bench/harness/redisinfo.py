"""Redis side measurements (CPU, version) and key cleanup, all bounded."""

from __future__ import annotations

import redis.asyncio as aioredis


async def _client(url: str):
    return aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


async def cpu_seconds(url: str) -> float | None:
    """Redis server user+sys CPU seconds (all its threads), None if unreachable."""
    try:
        r = await _client(url)
        try:
            info = await r.info("cpu")
        finally:
            await r.aclose()
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    except Exception:
        return None


async def version(url: str) -> str | None:
    try:
        r = await _client(url)
        try:
            return (await r.info("server")).get("redis_version")
        finally:
            await r.aclose()
    except Exception:
        return None


async def delete_prefix(url: str, prefix: str, max_keys: int = 1_000_000) -> int:
    """Delete keys starting with ``prefix`` (at most ``max_keys``)."""
    deleted = 0
    r = await _client(url)
    try:
        batch = []
        async for key in r.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await r.unlink(*batch)
                batch = []
            if deleted + len(batch) >= max_keys:
                break
        if batch:
            deleted += await r.unlink(*batch)
    finally:
        await r.aclose()
    return deleted
