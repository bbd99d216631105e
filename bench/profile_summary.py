"""Summarise a py-spy raw (collapsed-stack) profile: the functions with the
most samples, inclusive and self, optionally only for stacks containing a
marker (e.g. a thread name or ``message_send``).

    py-spy record -p PID -d 15 -r 200 -f raw -o prof.txt --nonblocking
    python -m bench.profile_summary prof.txt [prof2.txt …] [--only message_send] [--top 30] [--by-hearth 3]

Several files (one per server process) are summarised together. ``--by-hearth N``
adds where the samples go in Hearth's own code: each stack is attributed to
its outermost N frames from Hearth's apps (under the event loop or a worker
thread), so a service's share includes the library code it calls.
"""

from __future__ import annotations

import argparse
import collections
import re

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m['func']} ({path})"


_HEARTH = re.compile(r"\((chat|listeners|rooms|safety|support)/")


def _stacks(paths, only):
    for path in [paths] if isinstance(paths, str) else paths:
        for line in open(path):
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if count.isdigit() and not (only and only not in stack):
                yield stack.split(";"), int(count)


def _hearth_path(raw_frames: list[str], depth: int) -> str:
    if any("Thread.run" in f for f in raw_frames):
        where = "worker thread"
    elif any("Server.run" in f or "run_forever" in f for f in raw_frames):
        where = "event loop"
    else:
        where = "other (stack not resolved to its root)"
    own = [name.split(" (")[0] for name in map(_name, raw_frames) if _HEARTH.search(name)]
    return f"{where}: " + (" > ".join(own[:depth]) if own else "(no Hearth frame)")


def summarise(paths, only: str | None = None, top: int = 30, by_hearth: int = 0) -> str:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    hearth: collections.Counter = collections.Counter()
    total = 0
    for raw_frames, n in _stacks(paths, only):
        total += n
        frames = [_name(f) for f in raw_frames]
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
        if by_hearth:
            hearth[_hearth_path(raw_frames, by_hearth)] += n
    if not total:
        return "0 samples" + (f" containing {only!r}" if only else "")
    out = [f"{total} samples" + (f" containing {only!r}" if only else "")]
    if by_hearth:
        out.append(f"\nby Hearth code (outermost {by_hearth} Hearth frames):")
        out += [f"{100 * n / total:5.1f}%  {f}" for f, n in hearth.most_common(top)]
    out.append("\ninclusive:")
    out += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    out.append("\nself:")
    out += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--only")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--by-hearth", type=int, default=0, metavar="N")
    a = ap.parse_args()
    print(summarise(a.paths, a.only, a.top, a.by_hearth))
