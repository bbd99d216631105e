"""Shared fixtures.

Tests that need PostgreSQL or Redis ask for the ``postgres_url`` or
``redis_url`` fixtures: they skip with a reason when the service is not
reachable, and fail instead when ``REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

import copy
import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

TEST_POSTGRES_URL = os.environ.get("HEARTH_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("HEARTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, url: str) -> str:
    if _reachable(url):
        return url
    message = f"{name} is not reachable at {url}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and REQUIRE_SERVICES=1")
    pytest.skip(message)


def pytest_collection_modifyitems(config, items):
    """Transactional tests flush the database; restore the data migrations' rows after each.

    Topics, groups and other reference data come from data migrations, and a
    flush would leave later tests without them.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            item.add_marker(
                pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True), append=False
            )


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Close every PostgreSQL session on the test database before it is dropped.

    Pooled connections go back with ``close_pool``; but a worker thread of the
    service or dispatch executors can still hold one checked out in its own
    thread-local connection, which only that thread could close, and then
    dropping the database failed ("being accessed by other users") and left
    it behind on the server. Those threads are idle now: end their sessions.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        main = connections["default"]
        if main.vendor == "postgresql":
            with main.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        for connection in connections.all():
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture
def postgres_url() -> str:
    return require_service("PostgreSQL", TEST_POSTGRES_URL)


@pytest.fixture
def redis_url() -> str:
    return require_service("Redis", TEST_REDIS_URL)


@pytest.fixture(autouse=True)
def _isolated_cache_and_layer(settings):
    """Each test gets its own cache and channel-layer namespace.

    Rate-limit counters start from zero, and parallel workers sharing one
    Redis can neither flush each other's keys nor receive each other's group
    messages (their test databases hand out the same user ids).
    """
    namespace = f"t{uuid.uuid4().hex[:12]}"
    caches = copy.deepcopy(settings.CACHES)
    if "redis" in caches["default"]["BACKEND"].lower():
        caches["default"]["KEY_PREFIX"] = namespace
    else:
        caches["default"]["LOCATION"] = namespace
    settings.CACHES = caches
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "channels_redis" in layers["default"]["BACKEND"]:
        layers["default"].setdefault("CONFIG", {})["prefix"] = namespace
        settings.CHANNEL_LAYERS = layers
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_in_process_scheduler(settings):
    """Tests drive periodic jobs explicitly instead of racing a background loop."""
    settings.HEARTH_SCHEDULER_IN_PROCESS = False


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def csrf_client():
    from rest_framework.test import APIClient

    return APIClient(enforce_csrf_checks=True)
