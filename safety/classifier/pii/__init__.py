"""Masking of contact details: phone numbers, e-mails, handles, links, addresses.

The text is folded first (``fold.py``: zero-width characters, look-alikes,
fullwidth and other digit forms), the folded text is searched
(``detect.py``: spaced and word-spelled digits, "at"/"dot" spelled out,
platform names with a handle, bare domains), and every stretch found is
mapped back and masked in the ORIGINAL text. Helpline numbers (988, 116 123,
741741, ...) and ordinary numbers (ages, times, prices, dates, counts) stay.

The word lists are English; other languages use them too until they have
their own, which masks more than nothing.
"""

from __future__ import annotations

import functools

from ..types import Category, MaskResult, Span
from .detect import find
from .fold import fold, to_original

PLACEHOLDERS = {
    "phone": "[phone removed]",
    "email": "[email removed]",
    "handle": "[handle removed]",
    "link": "[link removed]",
    "address": "[address removed]",
}


def _mask(text: str) -> tuple[str, tuple[Span, ...], frozenset[str]]:
    folded, origin = fold(text)
    found = find(folded)
    if not found:
        return text, (), frozenset()
    # map to the original and merge overlaps: a phone inside a wa.me link, a
    # handle inside a profile URL, "@name" found by two finders are one stretch,
    # of the kind found first
    stretches = sorted(
        (*to_original(origin, s, e, len(text)), order, kind) for order, (s, e, kind) in enumerate(found) if e > s
    )
    merged: list[list] = []
    for s, e, order, kind in stretches:
        if merged and s < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], e)
            if order < last[2]:
                last[2], last[3] = order, kind
            continue
        merged.append([s, e, order, kind])
    out: list[str] = []
    pos = 0
    for s, e, _, kind in merged:
        out.append(text[pos:s])
        out.append(PLACEHOLDERS[kind])
        pos = e
    out.append(text[pos:])
    spans = tuple(Span(s, e, Category.PERSONAL_INFO, f"pii.{kind}") for s, e, _, kind in merged)
    return "".join(out), spans, frozenset(kind for *_, kind in merged)


@functools.lru_cache(maxsize=1024)
def mask_for_language(text: str, language: str) -> tuple[str, tuple[Span, ...], frozenset[str]]:
    """The masking of ``text``, remembered: screening a message masks it once for
    the assessment and asks again for the text it stores."""
    return _mask(text)


def mask_personal_info(text: str, language: str = "en") -> MaskResult:
    """Replace contact details with placeholders like "[phone removed]".

    ``spans`` point into the original ``text``. Never raises on any string.
    """
    masked, spans, kinds = mask_for_language(text or "", language or "en")
    return MaskResult(masked, spans, kinds)


__all__ = ["PLACEHOLDERS", "mask_for_language", "mask_personal_info"]
