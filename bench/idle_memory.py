"""Where an idle socket's memory goes: tracemalloc and object counts in the server.

    python -m bench.idle_memory --target hearth-memory --sizes 500,1000
    python -m bench.idle_memory --target channels-memory --sizes 500,1000 --frames 12

Starts one server process of ``--target`` through the bench harness (same
settings as ``python -m bench.run --scenario idle``) with tracemalloc on
(``PYTHONTRACEMALLOC``) and a ``SIGUSR1`` handler (a ``sitecustomize`` put on
the server's ``PYTHONPATH``) that runs ``gc.collect()`` and writes a
tracemalloc snapshot, the live object counts by type, RSS and glibc's
``mallinfo2``. It opens the first size of idle sockets, takes a snapshot,
opens up to the second size, takes another, and prints what grew per added
socket: by allocation site, by traceback, by object type, and how much of the
RSS growth Python's allocator does not account for (fragmentation, C
libraries, thread stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

from bench.harness import procstat
from bench.harness.clients import Fleet, Member
from bench.harness.servers import ServerGroup
from bench.targets import resolve

SITECUSTOMIZE = r"""
import os, sys
if "daphne" in " ".join(getattr(sys, "orig_argv", [])) and os.environ.get("HEARTH_MEMPROBE_DIR"):
    import collections, ctypes, gc, json, pickle, signal, tracemalloc

    class _MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    def _mallinfo():
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.mallinfo2.restype = _MallInfo2
            info = libc.mallinfo2()
            return {name: getattr(info, name) for name, _ in _MallInfo2._fields_}
        except Exception as exc:
            return {"error": repr(exc)}

    def _dump(signum, frame):
        out = os.environ["HEARTH_MEMPROBE_DIR"]
        tag = open(os.path.join(out, "tag")).read().strip()
        gc.collect()
        counts, sizes = collections.Counter(), collections.Counter()
        for obj in gc.get_objects():
            kind = type(obj)
            name = f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', kind.__name__)}"
            counts[name] += 1
            try:
                sizes[name] += sys.getsizeof(obj)
            except Exception:
                pass
        tracemalloc.take_snapshot().dump(os.path.join(out, f"snap-{tag}.tracemalloc"))
        with open(os.path.join("/proc/self/status")) as f:
            status = {line.split(":")[0]: line.split(":")[1].strip() for line in f}
        info = {"counts": dict(counts), "sizes": dict(sizes), "traced": tracemalloc.get_traced_memory(),
                "mallinfo2": _mallinfo(), "VmRSS": status.get("VmRSS"), "threads": status.get("Threads")}
        with open(os.path.join(out, f"info-{tag}.json.tmp"), "w") as f:
            json.dump(info, f)
        os.rename(os.path.join(out, f"info-{tag}.json.tmp"), os.path.join(out, f"info-{tag}.json"))

    signal.signal(signal.SIGUSR1, _dump)
"""


async def _open(fleet: Fleet, members: list[Member], concurrency: int) -> None:
    """Open every member's socket, retrying: under tracemalloc a handshake can
    miss Daphne's 5 s connect timeout (answered 403)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(m: Member) -> None:
        async with gate:
            for attempt in range(5):
                try:
                    return await fleet.open([m], concurrency=1)
                except Exception as exc:
                    print(f"[memprobe] member {m.member}: {exc!r}; retrying", file=sys.stderr)
                    await asyncio.sleep(1 + attempt)
            await fleet.open([m], concurrency=1)

    await asyncio.gather(*(one(m) for m in members))


async def _snapshot(pid: int, probe_dir: Path, tag: str) -> tuple[tracemalloc.Snapshot, dict]:
    (probe_dir / "tag").write_text(tag)
    os.kill(pid, signal.SIGUSR1)
    info_path = probe_dir / f"info-{tag}.json"
    deadline = time.monotonic() + 300
    while not info_path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server wrote no snapshot")
        await asyncio.sleep(0.2)
    return tracemalloc.Snapshot.load(str(probe_dir / f"snap-{tag}.tracemalloc")), json.loads(info_path.read_text())


def _short(frame) -> str:
    name = frame.filename
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in name:
            name = name.split(marker, 1)[1]
    return f"{name}:{frame.lineno}"


