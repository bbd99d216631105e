"""Where the Hearth target keeps its template databases between bench runs.

Building them (migrate, then seeding pairs and a room through the matching
services) is untimed set-up that took 6 s on SQLite and 12 s on PostgreSQL of
every quick run. A template is reused only while everything that could change
what it holds is unchanged: the key hashes the content of every Python,
TOML and JSON file of the apps (models, migrations, the services the seed
calls), the seed script, the pool sizes and the server settings it was built
with. Set ``BENCH_TEMPLATE_CACHE=0`` to build them afresh.

A template only gets its final name once fully built (SQLite: ``os.replace``;
PostgreSQL: ``ALTER DATABASE … RENAME``), so an interrupted build is never
reused. Templates of other keys are removed when a new one is built.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

APPS = ("chat", "listeners", "rooms", "safety", "support")
SEED_SCRIPT = Path("bench") / "targets" / "hearth_setup.py"
PG_PREFIX = "hearth_bench_tpl_"


def enabled() -> bool:
    return os.environ.get("BENCH_TEMPLATE_CACHE", "1") != "0"


def key(repo_root: Path, *, pool: dict, env: dict[str, str]) -> str:
    """A short hash of what a template's content depends on."""
    digest = hashlib.sha256()
    files = [repo_root / SEED_SCRIPT]
    for app in APPS:
        files.extend(sorted(p for p in (repo_root / app).rglob("*") if p.suffix in {".py", ".toml", ".json"}))
    for path in files:
        digest.update(str(path.relative_to(repo_root)).encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps({"pool": pool, "env": env}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def sqlite_path(work_dir: Path, cache_key: str, kind: str) -> Path:
    return work_dir / "templates" / f"template-{cache_key}-{kind}.sqlite3"


def pg_name(cache_key: str, kind: str) -> str:
    return f"{PG_PREFIX}{cache_key}_{kind}"


def pool_path(work_dir: Path, store: str, cache_key: str) -> Path:
    """The seed script's output (who the seeded users are) kept beside the seeded template."""
    return work_dir / "templates" / f"{store}-{cache_key}-seeded.json"


def stale_sqlite(work_dir: Path, cache_key: str) -> list[Path]:
    """Kept SQLite templates and seed outputs of other keys (PostgreSQL's seed outputs are left alone)."""
    folder = work_dir / "templates"
    if not folder.exists():
        return []
    return [
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(("template-", "sqlite-")) and f"-{cache_key}-" not in p.name
    ]


def stale_pg(names: list[str], cache_key: str) -> list[str]:
    """Cached PostgreSQL templates of other keys (not per-run copies, not this key's)."""
    ours = (pg_name(cache_key, "blank"), pg_name(cache_key, "seeded"))
    return [
        n
        for n in names
        if n.startswith(PG_PREFIX)
        and n.endswith(("_blank", "_seeded"))
        and n not in ours
        and len(n) == len(PG_PREFIX) + 16 + len(n.rsplit("_", 1)[1]) + 1
    ]
