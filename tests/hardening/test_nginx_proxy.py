"""Per-IP limits behind a real nginx running docs/nginx.conf.

Two Daphne processes (PostgreSQL, Redis) behind Debian's nginx, started as an
ordinary user from a config generated out of docs/nginx.conf (TLS and the
port-80 redirect left out, the upstream ports and a free listening port put
in). The Daphne processes run with the README's settings
(``CLIENT_IP_HEADER=X-Real-IP``, ``TRUSTED_PROXIES=127.0.0.1``).

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3, …:
Linux routes all of 127/8 to the loopback interface), so nginx sees a
different ``$remote_addr`` for each, as it would for people on different
networks.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import shutil
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import websockets

from tests.conftest import TEST_POSTGRES_URL, TEST_REDIS_URL, require_service
from tests.e2e.servers import DaphneCluster, free_port
from tests.hardening.conftest import clear_of_window_edge

pytestmark = [pytest.mark.security, pytest.mark.e2e]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOC = Path(__file__).resolve().parents[2] / "docs" / "nginx.conf"
LIMIT = 5


def nginx_config(*, port: int, upstreams: list[int], workdir: Path) -> str:
    """docs/nginx.conf, made runnable by an ordinary user on a free port without TLS."""
    text = DOC.read_text()
    text = re.sub(
        r"upstream hearth \{.*?\}",
        "upstream hearth {\n" + "".join(f"    server 127.0.0.1:{upstream};\n" for upstream in upstreams) + "}",
        text,
        flags=re.S,
    )
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    text = re.sub(r"^\s*ssl_certificate(_key)?\s.*$\n", "", text, flags=re.M)
    text = text[: text.rindex("server {")]  # the port-80 redirect block
    assert "X-Real-IP $remote_addr" in text and 'X-Forwarded-For ""' in text
    temp = {name: workdir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    return f"""
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{text}
}}
"""


class Nginx:
    def __init__(self, workdir: Path, *, port: int, upstreams: list[int]):
        self.workdir, self.port = workdir, port
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(nginx_config(port=port, upstreams=upstreams, workdir=workdir))
        self.process = subprocess.Popen(
            [NGINX, "-e", str(workdir / "error.log"), "-p", str(workdir), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                status, _, _ = request(port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def request(port: int, method: str, path: str, *, source: str = "127.0.0.1", body=None, headers=None, cookies=None):
    """One HTTP request from the loopback address ``source``; (status, body, set cookies)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(source, 0))
    all_headers = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}", **(headers or {})}
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if "csrftoken" in cookies:
            all_headers["X-CSRFToken"] = cookies["csrftoken"]
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        jar = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            jar.update({key: morsel.value for key, morsel in parsed.items()})
        return response.status, json.loads(raw) if raw and raw[:1] in b"{[" else {}, jar
    finally:
        connection.close()


def start_session(port: int, *, source: str, headers=None) -> tuple[int, dict]:
    """A browser's anonymous start (CSRF cookie, then the POST) from ``source``."""
    _, _, cookies = request(port, "GET", "/api/v1/session/csrf", source=source, headers=headers)
    status, body, _ = request(
        port, "POST", "/api/v1/session/anonymous", source=source, body={"age": 30}, headers=headers, cookies=cookies
    )
    return status, body


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """(nginx port, [daphne ports]) with the README's proxy settings and a new-session limit of 5.

    One cluster for the module: each test uses client addresses of its own."""
    postgres_url = require_service("PostgreSQL", TEST_POSTGRES_URL)
    redis_url = require_service("Redis", TEST_REDIS_URL)
    tmp_path = tmp_path_factory.mktemp("nginx")
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (.ci/run installs Debian's nginx)")
    port = free_port()
    env = {
        "CLIENT_IP_HEADER": "X-Real-IP",
        "TRUSTED_PROXIES": "127.0.0.1",
        "HEARTH_ANON_SESSIONS_PER_IP": str(LIMIT),
        "HEARTH_WS_HANDSHAKES_PER_IP": str(LIMIT),
        "HEARTH_SCHEDULER_IN_PROCESS": "0",
        # nginx passes Host without the port ($host), as on 443 in production.
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "WS_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
    }
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url, extra_env=env) as cluster:
        servers = [cluster.start(), cluster.start()]
        nginx = Nginx(tmp_path, port=port, upstreams=[server.port for server in servers])
        try:
            yield port, [server.port for server in servers]
        finally:
            nginx.stop()


