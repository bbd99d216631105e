"""Start, measure and always stop the server processes of a target.

Each process is started in its own session (so its whole process group can
be signalled), optionally pinned to a set of CPUs, and logged to a file.
Every process started is also tracked module-wide and killed at interpreter
exit, so a crash or Ctrl-C never leaves a server behind.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import websockets
from websockets.asyncio.client import connect

from bench.harness import procstat
from bench.harness.target import Target

_LIVE: set[subprocess.Popen] = set()
REPO_ROOT = Path(__file__).resolve().parents[2]


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        if proc.poll() is None:
            _kill_group(proc, signal.SIGKILL)
        _LIVE.discard(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerGroup:
    """``async with ServerGroup(target, procs=2, ...) as group:`` -> group.ports."""

    def __init__(
        self,
        target: Target,
        procs: int,
        run_id: str,
        log_dir: Path,
        cpus: set[int] | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.target, self.procs, self.run_id = target, procs, run_id
        self.log_dir, self.cpus, self.ready_timeout = log_dir, cpus, ready_timeout
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []
        self._logs: list = []

    async def __aenter__(self) -> ServerGroup:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        await self.target.setup(self.run_id)
        await self._spawn([free_port() for _ in range(self.procs)])

    async def restart(self) -> float:
        """Stop every process (SIGTERM, then SIGKILL after the grace), start
        them again on the same ports; returns the time the stop began
        (``time.monotonic()``). The target's data (database) is kept."""
        stopped_at = time.monotonic()
        await self.stop()
        ports, self.ports, self.processes = self.ports, [], []
        await self._spawn(ports)
        return stopped_at

    async def _spawn(self, ports: list[int]) -> None:
        generation = len(self._logs)
        for i, port in enumerate(ports):
            spec = self.target.server(port, self.run_id)
            env = {
                **os.environ,
                **spec.env,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            }
            log = open(
                self.log_dir / f"{self.target.name}-{self.run_id}-{i}{f'-r{generation}' if generation else ''}.log",
                "wb",
            )
            self._logs.append(log)
            cpus = self.cpus
            proc = subprocess.Popen(
                spec.argv,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,  # noqa: B023 (runs in Popen, now)
            )
            _LIVE.add(proc)
            self.processes.append(proc)
            self.ports.append(port)
        await asyncio.gather(*(self._wait_ready(p, port) for p, port in zip(self.processes, self.ports)))

    async def _wait_ready(self, proc: subprocess.Popen, port: int) -> None:
        deadline = time.monotonic() + self.ready_timeout
        url = self.target.probe_url(port)
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.target.name} server exited with {proc.returncode}; see {self.log_dir}")
            try:
                async with connect(
                    url,
                    compression=None,
                    proxy=None,
                    open_timeout=2,
                    ping_interval=None,
                    close_timeout=1,
                    **self.target.probe_options(),
                ):
                    return
            except (TimeoutError, OSError, websockets.WebSocketException) as e:
                last_error = e
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.target.name} not ready on port {port}: {last_error!r}")

    # -- measurements ---------------------------------------------------------
    def cpu_seconds(self) -> float:
        return sum(procstat.cpu_seconds(p.pid) for p in self.processes if p.poll() is None)

    def rss_bytes(self) -> int:
        return sum(procstat.rss_bytes(p.pid) for p in self.processes if p.poll() is None)

    async def quiesce(self, util: float = 0.15, window: float = 0.5, timeout: float = 30.0) -> float:
        """Wait until the servers use less than ``util`` cores over ``window``
        seconds (an overloaded step's backlog has drained); returns seconds waited."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            cpu0 = self.cpu_seconds()
            await asyncio.sleep(window)
            if (self.cpu_seconds() - cpu0) / window < util:
                break
        return round(time.monotonic() - t0, 2)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.processes)

    # -- shutdown -------------------------------------------------------------
    async def stop(self, grace: float = 5.0) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                _kill_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None for p in self.processes):
            await asyncio.sleep(0.05)
        for proc in self.processes:
            if proc.poll() is None:
                _kill_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
            _LIVE.discard(proc)
        for log in self._logs:
            log.close()
