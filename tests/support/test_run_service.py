"""``run_service``: the socket path's way into the database.

On PostgreSQL services run on a pool of worker threads (``HEARTH_DB_PARALLEL``).
Each call must give its pooled connection back when it returns: Channels'
own clean-up runs outside the context the service ran in and missed it, so
every executor thread kept one checked out, and when threads ended with their
event loop (every async test) the pool ran dry after ``max_size`` of them —
the whole socket suite on PostgreSQL is the end-to-end guard for that.
"""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection

from support.events import run_service, send_event_on_commit
from support.models import Topic

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="connection pooling and parallel services exist only on PostgreSQL"
)


def count_topics() -> int:
    return Topic.objects.count()


def checked_out(pool) -> int:
    stats = pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


@postgres_only
async def test_parallel_services_return_their_pooled_connections(settings):
    settings.HEARTH_DB_PARALLEL = True
    pool = connection.pool
    before = checked_out(pool)
    # Each call from a task of its own, as every socket's consumer is one.
    for call in range(pool.max_size + 1):
        await asyncio.create_task(run_service(count_topics))
        assert checked_out(pool) == before, f"call {call} kept a pooled connection"


@postgres_only
async def test_parallel_services_that_fail_return_their_connections_too(settings):
    settings.HEARTH_DB_PARALLEL = True
    pool = connection.pool
    before = checked_out(pool)

    def failing():
        Topic.objects.count()
        raise ValueError("domain error after a query")

    for call in range(pool.max_size + 1):
        with pytest.raises(ValueError):
            await asyncio.create_task(run_service(failing))
        assert checked_out(pool) == before, f"call {call} kept a pooled connection"


async def test_events_are_published_only_after_the_service_commits(settings):
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("run-service-test", channel)

    def writes_and_announces():
        from django.db import transaction

        with transaction.atomic():
            topic = Topic.objects.create(slug="evening", name="Evening")
            send_event_on_commit("run-service-test", {"type": "topic.created", "slug": topic.slug})
        return topic.pk

    def rolls_back():
        from django.db import transaction

        with transaction.atomic():
            Topic.objects.create(slug="never", name="Never")
            send_event_on_commit("run-service-test", {"type": "topic.created", "slug": "never"})
            raise ValueError("rolled back")

    with pytest.raises(ValueError):
        await run_service(rolls_back)
    pk = await run_service(writes_and_announces)
    event = await layer.receive(channel)
    assert event == {"type": "topic.created", "slug": "evening"}
    assert pk is not None


def test_service_threads_stay_below_the_connection_pool():
    from support.events import service_threads

    # A big host: asyncio's default would be 36 threads for 8 pooled connections.
    assert service_threads(pool_max=8, cpus=32) == 6  # minus Channels' database thread and the dispatch thread
    assert service_threads(pool_max=20, cpus=2) == 6  # 2 cores + 4, as asyncio would
    assert service_threads(pool_max=2, cpus=2) == 1
