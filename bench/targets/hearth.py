"""The Hearth adapter: Hearth itself under Daphne, measured like the baselines.

Two deployments, each compared with the bare Channels row of the same layer:

| name                   | database   | channel layer                         | processes |
|------------------------|------------|---------------------------------------|-----------|
| ``hearth-memory``      | SQLite     | in-memory (the embedded default)      | 1         |
| ``hearth-redis-pubsub``| PostgreSQL | channels-redis pub/sub (the default)  | ``--procs``|
| ``hearth-redis``       | PostgreSQL | channels-redis core (``CHANNEL_LAYER_KIND=core``) | ``--procs`` |

Every server group gets a fresh database, cloned from a template built once
per bench process (SQLite: a file copy; PostgreSQL: ``CREATE DATABASE
hearth_bench_<run id> TEMPLATE hearth_bench_tpl_<pid>_<kind>``, dropped after
the run). Two templates: ``blank`` (migrated; the matching scenario starts
from it) and ``seeded`` (migrated, then ``hearth_setup seed``: the matched
pairs and the room every other scenario uses, sized by ``plan()`` from the
profile). Redis keys live under a unique ``REDIS_PREFIX`` and are deleted
afterwards.

Pairs (untimed): a listener (trained, active, logged-in session) and an adult
seeker (as ``POST /api/v1/session/anonymous`` makes them), created in bulk,
then matched through the services the socket frames call (``shift_start``,
``request_create``, ``requests_dispatch`` with auto-assign). Member ``2k`` is
the seeker and ``2k+1`` the listener of one conversation, so the harness's
"rooms of two" are Hearth conversations.

A room (``prepare_room``, the fan-out scenario): one adult room with a
moderator (a listener with ``RoomModerator``; its socket, opened by the
adapter, keeps the room open and is not a ledger member) and seekers whose
membership has the guideline acknowledged; member ``m`` is room member
``m`` on ``/ws/v1/rooms/<id>/``.

A chat message is a ``message.send`` (``room.message.send``) frame whose text
starts with ``hb:<sender>:<seq>:<sched_ns>:``; the receiver decodes
``message.created`` (``room.message.created``). ``message.ack`` frames (sent
after the message is persisted) give the ack latency, reported besides
one-way latency.
"""

from __future__ import annotations

import asyncio
import atexit
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

from bench.harness.latency import Latency
from bench.harness.pacing import now_ns
from bench.harness.target import ChatMessage, ServerSpec, Target, daphne_argv
from bench.targets import template_cache

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
WORK_DIR = Path(os.environ.get("BENCH_HEARTH_DIR", REPO_ROOT / "var" / "bench" / "hearth-tmp"))
ORIGIN = "http://127.0.0.1"
TOPIC = "anxiety"
# Benign, realistic words after the header, so the safety classifier and the
# personal-information masker do the work a real message costs them.
FILLER = (
    " I finally talked to my sister about how the new job is going and it felt good to be heard"
    " even though the week was long and the trains were late again every single morning"
)

#: How prepare() pairs members. The default calls, in a setup process, the
#: services the socket frames call (shift_start, request_create,
#: requests_dispatch with auto-assign): 250 pairs over sockets take minutes on
#: a loaded 2-core machine, which quick mode cannot afford. The matching
#: scenario (S3) always goes through the socket protocol.
MATCH_OVER_SOCKETS = os.environ.get("BENCH_HEARTH_MATCH", "orm") == "sockets"

