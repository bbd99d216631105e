"""Hearth's message risk classifier (pure Python, no Django).

    >>> from safety.classifier import assess, AssessmentContext, Level
    >>> assess("i have the pills saved up", AssessmentContext(recent_texts=("i want to die",))).level
    <Level.IMMINENT: 3>

``assess`` screens one chat message for suicide/self-harm risk, harm to
others, abuse (including a minor at risk), personal information, listener
misconduct and harassment. ``mask_personal_info`` replaces phone numbers,
emails, addresses, handles and links with placeholders.

Rules live in ``rules/<language>.toml`` (format: docs/safety-rules.md) and
are compiled once per process. A model-based assessor can replace or follow
this one through ``safety.classifier.backends.get_assessor``.
"""

from __future__ import annotations

from .engine import assess
from .pii import mask_personal_info
from .rules import get_rules, load_rule_file
from .types import (
    Assessment,
    AssessmentContext,
    Category,
    Level,
    MaskResult,
    RuleFileError,
    Span,
)

__all__ = [
    "Assessment",
    "AssessmentContext",
    "Category",
    "Level",
    "MaskResult",
    "RuleFileError",
    "Span",
    "assess",
    "get_rules",
    "load_rule_file",
    "mask_personal_info",
]
