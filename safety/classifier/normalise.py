"""Text normalisation for matching, keeping a map back to original offsets.

The normalised text is lower case, with zero-width/format characters removed,
confusables and accents folded, leetspeak undone inside words, apostrophes
dropped, punctuation inside words turned into spaces and runs of single
spaced-out letters joined ("k i l l" -> "kill"). Repeated letters are NOT
squeezed here: compiled phrases match repeats themselves.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import compress

from .charmap import CharMap, compose, thin_symbol_runs
from .rules import RuleSet

_KEEP = re.compile(r"[^a-z0-9\s.,!?;:*]")
_INNER_PUNCT = re.compile(r"(?<=[a-z0-9])[.,!?;:_\-/\\]+(?=[a-z0-9])")
_char_maps: dict[int, tuple[RuleSet, CharMap]] = {}


def _char_map(rules: RuleSet) -> CharMap:
    """The rule set's character map (its look-alikes differ by language), made once."""
    found = _char_maps.get(id(rules))
    if found is None or found[0] is not rules:
        if len(_char_maps) > 32:  # rule files loaded again and again (tests): forget the old ones
            _char_maps.clear()
        conf = rules.confusables
        found = _char_maps[id(rules)] = (rules, CharMap(lambda ch: _fold_char(ch, conf), ascii_map=_fold_ascii))
    return found[1]


def _fold_char(ch: str, confusables: dict[str, str]) -> str:
    """A character other than ASCII as the rules read it. What is left outside ASCII after
    folding (another script, a symbol, a lone surrogate) is a space now rather than at the
    end (``_KEEP``): every step between reads only ASCII, so nothing changes, except that a
    run of them is one gap for those steps to pass over."""
    if unicodedata.category(ch) == "Cf":  # zero-width space/joiner, soft hyphen, BOM, direction marks
        return ""
    c = confusables.get(ch) or confusables.get(ch.lower()) or ch
    c = unicodedata.normalize("NFKD", c.lower())
    out = "".join(confusables.get(x, x) for x in c if not unicodedata.combining(x))
    out = "".join(x if x.isascii() or x.isspace() else " " for x in out)
    return _SPACES.sub(" ", out) if "  " in out else out  # a syllable of another script: one gap


def _fold_ascii(ch: str) -> str:
    """Control characters are spaces now rather than at the end, like ``_fold_char``'s."""
    return ch.lower() if ch.isprintable() or ch.isspace() else " "


def _drop(s: str, origin: list[int] | None, drop: list[int]) -> tuple[str, list[int]]:
    if origin is None:
        origin = list(range(len(s)))
    parts: list[str] = []
    omap: list[int] = []
    prev = 0
    for i in drop:
        parts.append(s[prev:i])
        omap.extend(origin[prev:i])
        prev = i + 1
    parts.append(s[prev:])
    omap.extend(origin[prev:])
    return "".join(parts), omap


