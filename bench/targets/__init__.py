"""Registry of benchmark targets, by CLI name.

Add a system under test with one line here (a zero-argument factory), or pass
``--targets some.module:factory`` on the command line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.harness.target import Target
from bench.targets.baselines import BareChannels, RawAsgi
from bench.targets.hearth import Hearth

REGISTRY: dict[str, Callable[[], Target]] = {
    "raw": RawAsgi,
    "channels-memory": lambda: BareChannels("memory"),
    "channels-redis": lambda: BareChannels("redis"),
    "channels-redis-pubsub": lambda: BareChannels("redis-pubsub"),
    "hearth-memory": lambda: Hearth("memory"),  # SQLite + in-memory layer (embedded default)
    "hearth-redis-pubsub": lambda: Hearth("redis-pubsub"),  # PostgreSQL + channels-redis pub/sub (default kind)
    "hearth-redis": lambda: Hearth("redis"),  # PostgreSQL + channels-redis core
}

BASELINES = ["raw", "channels-memory", "channels-redis", "channels-redis-pubsub"]
HEARTH = ["hearth-memory", "hearth-redis-pubsub", "hearth-redis"]


def resolve(name: str) -> Target:
    if name in REGISTRY:
        return REGISTRY[name]()
    if ":" in name:
        module, attr = name.split(":", 1)
        return getattr(importlib.import_module(module), attr)()
    raise KeyError(f"unknown target {name!r}; known: {', '.join(REGISTRY)}")
