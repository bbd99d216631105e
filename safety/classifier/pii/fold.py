"""Folding a message for contact-detail detection, with a map back to the original.

Masking needs its own normalisation: the risk normaliser drops apostrophes and
punctuation, while here digits, "@", ".", "/" and "#" carry the meaning. The
folded text is lower case; zero-width and other format characters, combining
marks (keycaps, strike-throughs, accents) and variation selectors vanish;
look-alike letters (Cyrillic, Greek), fullwidth, mathematical, circled and
superscript forms and every script's decimal digits become ASCII. Every folded
character remembers the index of the original character it came from, so a
stretch found in the folded text masks the right stretch of the original.
"""

from __future__ import annotations

import unicodedata

from ..charmap import CharMap

# Letters that look like Latin ones but that NFKC leaves alone.
_CONFUSABLES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "ɡ": "g",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    "ь": "b",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ς": "c",
    # punctuation that stands in for "@", "." and "/"
    "。": ".",
    "｡": ".",
    "·": ".",
    "•": ".",
    "∙": ".",
    "⋅": ".",
    "․": ".",
    "‧": ".",
    "⁄": "/",
    "∕": "/",
    "⧸": "/",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "´": "'",
}


def _fold_char(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Mn", "Me"):
        out = ""  # zero-width joiners, soft hyphens, direction marks, keycaps, accents
    elif cat in ("Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"):
        out = " "  # controls, lone surrogates, unassigned: a plain separator
    else:
        d = unicodedata.decimal(ch, None)
        if d is not None:
            out = str(d)
        else:
            out = _CONFUSABLES.get(ch) or _CONFUSABLES.get(ch.lower())
            if out is None:
                c = unicodedata.normalize("NFKC", ch).lower()
                c = unicodedata.normalize("NFKD", c)
                out = "".join(_CONFUSABLES.get(x, x) for x in c if not unicodedata.combining(x))
    return out


_CHAR_MAP = CharMap(_fold_char)  # each character is folded once per process


def fold(text: str) -> tuple[str, list[int] | None]:
    """Return (folded text, origin); ``origin[i]`` is the index in ``text`` of folded
    character ``i``, and ``None`` means the two line up one to one."""
    return _CHAR_MAP(text)


def to_original(origin: list[int] | None, start: int, end: int, length: int) -> tuple[int, int]:
    """Map a folded [start, end) stretch (end > start) back to the original text of
    ``length`` characters. Characters folding dropped right after the stretch (the
    keycap of "3️⃣", a zero-width space) go with it, so no stray mark is left."""
    if origin is None:
        return start, end
    return origin[start], max(origin[end], origin[end - 1] + 1) if end < len(origin) else length
