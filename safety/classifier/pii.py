"""Masking of personal information (phone numbers, emails, addresses,
social handles, links). Patterns come from the ``[pii]`` section of the rule
file and run on the original text."""

from __future__ import annotations

import functools
import re

from .rules import RuleSet, get_rules
from .types import Category, MaskResult, Span

_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_NON_DIGIT = re.compile(r"\D")


def _keep_phone(candidate: str, rules: RuleSet) -> bool:
    digits = _NON_DIGIT.sub("", candidate)
    if digits in rules.helplines:
        return False
    if not 7 <= len(digits) <= 15:
        return False
    if _DATE.match(candidate.strip()):
        return False  # 12.05.2024, 2019-05-12
    return True


def mask_with_rules(text: str, rules: RuleSet) -> tuple[str, tuple[Span, ...], frozenset[str]]:
    lowered = text.lower()
    taken: list[tuple[int, int, str, str]] = []  # start, end, kind, placeholder
    for pat in rules.pii_patterns:
        if pat.requires is not None and not pat.requires.search(lowered):
            continue
        for m in pat.regex.finditer(text):
            if pat.group:
                s, e = m.span(pat.group)
                if s < 0:
                    continue
                value = m.group(pat.group)
                if value.lower().strip(".") in rules.handle_stopwords:
                    continue
            else:
                s, e = m.span()
                value = m.group(0)
            if e <= s:
                continue
            if pat.kind == "phone" and any(c.isdigit() for c in value) and not _keep_phone(value, rules):
                continue
            if any(s < te and ts < e for ts, te, _, _ in taken):
                continue
            taken.append((s, e, pat.kind, pat.placeholder))
    if not taken:
        return text, (), frozenset()
    taken.sort()
    out: list[str] = []
    pos = 0
    for s, e, _, placeholder in taken:
        out.append(text[pos:s])
        out.append(placeholder)
        pos = e
    out.append(text[pos:])
    spans = tuple(Span(s, e, Category.PERSONAL_INFO, f"pii.{kind}") for s, e, kind, _ in taken)
    return "".join(out), spans, frozenset(k for _, _, k, _ in taken)


@functools.lru_cache(maxsize=1024)
def mask_for_language(text: str, language: str) -> tuple[str, tuple[Span, ...], frozenset[str]]:
    """``mask_with_rules`` with the language's rules, remembered: screening a message
    masks it once for the assessment and asks again for the text it stores."""
    return mask_with_rules(text, get_rules(language))


def mask_personal_info(text: str, language: str = "en") -> MaskResult:
    """Replace personal information with placeholders like "[phone removed]".

    ``spans`` point into the original ``text``; helpline numbers (988,
    116 123, 741741, ...) and ordinary numbers are left alone.
    """
    masked, spans, kinds = mask_for_language(text or "", language)
    return MaskResult(masked, spans, kinds)