#: Server settings for every Hearth bench server, recorded in the results.
#: Production-like (DEBUG off: no query log kept in memory), with the limits
#: that would refuse a load test raised.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "support.settings",
    "DEBUG": "0",
    "SECRET_KEY": "hearth-bench-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "WARNING",
    # Load generators send far faster than a person: 15 msgs/10 s per user would refuse them.
    "CHAT_RATE_MESSAGES": "1000000",
    # Every seeker comes from 127.0.0.1.
    "HEARTH_ANON_SESSIONS_PER_IP": "1000000",
    "HEARTH_WS_HANDSHAKES_PER_IP": "1000000",
    "HEARTH_WS_SOCKETS_PER_IP": "1000000",
    "CHAT_REQUESTS_PER_ADDRESS": "1000000",
    "CHAT_REQUESTS_PER_SEEKER": "1000000",
    "HEARTH_WS_SYNC_PER_SOCKET": "1000000",
    # The load generator's Origin (scheme, host and port are compared).
    "WS_ALLOWED_ORIGINS": ORIGIN,
    "LISTENERS_DAILY_CHAT_CAP": "100000",
    "MATCHING_AUTO_ASSIGN": "1",
    # Pairs are matched once per bench process in the seeded template, minutes
    # before a scenario connects their listeners: with the default 60 s grace
    # the presence sweep would end those shifts and requeue every chat.
    "MATCHING_LISTENER_GRACE_SECONDS": "86400",
    # A --full run lasts about an hour: the template's chats would be warned
    # (15 min) and ended (20 min) for inactivity before the later scenarios.
    "CHAT_INACTIVITY_WARN_SECONDS": "86400",
    "CHAT_INACTIVITY_END_SECONDS": "90000",
}


def _extra_env() -> dict[str, str]:
    """``BENCH_HEARTH_ENV="K=V,K=V"``: extra server settings for experiments."""
    raw = os.environ.get("BENCH_HEARTH_ENV", "")
    return dict(item.split("=", 1) for item in raw.split(",") if "=" in item)


# Letters that spell none of the platform names the personal-information
# masker looks for ("ig: …", "fb: …", "sc: …" are masked as handles).
_LETTERS = "qwxzvjmhdl"
_TO_LETTERS = str.maketrans("0123456789", _LETTERS)
_TO_DIGITS = str.maketrans(_LETTERS, "0123456789")


def _num(n: int) -> str:
    return str(n).translate(_TO_LETTERS)


def _unnum(text: str) -> int:
    return int(text.translate(_TO_DIGITS))


