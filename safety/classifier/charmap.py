"""Mapping a text character by character, with a map back to the original offsets.

The risk normaliser and the contact-detail folder both rewrite each character on its
own (a look-alike letter to its Latin twin, an emoji to a word, a zero-width space to
nothing) and must remember where each output character came from. A Python loop over
the characters cost several milliseconds for a 2,000-character message of emoji or of
another script; here each distinct character is mapped once per process and the text
is rewritten by ``str.translate``, so the cost per character is C's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from itertools import chain, compress, count, repeat

# A run of emoji and other pictographic symbols (with their variation selectors, joiners,
# keycaps and tags). In such a run each symbol is read at most three times: three say all
# that more of them say, and 2,000 emoji that each fold to a word ("😂" -> " emojilaugh ")
# made the rules read 24,000 characters.
_SYMBOL_RUN = re.compile(
    "[\u2190-\u2bff\u3030\u303d\u3297\u3299\ufe00-\ufe0f\u200d\u20e3\U0001f000-\U0001faff\U000e0020-\U000e007f]{4,}"
)
KEPT_COPIES = 3


class CharMap:
    """Rewrite a text character by character with ``map_char`` (any length; "" drops the
    character), ASCII characters with ``ascii_map`` (lower case), and keep the origin map.

    Each character is mapped once per process and remembered (up to ``limit`` distinct
    ones, then the memory starts afresh). Screening runs in several threads: what is
    remembered is read and extended under a lock, in C set operations, and the tables a
    caller goes on to use only ever grow while it uses them."""

    def __init__(
        self, map_char: Callable[[str], str], limit: int = 50_000, ascii_map: Callable[[str], str] = str.lower
    ):
        self._map_char = map_char
        self._ascii_map = ascii_map
        # ASCII text keeps its fast path (lower case) unless it holds a character ascii_map
        # writes otherwise (for the rules: a control character)
        special = [chr(c) for c in range(128) if ascii_map(chr(c)) != chr(c).lower()]
        if any(len(ascii_map(c)) != 1 for c in special):
            raise ValueError("ascii_map must map each ASCII character to exactly one")
        self._ascii_special = re.compile("[" + re.escape("".join(special)) + "]") if special else None
        self._limit = limit
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        ascii_chars = [chr(c) for c in range(128)]
        self._known: set[str] = set(ascii_chars)
        self._table: dict[int, str] = {ord(c): self._ascii_map(c) for c in ascii_chars}
        self._lengths: dict[str, int] = {c: len(out) for c in ascii_chars if len(out := self._table[ord(c)]) != 1}
        self._resized: set[str] = set(self._lengths)  # the same characters, for C's set operations

    def __call__(self, text: str) -> tuple[str, list[int] | None]:
        """(mapped text, origin): ``origin[i]`` is the index in ``text`` of output
        character ``i``; ``None`` when the two line up one to one."""
        if text.isascii():
            if self._ascii_special is not None and self._ascii_special.search(text):
                return text.translate(self._table), None
            return text.lower(), None
        chars = set(text)
        with self._lock:
            missing = chars - self._known
            if missing:
                if len(self._known) + len(missing) > self._limit:
                    self._start()
                    missing = chars - self._known
                self._learn(missing)
            table, lengths = self._table, self._lengths
            resized = chars & self._resized
        mapped = text.translate(table)
        if not resized:
            return mapped, None
        return mapped, _origin(text, resized, lengths)

    def _learn(self, chars: set[str]) -> None:
        for ch in chars:
            out = self._map_char(ch)
            self._table[ord(ch)] = out
            if len(out) != 1:
                self._lengths[ch] = len(out)
                self._resized.add(ch)
        self._known |= chars


def _origin(text: str, resized: set[str], lengths: dict[str, int]) -> list[int]:
    """The origin map of ``text`` mapped when the characters of ``resized`` map to
    ``lengths`` characters each and every other character to one."""
    if sum(map(text.count, resized)) * 8 > len(text):  # many: one pass in C over every character
        per_char = map(lengths.get, text, repeat(1))
        return list(chain.from_iterable(map(repeat, count(), per_char)))
    where = sorted(i for ch in resized for i in _positions(text, ch))
    origin: list[int] = []
    prev = 0
    for i in where:
        origin.extend(range(prev, i))
        origin.extend(repeat(i, lengths[text[i]]))
        prev = i + 1
    origin.extend(range(prev, len(text)))
    return origin


def _positions(text: str, ch: str):
    i = text.find(ch)
    while i >= 0:
        yield i
        i = text.find(ch, i + 1)


def thin_symbol_runs(text: str) -> tuple[str, list[int] | None]:
    """``text`` with each symbol of a run of emoji kept at most three times in that run,
    and the origin map (``None`` when nothing was dropped)."""
    if text.isascii() or _SYMBOL_RUN.search(text) is None:
        return text, None
    keep = bytearray(b"\x01") * len(text)
    dropped = False
    for m in _SYMBOL_RUN.finditer(text):
        seen: dict[str, int] = {}
        for i in range(m.start(), m.end()):
            n = seen.get(text[i], 0)
            if n >= KEPT_COPIES:
                keep[i] = 0
                dropped = True
            else:
                seen[text[i]] = n + 1
    if not dropped:
        return text, None
    return "".join(compress(text, keep)), list(compress(range(len(text)), keep))


def compose(outer: list[int] | None, inner: list[int] | None) -> list[int] | None:
    """The origin map of two steps: ``inner`` maps the second step's output into its
    input, ``outer`` maps that input into the original text."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return [outer[i] for i in inner]