def test_behind_nginx_a_forged_forwarding_header_never_gives_a_new_address(proxied):
    port, _ = proxied
    clear_of_window_edge()
    statuses = []
    for index in range(LIMIT + 3):
        forged = {
            "X-Forwarded-For": f"198.51.100.{index}",
            "X-Real-IP": f"203.0.113.{index}",
            "Forwarded": f"for=192.0.2.{index}",
        }
        status, body = start_session(port, source="127.0.0.5", headers=forged)
        statuses.append(status)
        if status == 429:
            assert body["error"] == "rate_limited" and body["retry_after"] > 0
    assert statuses == [201] * LIMIT + [429] * 3


def test_behind_nginx_each_client_address_has_its_own_limit(proxied):
    port, daphne_ports = proxied
    clear_of_window_edge()
    first = [start_session(port, source="127.0.0.2")[0] for _ in range(LIMIT + 1)]
    assert first == [201] * LIMIT + [429]
    # Another network (nginx's X-Real-IP says 127.0.0.3) is not affected.
    assert start_session(port, source="127.0.0.3")[0] == 201
    # Straight to Daphne from an untrusted peer, a hand-written X-Real-IP counts for nothing:
    # the peer 127.0.0.2 is counted, and it has used its sessions.
    status, _ = start_session(daphne_ports[0], source="127.0.0.2", headers={"X-Real-IP": "192.0.2.99"})
    assert status == 429


def test_behind_nginx_a_concurrent_burst_across_two_processes_gets_only_the_limit(proxied):
    port, _ = proxied
    clear_of_window_edge()
    results: list[int] = []
    barrier = threading.Barrier(20)

    def one(index: int) -> None:
        _, _, cookies = request(port, "GET", "/api/v1/session/csrf", source="127.0.0.4")
        barrier.wait()
        status, _, _ = request(
            port,
            "POST",
            "/api/v1/session/anonymous",
            source="127.0.0.4",
            body={"age": 30},
            headers={"X-Forwarded-For": f"198.51.100.{index}"},
            cookies=cookies,
        )
        results.append(status)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] * LIMIT + [429] * (20 - LIMIT)


async def _handshake(port: int, *, source: str, headers: dict[str, str]) -> tuple[int | None, dict | None]:
    """Open an anonymous chat socket through nginx; (close code, error frame sent before it)."""
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/v1/chat/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers=headers,
        compression=None,
        open_timeout=10,
        local_addr=(source, 0),
    ) as socket:
        error = None
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if frame.get("type") == "error":
                    error = frame
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None, error


def test_behind_nginx_socket_handshakes_are_counted_per_real_address_not_per_forged_header(proxied):
    port, _ = proxied
    clear_of_window_edge(60, margin=20)  # handshakes are counted per minute

    async def run():
        results = []
        for index in range(LIMIT + 2):
            forged = {"X-Forwarded-For": f"198.51.100.{index}", "X-Real-IP": f"203.0.113.{index}"}
            results.append(await _handshake(port, source="127.0.0.6", headers=forged))
        other = await _handshake(port, source="127.0.0.7", headers={})
        return results, other

    results, other = asyncio.run(run())
    # Admitted sockets of a signed-out client are closed 4401 by the chat consumer; refused ones 4429.
    assert [code for code, _ in results] == [4401] * LIMIT + [4429, 4429]
    assert all(error["code"] == "too_many_connections" and error["retry_after"] > 0 for _, error in results[LIMIT:])
    assert other[0] == 4401