def _safe(run_id: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", run_id.lower())


# -- databases ------------------------------------------------------------------

_templates: dict[tuple[str, str], str] = {}  # (store, "blank" | "seeded") -> database name or file
_template_locks: dict[str, asyncio.Lock] = {}  # one per store: a store waits only for its own builds
#: Users the seeded template holds, the most any planned scenario asks for
#: (``Hearth.plan``); ``hearth_setup seed`` output, per store.
_pool_size = {"pairs": 0, "room": 0}
_pools: dict[str, dict] = {}


async def _run(argv: list[str], env: dict[str, str], timeout: float = 300) -> str:
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv[:4])} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return out.decode()


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def _pg_url(db: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{db}"


_kept: set[str] = set()  # cached templates (bench.targets.template_cache): not dropped at exit
_template_log: list[dict] = []  # what each template cost this run (in the results' "templates")


@atexit.register
def _drop_templates() -> None:
    for (store, _), where in list(_templates.items()):
        if where in _kept:
            continue
        try:
            if store == "pg":
                _pg_exec(f'DROP DATABASE IF EXISTS "{where}" WITH (FORCE)')
            else:
                Path(where).unlink(missing_ok=True)
        except Exception:
            pass
    _templates.clear()


def _pg_databases() -> list[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        return [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'hearth_bench_tpl_%'")
        ]


def _template_env(store: str, where: str) -> dict[str, str]:
    """Server settings pointing at a template (base settings, no scenario overrides)."""
    env = {**SERVER_ENV, "HEARTH_VAR_DIR": str(WORK_DIR / "template")}
    if store == "pg":
        return {
            **env,
            "DATABASE_URL": _pg_url(where),
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": f"hearthbenchtpl{os.getpid()}",
            "CHANNEL_LAYER_KIND": "pubsub",
        }
    return {**env, "DATABASE_URL": "", "REDIS_URL": "", "SQLITE_PATH": where}


def _sqlite_copy(source: str, name: str) -> None:
    """Copy through SQLite's backup API: consistent even if the source's WAL was not checkpointed."""
    import sqlite3

    src, dst = sqlite3.connect(source), sqlite3.connect(name)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


async def _clone(store: str, source: str, name: str) -> None:
    if store == "pg":
        await asyncio.to_thread(_pg_exec, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    else:
        await asyncio.to_thread(_sqlite_copy, source, name)


async def _template(store: str, kind: str) -> str:
    """The ``blank`` (migrated) or ``seeded`` (migrated + pool) template,
    built once per bench process and store."""
    async with _template_locks.setdefault(store, asyncio.Lock()):
        if kind == "seeded" and (store, "blank") not in _templates:
            await _build_template(store, "blank")
        if (store, kind) not in _templates:
            await _build_template(store, kind)
        return _templates[(store, kind)]


_cache_keys: dict[str, str] = {}


def _cache_key(store: str) -> str:
    if store not in _cache_keys:
        settings = {
            k: v
            for k, v in _template_env(store, "").items()
            if k not in {"DATABASE_URL", "SQLITE_PATH", "REDIS_PREFIX", "HEARTH_VAR_DIR", "REDIS_URL"}
        }
        _cache_keys[store] = template_cache.key(
            REPO_ROOT, pool=dict(_pool_size), env={**settings, "store": store, "topic": TOPIC}
        )
    return _cache_keys[store]


def _cached(store: str, kind: str) -> str | None:
    """The kept template of this key, if one was fully built by an earlier run."""
    key = _cache_key(store)
    if kind == "seeded" and not template_cache.pool_path(WORK_DIR, store, key).exists():
        return None
    if store == "pg":
        name = template_cache.pg_name(key, kind)
        return name if name in _pg_databases() else None
    path = template_cache.sqlite_path(WORK_DIR, key, kind)
    return str(path) if path.exists() else None


def _drop_stale(store: str) -> None:
    key = _cache_key(store)
    if store == "pg":
        for name in template_cache.stale_pg(_pg_databases(), key):
            try:
                _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')  # not FORCE: another run may be using it
            except Exception:
                pass
    else:
        for path in template_cache.stale_sqlite(WORK_DIR, key):
            path.unlink(missing_ok=True)


async def _build_template(store: str, kind: str) -> None:
    t0 = time.monotonic()
    keep = template_cache.enabled()
    if keep:
        found = await asyncio.to_thread(_cached, store, kind)
        if found is not None:
            _templates[(store, kind)] = found
            _kept.add(found)
            if kind == "seeded":
                _pools[store] = json.loads(template_cache.pool_path(WORK_DIR, store, _cache_key(store)).read_text())
            print(f"[bench] hearth {store} template {kind} reused ({found})", file=sys.stderr, flush=True)
            _template_log.append(
                {"store": store, "kind": kind, "reused": True, "seconds": round(time.monotonic() - t0, 1)}
            )
            return
        await asyncio.to_thread(_drop_stale, store)
    # Built under a name of this process; a kept template gets its final name only once complete.
    if store == "pg":
        name = f"hearth_bench_tpl_{os.getpid()}_{kind}"
        await asyncio.to_thread(_pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        name = str(WORK_DIR / f"template-{os.getpid()}-{kind}.sqlite3")
    env = _template_env(store, name)
    if kind == "blank":
        if store == "pg":
            await asyncio.to_thread(_pg_exec, f'CREATE DATABASE "{name}"')
        _templates[(store, kind)] = name
        await _run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        what = "migrated"
    else:
        await _clone(store, _templates[(store, "blank")], name)
        _templates[(store, kind)] = name
        out = await _run(
            [
                sys.executable,
                "-m",
                "bench.targets.hearth_setup",
                "seed",
                str(_pool_size["pairs"]),
                str(_pool_size["room"]),
                TOPIC,
            ],
            env,
        )
        _pools[store] = json.loads(out)
        if store == "pg":
            from bench.harness.redisinfo import delete_prefix

            await delete_prefix(REDIS_URL, env["REDIS_PREFIX"])
        what = f"{_pool_size['pairs']} pairs, a room of {_pool_size['room']}"
    if keep:
        await asyncio.to_thread(_keep, store, kind, name)
    print(
        f"[bench] hearth {store} template {kind} ({what}) built in {time.monotonic() - t0:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    _template_log.append({"store": store, "kind": kind, "reused": False, "seconds": round(time.monotonic() - t0, 1)})


def _keep(store: str, kind: str, built: str) -> None:
    """Give a complete template its cached name (the seed output first: a template without it is not reused)."""
    key = _cache_key(store)
    if kind == "seeded":
        pool = template_cache.pool_path(WORK_DIR, store, key)
        pool.parent.mkdir(parents=True, exist_ok=True)
        pool.with_suffix(".tmp").write_text(json.dumps(_pools[store]))
        os.replace(pool.with_suffix(".tmp"), pool)
    if store == "pg":
        final = template_cache.pg_name(key, kind)
        _pg_exec(f'DROP DATABASE IF EXISTS "{final}" WITH (FORCE)')
        _pg_exec(f'ALTER DATABASE "{built}" RENAME TO "{final}"')
    else:
        final_path = template_cache.sqlite_path(WORK_DIR, key, kind)
        final_path.parent.mkdir(parents=True, exist_ok=True)
        partial = final_path.with_suffix(f".{os.getpid()}.tmp")
        _sqlite_copy(built, str(partial))  # the backup API: the WAL's content included
        os.replace(partial, final_path)
        for leftover in (built, built + "-wal", built + "-shm"):
            Path(leftover).unlink(missing_ok=True)
        final = str(final_path)
    _templates[(store, kind)] = final
    _kept.add(final)


# -- HTTP (seekers) ---------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    out = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def anonymous_seeker(port: int, age: int = 30) -> dict:
    """``GET /api/v1/session/csrf`` then ``POST /api/v1/session/anonymous``: {"id", "session"}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/v1/session/csrf")
        response = conn.getresponse()
        body = json.loads(response.read())
        csrf = _cookies(response).get("csrftoken") or body["csrf_token"]
        conn.request(
            "POST",
            "/api/v1/session/anonymous",
            body=json.dumps({"age": age}),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": body["csrf_token"],
                "Cookie": f"csrftoken={csrf}",
            },
        )
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            raise RuntimeError(f"anonymous session: HTTP {response.status} {payload[:300]!r}")
        return {"id": json.loads(payload)["id"], "session": _cookies(response)["sessionid"]}
    finally:
        conn.close()


# -- sockets ------------------------------------------------------------------------


def ws_url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/ws/v1/chat/"


def room_url(port: int, room_id: int) -> str:
    return f"ws://127.0.0.1:{port}/ws/v1/rooms/{room_id}/"


def ws_options(session: str) -> dict:
    return {"origin": ORIGIN, "additional_headers": {"Cookie": f"sessionid={session}"}}


async def open_socket(port: int, session: str):
    return await connect(
        ws_url(port),
        compression=None,
        proxy=None,
        open_timeout=20,
        ping_interval=None,
        close_timeout=2,
        max_size=2**22,
        **ws_options(session),
    )


async def until(ws, *types: str, timeout: float = 20.0) -> dict:
    """Read frames until one of ``types``; an ``error`` frame raises."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {'/'.join(types)} frame within {timeout}s")
        frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        if frame.get("type") in types:
            return frame
        if frame.get("type") == "error":
            raise RuntimeError(f"server error frame: {frame}")


# -- the target ----------------------------------------------------------------------


@dataclass
class RunState:
    run_id: str
    env: dict[str, str]
    ports: list[int] = field(default_factory=list)
    db: str = ""
    sessions: dict[int, str] = field(default_factory=dict)  # member -> session id
    conversation: dict[int, int] = field(default_factory=dict)  # member -> conversation id
    user_id: dict[int, int] = field(default_factory=dict)
    pairs: int = 0
    # The fan-out scenario's room (prepare_room): members are room members, not pairs.
    room_id: int | None = None
    room_name: str | None = None
    room_pool: list[dict] = field(default_factory=list)
    moderator: dict | None = None
    moderator_ws: object = None
    moderator_reader: asyncio.Task | None = None


class Hearth(Target):
    family = "hearth"
    self_delivery = True  # message.created goes to every socket in the conversation, the sender's too
    #: Sockets opened at once. Daphne drops a websocket whose application has
    #: not accepted within 5 s (--websocket_connect_timeout); Hearth's connect
    #: reads the session, records presence and builds ``hello``, so a burst
    #: of 50 on a loaded 2-core machine can exceed it.
    connect_concurrency = 20

    def __init__(self, layer: str = "memory") -> None:
        if layer not in ("memory", "redis", "redis-pubsub"):
            raise ValueError(layer)
        self.layer = layer
        self.name = f"hearth-{layer}"
        self.store = "sqlite" if layer == "memory" else "pg"
        self.multi_process = layer != "memory"
        self.runs: dict[str, RunState] = {}
        self.current: RunState | None = None
        self.overrides: dict[str, dict[str, str]] = {}
        self.blank_runs: set[str] = set()
        self._ack = Latency()
        self._errors: dict[str, int] = {}
        self._undecodable = 0
        self._held = 0

    # -- configuration ------------------------------------------------------------
    def configure(self, run_id: str, **env: str) -> None:
        """Scenario-specific server settings for the server group ``run_id``."""
        self.overrides.setdefault(run_id, {}).update(env)

    def start_blank(self, run_id: str) -> None:
        """The server group ``run_id`` starts from the migrated database, without
        the seeded pairs and room (the matching scenario: listeners on shift and
        waiting seekers would change what it measures)."""
        self.blank_runs.add(run_id)

    def plan(self, profile, scenarios: list[str]) -> None:
        """Size the seeded template: the most pairs and room members any of
        ``scenarios`` will prepare at ``profile``'s sizes."""
        pairs = 0
        if "relay" in scenarios:
            pairs = max(pairs, max(profile.relay_pairs))
        if "idle" in scenarios:
            pairs = max(pairs, (profile.idle_max + 1) // 2)
        if "reconnect" in scenarios:
            pairs = max(pairs, profile.reconnect_pairs)
        room = max([profile.fanout_room, *profile.fanout_grow_sizes]) if "fanout" in scenarios else 0
        _pool_size["pairs"] = max(_pool_size["pairs"], pairs)
        _pool_size["room"] = max(_pool_size["room"], room)

    def _base_env(self, run_id: str) -> dict[str, str]:
        var = WORK_DIR / f"run-{_safe(run_id)}"
        env = {**SERVER_ENV, "HEARTH_VAR_DIR": str(var)}
        if self.store == "sqlite":
            env.update({"DATABASE_URL": "", "REDIS_URL": "", "SQLITE_PATH": str(var / "hearth.sqlite3")})
        else:
            env.update(
                {
                    "DATABASE_URL": _pg_url(f"hearth_bench_{_safe(run_id)}"),
                    "REDIS_URL": REDIS_URL,
                    "REDIS_PREFIX": f"hearthbench{_safe(run_id)}",
                    "CHANNEL_LAYER_KIND": "pubsub" if self.layer == "redis-pubsub" else "core",
                    "REDIS_MAX_CONNECTIONS": "2000",
                }
            )
        env.update(self.overrides.get(run_id, {}))
        env.update(_extra_env())
        return env

    # -- server lifecycle ----------------------------------------------------------
    async def prepare_shared(self) -> None:
        """This store's templates, before any scenario (built or reused from the cache)."""
        await _template(self.store, "seeded" if (_pool_size["pairs"] or _pool_size["room"]) else "blank")

    async def setup(self, run_id: str) -> None:
        env = self._base_env(run_id)
        state = RunState(run_id, env)
        seeded = run_id not in self.blank_runs and (_pool_size["pairs"] or _pool_size["room"])
        template = await _template(self.store, "seeded" if seeded else "blank")
        Path(env["HEARTH_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        state.db = env["SQLITE_PATH"] if self.store == "sqlite" else f"hearth_bench_{_safe(run_id)}"
        await _clone(self.store, template, state.db)
        if seeded:
            pool = _pools[self.store]
            for k, (seeker, listener, conversation_id) in enumerate(pool["pairs"]):
                self._add_pair(state, k, seeker, listener, conversation_id)
            state.pairs = len(pool["pairs"])
            if pool["room"]:
                state.room_id = pool["room"]["id"]
                state.room_pool = pool["room"]["members"]
                state.moderator = pool["room"]["moderator"]
        self.runs[run_id] = state
        self.current = state

    @staticmethod
    def _add_pair(state: RunState, k: int, seeker: dict, listener: dict, conversation_id: int) -> None:
        state.sessions[2 * k], state.sessions[2 * k + 1] = seeker["session"], listener["session"]
        state.conversation[2 * k] = state.conversation[2 * k + 1] = conversation_id
        state.user_id[2 * k], state.user_id[2 * k + 1] = seeker["id"], listener["id"]

    def server(self, port: int, run_id: str) -> ServerSpec:
        state = self.runs[run_id]
        if port not in state.ports:
            state.ports.append(port)
        return ServerSpec(daphne_argv("support.asgi:application", port), dict(state.env))

    def probe_url(self, port: int) -> str:
        return ws_url(port)  # accepted, then closed 4401: enough to know Daphne and Django are up

    def probe_options(self) -> dict:
        return {"origin": ORIGIN}

    async def cleanup(self, run_id: str) -> None:
        state = self.runs.pop(run_id, None)
        self.overrides.pop(run_id, None)
        self.blank_runs.discard(run_id)
        if state is None:
            return
        await self._close_moderator(state)
        if self.current is state:
            self.current = None
        if self.store == "pg":
            await asyncio.to_thread(_pg_exec, f'DROP DATABASE IF EXISTS "{state.db}" WITH (FORCE)')
            from bench.harness.redisinfo import delete_prefix

            await delete_prefix(REDIS_URL, state.env["REDIS_PREFIX"])
        shutil.rmtree(state.env["HEARTH_VAR_DIR"], ignore_errors=True)

    async def setup_script(self, run_id: str, *args: str) -> object:
        state = self.runs[run_id]
        out = await _run([sys.executable, "-m", "bench.targets.hearth_setup", *args], state.env)
        return json.loads(out)

    # -- users and matching ----------------------------------------------------------
    async def listeners(self, run_id: str, first: int, count: int) -> list[dict]:
        return await self.setup_script(run_id, "listeners", str(first), str(count))

    async def seekers(self, run_id: str, count: int, concurrency: int = 8) -> list[dict]:
        state = self.runs[run_id]
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> str:
            async with gate:
                return await asyncio.to_thread(anonymous_seeker, state.ports[i % len(state.ports)])

        return list(await asyncio.gather(*(one(i) for i in range(count))))

    async def prepare(self, members: int, run_id: str) -> None:
        """A matched conversation for every pair of members up to ``members``:
        from the seeded template, and beyond it created now (not timed)."""
        state = self.runs[run_id]
        want = (members + 1) // 2
        if want <= state.pairs:
            return
        new = want - state.pairs
        t0 = time.monotonic()
        listeners = await self.listeners(run_id, state.pairs, new)
        t1 = time.monotonic()
        seekers = await self.seekers(run_id, new)
        t2 = time.monotonic()
        if MATCH_OVER_SOCKETS:
            pairs = await self.match_over_sockets(state, seekers, listeners)
        else:
            matched = await self.setup_script(
                run_id,
                "match",
                ",".join(str(s["id"]) for s in seekers),
                ",".join(str(l["id"]) for l in listeners),
                TOPIC,
            )
            seeker_by_id = {s["id"]: s for s in seekers}
            listener_by_id = {l["id"]: l for l in listeners}
            pairs = [(seeker_by_id[s], listener_by_id[l], c) for s, l, c in matched]
        for k, (seeker, listener, conversation_id) in enumerate(pairs, start=state.pairs):
            self._add_pair(state, k, seeker, listener, conversation_id)
        state.pairs = want
        print(
            f"[bench] {self.name}: {new} pairs prepared beyond the template: listeners {t1 - t0:.1f}s, "
            f"seekers {t2 - t1:.1f}s, matching {time.monotonic() - t2:.1f}s",
            file=sys.stderr,
            flush=True,
        )

    async def prepare_room(self, room: str, members: int, run_id: str) -> None:
        """Members ``0 .. members-1`` join one room: the seeded template's
        room (members beyond it are refused: size the template with ``plan``).
        The first call opens the moderator's socket, so the room is open."""
        state = self.runs[run_id]
        if state.room_id is None or members > len(state.room_pool):
            raise RuntimeError(
                f"{self.name}: the template holds a room of {len(state.room_pool)}, "
                f"{members} asked for (call plan() with the fan-out sizes)"
            )
        state.room_name = room
        if state.moderator_ws is None:
            await self._open_moderator(state)

    async def _open_moderator(self, state: RunState) -> None:
        ws = await connect(
            room_url(state.ports[0], state.room_id),
            compression=None,
            proxy=None,
            open_timeout=20,
            ping_interval=None,
            close_timeout=2,
            max_size=2**24,
            **ws_options(state.moderator["session"]),
        )
        hello = await until(ws, "room.hello")
        if not (hello["you"]["moderator"] and hello["room"]["open"]):
            raise RuntimeError(f"moderator socket: not an open room with a moderator: {hello['you']}")
        state.moderator_ws = ws

        async def drain() -> None:
            # The moderator gets every room frame too; held messages reach only
            # moderators (and the sender), so they are counted here.
            async for text in ws:
                if '"room.message.held"' in text[:40]:
                    self._held += 1

        state.moderator_reader = asyncio.create_task(drain())

    @staticmethod
    async def _close_moderator(state: RunState) -> None:
        if state.moderator_reader is not None:
            state.moderator_reader.cancel()
            await asyncio.gather(state.moderator_reader, return_exceptions=True)
        if state.moderator_ws is not None:
            try:
                await asyncio.wait_for(state.moderator_ws.close(), 3)
            except Exception:
                pass
        state.moderator_ws = state.moderator_reader = None

    async def match_over_sockets(self, state: RunState, seekers: list[dict], listeners: list[dict]) -> list:
        """Listeners ``shift.start`` (capacity 1), seekers ``request.create``;
        both sides learn their conversation from ``conversation.started``."""
        gate = asyncio.Semaphore(self.connect_concurrency)
        by_conversation: dict[int, dict] = {}

        async def listener_ready(i: int, listener: dict):
            async with gate:
                ws = await open_socket(state.ports[i % len(state.ports)], listener["session"])
                await until(ws, "hello")
                await ws.send(json.dumps({"type": "shift.start", "topics": [TOPIC], "capacity": 1}))
                await until(ws, "shift.start.ack")
                return ws

        async def listener_matched(ws, listener: dict) -> None:
            frame = await until(ws, "conversation.started", timeout=120)
            by_conversation[frame["conversation"]["id"]] = listener
            await ws.close()

        async def seeker_matched(i: int, seeker: dict) -> int:
            async with gate:
                ws = await open_socket(state.ports[i % len(state.ports)], seeker["session"])
                try:
                    await until(ws, "hello")
                    await ws.send(json.dumps({"type": "request.create", "topic": TOPIC}))
                    frame = await until(ws, "conversation.started", timeout=120)
                    return frame["conversation"]["id"]
                finally:
                    await ws.close()

        sockets = await asyncio.gather(*(listener_ready(i, l) for i, l in enumerate(listeners)))
        waiting = [asyncio.create_task(listener_matched(ws, l)) for ws, l in zip(sockets, listeners)]
        conversations = await asyncio.gather(*(seeker_matched(i, s) for i, s in enumerate(seekers)))
        await asyncio.wait_for(asyncio.gather(*waiting), 120)
        return [(seeker, by_conversation[c], c) for seeker, c in zip(seekers, conversations)]

    # -- sockets ------------------------------------------------------------------------
    def _state(self) -> RunState:
        if self.current is None:
            raise RuntimeError("no Hearth server group is running")
        return self.current

    def _in_room(self, state: RunState, room: str | None = None) -> bool:
        return state.room_name is not None and (room is None or room == state.room_name)

    def socket_url(self, port: int, room: str, member: int) -> str:
        state = self._state()
        return room_url(port, state.room_id) if self._in_room(state, room) else ws_url(port)

    def connect_options(self, member: int) -> dict:
        state = self._state()
        session = state.room_pool[member]["session"] if self._in_room(state) else state.sessions[member]
        return ws_options(session)

    async def join(self, ws, room: str, member: int) -> None:
        state = self._state()
        if self._in_room(state, room):
            hello = await until(ws, "room.hello")
            if not (hello["room"]["open"] and hello["you"]["guideline_acknowledged"]):
                raise RuntimeError(f"member {member}: room not open or guideline not acknowledged: {hello['you']}")
            return
        hello = await until(ws, "hello")
        expected = state.conversation[member]
        if expected not in {c["id"] for c in hello["conversations"]}:
            raise RuntimeError(f"member {member}: conversation {expected} not in hello")

    # -- messages -------------------------------------------------------------------------
    def encode(self, msg: ChatMessage, size: int) -> str:
        # Digits would be masked as phone numbers: numbers travel as letters.
        head = f"hb:{_num(msg.sender)}:{_num(msg.seq)}:{_num(msg.sched_ns)}:"
        text = head + (FILLER * 4)[: max(0, size - len(head))]
        client_id = f"{msg.sender}.{msg.seq}.{msg.sched_ns}"
        state = self._state()
        if self._in_room(state):
            return json.dumps({"type": "room.message.send", "client_id": client_id, "text": text})
        return json.dumps(
            {
                "type": "message.send",
                "conversation": state.conversation[msg.sender],
                "client_id": client_id,
                "text": text,
            }
        )

    def decode(self, text: str) -> ChatMessage | None:
        # "message.created" also matches "room.message.created" (same shape:
        # {"type", "message": {"text", ...}}), "message.ack" "room.message.ack".
        head = text[:40]
        if "message.created" in head:
            body = json.loads(text)["message"]["text"]
            parts = body.split(":", 4)
            if parts[0] != "hb" or len(parts) != 5:
                self._undecodable += 1
                return None
            try:
                return ChatMessage(_unnum(parts[1]), _unnum(parts[2]), _unnum(parts[3]))
            except ValueError:
                self._undecodable += 1
                return None
        if "message.ack" in head:
            arrival = now_ns()
            client_id = json.loads(text)["client_id"]
            self._ack.record_ns(arrival - int(client_id.rsplit(".", 1)[1]))
        elif '"error"' in head:
            code = json.loads(text).get("code", "?")
            self._errors[code] = self._errors.get(code, 0) + 1
        return None

    # -- per-phase figures and checks ------------------------------------------------------
    def phase_begin(self) -> None:
        self._ack, self._errors, self._undecodable, self._held = Latency(), {}, 0, 0

    def phase_end(self) -> dict:
        out = {"ack": self._ack.summary(), "server_error_frames": dict(self._errors), "undecodable": self._undecodable}
        if self.current is not None and self._in_room(self.current):
            out["held_for_review"] = self._held
        return out

    async def verify(self, run_id: str, sent: int) -> dict:
        """Text rows in ``chat_message`` (or ``rooms_roommessage`` after a room
        scenario) against messages sent: must be equal."""
        counts = await self.setup_script(run_id, "count-messages")
        state = self.runs[run_id]
        rows = counts["room_text"] if self._in_room(state) else counts["text"]
        out = {"db_text_rows": rows, "messages_sent": sent, "db_rows_match": rows == sent}
        if self._in_room(state):
            out["db_held_rows"] = counts["room_held"]
        return out

    def template_log(self) -> list[dict]:
        """Templates this target's store used in the run, built or reused (once per store)."""
        return [entry for entry in _template_log if entry["store"] == self.store]

    def describe(self) -> dict:
        out = super().describe()
        env = {k: v for k, v in self._base_env("RUNID").items() if k != "SECRET_KEY"}
        out["config"] = {
            "app": "support.asgi:application",
            "database": "sqlite (WAL, file per run)"
            if self.store == "sqlite"
            else "postgresql (database per run, psycopg pool)",
            "server_env": env,
            "topic": TOPIC,
            "pairs": "seeded template: bulk users, matched by shift_start + request_create + "
            "requests_dispatch (auto-assign)",
            "template_pool": dict(_pool_size),
            "template_cache": "kept between runs, keyed by the code that builds them "
            "(BENCH_TEMPLATE_CACHE=0 builds afresh)"
            if template_cache.enabled()
            else "off",
            "room": "adult, capacity 32767, no slow mode, one moderator socket (not a ledger member), "
            "members' guideline acknowledged in setup",
        }
        return out