def _report(a, b, info_a, info_b, added: int, top: int) -> str:
    lines = []
    kib = lambda n: f"{n / 1024 / added:8.2f} KiB"
    rss = lambda info: int(info["VmRSS"].split()[0]) * 1024
    traced = info_b["traced"][0] - info_a["traced"][0]
    lines.append(f"added sockets: {added}")
    lines.append(f"RSS growth per socket:        {kib(rss(info_b) - rss(info_a))}")
    lines.append(f"tracemalloc growth per socket:{kib(traced)}  (Python allocations still live)")
    ma, mb = info_a["mallinfo2"], info_b["mallinfo2"]
    if "error" not in ma:
        lines.append(
            f"glibc heap in use per socket: {kib((mb['uordblks'] + mb['hblkhd']) - (ma['uordblks'] + ma['hblkhd']))}"
            f"; free in heap: {kib(mb['fordblks'] - ma['fordblks'])}; arena total: {kib(mb['arena'] - ma['arena'])}"
        )
    lines.append(f"threads: {info_a['threads']} -> {info_b['threads']}")
    lines.append("")
    lines.append(f"-- top {top} allocation sites by growth (per socket) --")
    for stat in b.compare_to(a, "lineno")[:top]:
        lines.append(f"{kib(stat.size_diff)}  {stat.count_diff / added:7.2f} blocks  {_short(stat.traceback[0])}")
    lines.append("")
    lines.append(f"-- top {top} tracebacks by growth (per socket), innermost last --")
    for stat in b.compare_to(a, "traceback")[:top]:
        frames = " <- ".join(_short(f) for f in reversed(stat.traceback[-6:]))
        lines.append(f"{kib(stat.size_diff)}  {stat.count_diff / added:6.2f} blocks  {frames}")
    lines.append("")
    lines.append("-- object types that grew (count per socket, shallow size per socket) --")
    grown = []
    for name, count in info_b["counts"].items():
        diff = count - info_a["counts"].get(name, 0)
        if diff / added >= 0.5:
            grown.append((info_b["sizes"].get(name, 0) - info_a["sizes"].get(name, 0), diff, name))
    for size, diff, name in sorted(grown, reverse=True)[:top]:
        lines.append(f"{kib(size)}  {diff / added:6.2f} objs  {name}")
    return "\n".join(lines)


async def main(args) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = [int(s) for s in args.sizes.split(",")]
    target = resolve(args.target)
    probe_dir = Path(tempfile.mkdtemp(prefix="hearth-memprobe-"))
    (probe_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(probe_dir), os.environ.get("PYTHONPATH")]))
    os.environ["PYTHONTRACEMALLOC"] = str(args.frames)
    os.environ["HEARTH_MEMPROBE_DIR"] = str(probe_dir)
    run_id = f"mem{int(time.time())}"
    if hasattr(target, "plan"):  # Hearth seeds its template database with the pairs up front
        target.plan(SimpleNamespace(idle_max=sizes[-1]), ["idle"])
    snaps = []
    try:
        async with ServerGroup(target, 1, run_id, probe_dir / "logs", ready_timeout=300) as group:
            pid = group.processes[0].pid
            fleet = Fleet(target, lambda *a: None)
            try:
                await target.prepare(sizes[-1], run_id)  # every user first, while no socket is open
                for size in sizes:
                    have = len(fleet)
                    await _open(
                        fleet, [Member(m, f"i{m // 2}", group.ports[0]) for m in range(have, size)], args.concurrency
                    )
                    await asyncio.sleep(args.settle)
                    await group.quiesce()
                    snaps.append(await _snapshot(pid, probe_dir, str(size)))
                    print(f"[memprobe] {size} sockets: RSS {procstat.rss_bytes(pid) / 2**20:.1f} MiB", file=sys.stderr)
            finally:
                await fleet.close()
    finally:
        await target.cleanup(run_id)
    for (a, info_a), (b, info_b), n0, n1 in zip(snaps, snaps[1:], sizes, sizes[1:]):
        print(f"\n===== {args.target}: {n0} -> {n1} sockets =====")
        print(_report(a, b, info_a, info_b, n1 - n0, args.top))
    print(f"\n(snapshots kept in {probe_dir})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        prog="python -m bench.idle_memory", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--target", default="hearth-memory")
    ap.add_argument("--sizes", default="500,1000", help="socket counts to snapshot at, ascending")
    ap.add_argument("--frames", type=int, default=8, help="traceback depth kept by tracemalloc")
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="sockets opened at once (tracemalloc slows the server; Daphne drops a handshake not accepted in 5 s)",
    )
    sys.exit(asyncio.run(main(ap.parse_args())))
