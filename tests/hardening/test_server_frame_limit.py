"""Frames above the server's limit are refused by Daphne (autobahn) before the application sees them.

``support.serve`` starts Daphne with ``HEARTH_WS_SERVER_MAX_BYTES`` (64 KiB):
a frame between the application limit (16 KiB) and that gets an error frame
from the consumer; a larger one is closed with 1009 by the server, and a flood
of them does not grow the process.
"""

from __future__ import annotations

import asyncio
import json

import psutil
import pytest
import websockets

from support.serve import server_argv
from tests.e2e.servers import DaphneCluster, HttpClient
from tests.hardening.conftest import size

pytestmark = [pytest.mark.security, pytest.mark.e2e]


def test_launcher_adds_hearth_limits_unless_the_command_line_sets_them():
    argv = server_argv(["-b", "127.0.0.1", "-p", "8000"], {"HEARTH_WS_SERVER_MAX_BYTES": "32768"})
    assert argv[argv.index("--websocket-max-frame-size") + 1] == "32768"
    assert argv[argv.index("--websocket-max-message-size") + 1] == "32768"
    assert argv[-1] == "support.asgi:application"
    mine = server_argv(["--websocket-max-frame-size", "4096", "-p", "1", "other.asgi:app"], {})
    assert mine.count("--websocket-max-frame-size") == 1 and mine[-1] == "other.asgi:app"


async def _scenario(server, http, oversize_count: int) -> dict:
    url = f"{server.ws}/ws/v1/chat/"
    headers = http.ws_headers()
    result = {}
    async with websockets.connect(
        url, origin=server.http, additional_headers=headers, max_size=None, compression=None
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "ping", "pad": "x" * (20 * 1024)}))
        reply = json.loads(await ws.recv())
        result["app_limit_reply"] = reply
        await ws.send(json.dumps({"type": "ping"}))
        result["after"] = json.loads(await ws.recv())
    process = psutil.Process(server.process.pid)
    # The server accepts sockets while its start-up thread still compiles the safety rules and
    # loads the model (tens of MiB): measure from when that has settled, not from the first hello.
    result["rss_before"] = await _settled_rss(process)
    codes = []
    big = "y" * (1024 * 1024)
    for _ in range(oversize_count):
        async with websockets.connect(
            url, origin=server.http, additional_headers=headers, max_size=None, compression=None
        ) as ws:
            await ws.recv()  # hello
            try:
                await ws.send(json.dumps({"type": "ping", "pad": big}))
                reply = await asyncio.wait_for(ws.recv(), 10)
                raise AssertionError(f"the application answered an oversize frame: {reply[:200]}")
            except websockets.ConnectionClosed:
                pass
            await asyncio.wait_for(ws.wait_closed(), 10)
            codes.append(ws.close_code)
    result["codes"] = codes
    result["rss_after"] = process.memory_info().rss
    return result


async def _settled_rss(process, *, steady_for=3.0, within=0.5 * 2**20, timeout=60.0) -> int:
    """The process's RSS once it has moved less than ``within`` bytes for ``steady_for`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = process.memory_info().rss
    steady_since = loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.25)
        now_rss = process.memory_info().rss
        if abs(now_rss - last) > within:
            last, steady_since = now_rss, loop.time()
        elif loop.time() - steady_since >= steady_for:
            return now_rss
    return process.memory_info().rss


def test_oversize_frames_are_closed_by_the_server_with_1009_and_memory_stays_flat(tmp_path):
    count = size(40, 300)
    with DaphneCluster(
        workdir=tmp_path, extra_env={"HEARTH_WS_HANDSHAKES_PER_IP": "100000", "HEARTH_WS_HANDSHAKES_PER_USER": "100000"}
    ) as cluster:
        server = cluster.start()
        http = HttpClient(server.http)
        http.start_anonymous(age=30)
        result = asyncio.run(_scenario(server, http, count))
        log = server.log()
    assert result["app_limit_reply"]["code"] == "frame_too_large"
    assert result["after"]["type"] == "pong"
    # support.serve turns autobahn's failByDrop off: a close frame, never a reset connection.
    assert set(result["codes"]) == {1009}, result["codes"]
    growth_mb = (result["rss_after"] - result["rss_before"]) / 2**20
    print(f"{count} frames of 1 MiB: RSS {result['rss_before'] / 2**20:.1f} -> {result['rss_after'] / 2**20:.1f} MiB")
    assert growth_mb < 25, growth_mb
    assert "frame_too_large" not in log and "Traceback" not in log
