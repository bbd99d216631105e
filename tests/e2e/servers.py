"""Start real Daphne processes for end-to-end tests, and talk to them like a client.

``DaphneCluster`` prepares one database (a fresh SQLite file, or a fresh
PostgreSQL database when given a server URL), copied from one migrated once
per test process, then starts
any number of Daphne processes on free ports sharing that database and, with
``redis_url``, one Redis channel layer. Everything started is stopped on exit.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _base_env() -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    return {key: value for key, value in os.environ.items() if key not in drop and not key.startswith("PYTEST")}


def create_postgres_database(server_url: str, name: str, *, template: str | None = None) -> str:
    import psycopg

    parsed = urlparse(server_url)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return urlunparse(parsed._replace(path=f"/{name}"))


#: (server or "sqlite", extra settings) -> a migrated template: a PostgreSQL database name or a SQLite file.
_TEMPLATES: dict[tuple, str] = {}


def _migrated_template(postgres_url: str | None, extra_env: dict[str, str]) -> str:
    """A database migrated once per test process for clusters with these settings."""
    key = (postgres_url or "sqlite", tuple(sorted(extra_env.items())))
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    env = {**_base_env(), "SAFETY_PRECOMPILE_PATTERNS": "0", **extra_env}
    if postgres_url:
        name = f"hearth_e2e_template_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        env["DATABASE_URL"] = create_postgres_database(postgres_url, name)
        atexit.register(drop_postgres_database, postgres_url, name)
        template = name
    else:
        folder = Path(tempfile.mkdtemp(prefix="hearth-e2e-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = str(folder / "template.sqlite3")
        env["SQLITE_PATH"] = template
        env["HEARTH_VAR_DIR"] = str(folder)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=180
    )
    _TEMPLATES[key] = template
    return template


def drop_postgres_database(server_url: str, name: str) -> None:
    import psycopg

    parsed = urlparse(server_url)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class DaphneProcess:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class DaphneCluster:
    workdir: Path
    postgres_url: str | None = None
    redis_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[DaphneProcess] = field(default_factory=list)
    database_url: str | None = None
    _db_name: str | None = None
    # A prefix of its own on the shared Redis, so parallel clusters never see each other's groups.
    redis_prefix: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:8]}")

    def env(self) -> dict[str, str]:
        env = _base_env()
        # SAFETY_PRECOMPILE_PATTERNS=0: each test starts several servers, and compiling every rule
        # pattern ahead of use would cost each of them CPU the tests need (first use compiles instead).
        env.update(
            {
                "DEBUG": "1",
                "HEARTH_VAR_DIR": str(self.workdir),
                "PYTHONUNBUFFERED": "1",
                "SAFETY_PRECOMPILE_PATTERNS": "0",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env["SQLITE_PATH"] = str(self.workdir / "e2e.sqlite3")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            env["REDIS_PREFIX"] = self.redis_prefix
        env.update(self.extra_env)
        return env

    def prepare(self) -> None:
        if os.environ.get("HEARTH_SUBPROCESS_TESTS") == "0":
            # These tests start their own servers against their own database and
            # Redis prefix: the pytest process's DATABASE_URL changes nothing for
            # them, so CI runs them once (in its first pass) rather than twice.
            import pytest

            pytest.skip("real-server tests run once per CI run, in the embedded pass (HEARTH_SUBPROCESS_TESTS=0)")
        # Every cluster starts from the same migrated database: migrating once per test process
        # and copying it (a template database, or the SQLite file) saves a migrate run per cluster.
        template = _migrated_template(self.postgres_url, self.extra_env)
        if self.postgres_url:
            self._db_name = f"hearth_e2e_{uuid.uuid4().hex[:10]}"
            self.database_url = create_postgres_database(self.postgres_url, self._db_name, template=template)
        else:
            shutil.copyfile(template, self.workdir / "e2e.sqlite3")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def start(
        self, port: int | None = None, *, module: str = "support.serve", env: dict[str, str] | None = None
    ) -> DaphneProcess:
        """Start one server; ``module`` is run with Daphne's arguments (``support.serve`` unless a test
        needs a launcher that wraps it), ``env`` adds to this cluster's environment for this process only."""
        port = port or free_port()
        log_path = self.workdir / f"daphne-{port}-{len(self.processes)}.log"
        log = open(log_path, "wb")
        process = subprocess.Popen(
            # support.serve is Daphne with Hearth's websocket size limits (as in production).
            [sys.executable, "-m", module, "-b", "127.0.0.1", "-p", str(port), "support.asgi:application"],
            cwd=ROOT,
            env={**self.env(), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = DaphneProcess(port=port, process=process, log_path=log_path)
        self.processes.append(server)
        wait_healthy(server)
        return server

    def stop(self) -> None:
        for server in self.processes:
            server.terminate()
        if self._db_name and self.postgres_url:
            try:
                drop_postgres_database(self.postgres_url, self._db_name)
            except Exception:
                pass

    def __enter__(self) -> DaphneCluster:
        self.prepare()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            # pytest shows captured output with the failure: the servers' side of
            # a flaky failure is otherwise lost with the temporary directory.
            for server in self.processes:
                print(f"--- daphne on port {server.port}, last 4,000 characters of its log ---")
                print(server.log()[-4000:])


def wait_healthy(server: DaphneProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{server.log()}")
        try:
            with urlopen(f"{server.http}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"daphne on {server.port} not healthy in {timeout}s:\n{server.log()}")


class HttpClient:
    """A tiny cookie-keeping JSON client (the browser's part, without a browser)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{key}={value}" for key, value in self.cookies.items())

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Origin": self.base, "Referer": self.base + "/"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        data = json.dumps(body).encode() if body is not None else None
        request = Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urlopen(request, timeout=10) as response:
                self._keep(response.headers.get_all("Set-Cookie") or [])
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except Exception as exc:  # urllib raises for 4xx/5xx
            response = getattr(exc, "fp", None)
            if response is None:
                raise
            self._keep(exc.headers.get_all("Set-Cookie") or [])
            raw = response.read()
            return exc.code, json.loads(raw) if raw else {}

    def _keep(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value

    def start_anonymous(self, age: int = 30) -> dict:
        self.request("GET", "/api/v1/session/csrf")
        status, body = self.request("POST", "/api/v1/session/anonymous", {"age": age})
        assert status == 201, body
        return body

    def login(self, username: str, password: str) -> dict:
        self.request("GET", "/api/v1/session/csrf")
        status, body = self.request("POST", "/api/v1/session/login", {"username": username, "password": password})
        assert status == 200, body
        return body

    def ws_headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie_header()}
