"""Summarise a py-spy raw (collapsed-stack) profile: the functions with the
most samples, inclusive and self, optionally only for stacks containing a
marker (e.g. a thread name or ``message_send``).

    py-spy record -p PID -d 15 -r 200 -f raw -o prof.txt --nonblocking
    python -m bench.profile_summary prof.txt [--only message_send] [--top 30]
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


def summarise(path: str, only: str | None = None, top: int = 30) -> str:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit() or (only and only not in stack):
            continue
        n = int(count)
        total += n
        frames = [_name(f) for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    out = [f"{total} samples" + (f" containing {only!r}" if only else "")]
    out.append("\ninclusive:")
    out += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    out.append("\nself:")
    out += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--only")
    ap.add_argument("--top", type=int, default=30)
    a = ap.parse_args()
    print(summarise(a.path, a.only, a.top))