def normalise(text: str, rules: RuleSet) -> tuple[str, list[int] | None]:
    """Return (normalised text, origin) where origin[i] is the index in
    ``text`` of normalised character i (``None`` means identity). A run of four or
    more copies of an emoji is read as three, and a run of separators as one."""
    text, thinned = thin_symbol_runs(text)
    s, origin = _char_map(rules)(text)
    origin = compose(thinned, origin)
    if _SPACE_RUN.search(s):  # the 2,000 gaps of 2,000 emoji or control characters as one
        s, origin = _collapse_space_runs(s, origin)

    # leetspeak inside tokens that also contain letters (same length)
    if rules.leet_token is not None:
        exempt = rules.leet_exempt
        table = rules.leet_table

        def _leet(m: re.Match[str]) -> str:
            tok = m.group(0)
            if exempt is not None and exempt.match(tok):
                return tok
            return tok.translate(table)

        s = rules.leet_token.sub(_leet, s)

    # apostrophes vanish: "don't" -> "dont", "i'm" -> "im"
    if "'" in s:
        s, origin = _drop(s, origin, [i for i, c in enumerate(s) if c == "'"])

    # masked letters restored from the risk words of the same length: "k*ll" -> "kill"
    if rules.unmask and "*" in s:
        s = _MASKED.sub(lambda m: _unmask(m.group(0), rules.unmask), s)

    # common misspellings repaired as whole words: "sucide" -> "suicide"
    if rules.spelling_regex is not None:
        s, origin = _respell(s, origin, rules)

    # punctuation: inside words -> space; other symbols/emoji -> space (same length)
    s = _INNER_PUNCT.sub(lambda m: " " * len(m.group(0)), s)
    s = _KEEP.sub(" ", s)

    # a run of separators reads as one: 2,000 control characters or emoji are one gap, not
    # 2,000 places where a phrase might start
    if _SPACE_RUN.search(s):
        s, origin = _collapse_space_runs(s, origin)

    # "k i l l  m y s e l f" -> "killmyself"
    n = rules.join_single_letters
    if n > 1:
        runs = _single_letter_runs(n).finditer(s)
        drop: list[int] = []
        for m in runs:
            drop.extend(i for i in range(m.start(), m.end()) if s[i].isspace())
        if drop:
            s, origin = _drop(s, origin, drop)
    return s, origin


_SPACE_RUN = re.compile(r"\s{2,}")
_SPACES = re.compile(r" {2,}")


def _collapse_space_runs(s: str, origin: list[int] | None) -> tuple[str, list[int]]:
    """Each run of two or more white-space characters as one: a line break if it holds one."""
    keep = bytearray(b"\x01") * len(s)
    for m in _SPACE_RUN.finditer(s):
        start, end = m.span()
        newline = s.find("\n", start, end)
        keep[start:end] = bytes(end - start)
        keep[newline if newline >= 0 else start] = 1
    return "".join(compress(s, keep)), list(compress(range(len(s)) if origin is None else origin, keep))


_MASKED = re.compile(r"(?<![a-z0-9*])(?=[a-z*]*[a-z])[a-z]*\*[a-z*]*(?![a-z0-9])")


def _unmask(token: str, words: dict[int, tuple[str, ...]]) -> str:
    """The one risk word that ``token`` spells with some letters starred out, else ``token``.

    At least half the letters must be visible, and the first one, so "****" or "*ie"
    stay as they are."""
    if token[0] == "*" or token.count("*") * 2 > len(token):
        return token
    found = None
    for w in words.get(len(token), ()):
        if all(t == "*" or t == c for t, c in zip(token, w)):
            if found is not None and found != w:
                return token  # ambiguous
            found = w
    return found or token


def _respell(s: str, origin: list[int] | None, rules: RuleSet) -> tuple[str, list[int] | None]:
    rx = rules.spelling_regex
    if rx is None or rx.search(s) is None:
        return s, origin
    if origin is None:
        origin = list(range(len(s)))
    parts: list[str] = []
    omap: list[int] = []
    prev = 0
    for m in rx.finditer(s):
        a, b = m.span()
        parts.append(s[prev:a])
        omap.extend(origin[prev:a])
        new = rules.spelling[m.group(0)]
        parts.append(new)
        # every repaired character points into the misspelt word
        omap.extend(origin[a + min(k, b - a - 1)] for k in range(len(new)))
        prev = b
    parts.append(s[prev:])
    omap.extend(origin[prev:])
    return "".join(parts), omap


_runs_cache: dict[int, re.Pattern[str]] = {}


def _single_letter_runs(n: int) -> re.Pattern[str]:
    rx = _runs_cache.get(n)
    if rx is None:
        rx = re.compile(r"(?<![a-z0-9*])[a-z](?:\s+[a-z](?![a-z0-9*])){%d,}" % (n - 1))
        _runs_cache[n] = rx
    return rx


def to_original(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Map a normalised [start, end) span back to the original text."""
    if origin is None:
        return start, end
    if end <= start:
        o = origin[start] if start < len(origin) else (origin[-1] + 1 if origin else 0)
        return o, o
    return origin[start], origin[end - 1] + 1
