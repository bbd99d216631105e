"""What text from outside may contain, and how deep its JSON may nest.

Pure (no Django): the REST parser (``support.api.parsers``) and the socket
base (``support.ws``) both ask here, so a body and a frame are held to one
rule. Refused before anything is stored:

* NUL and the other C0 control characters except tab, line feed and carriage
  return (PostgreSQL cannot store NUL in text; the rest are invisible and
  have no place in what people write);
* lone surrogates (``\\ud800``–``\\udfff`` escapes not forming a pair), which
  are not text at all and cannot be encoded as UTF-8;
* JSON nested deeper than the caller's limit.
"""

from __future__ import annotations

import re
from typing import Any

INVALID_TEXT = "invalid_text"
INVALID_TEXT_MESSAGE = "The text contains characters that can't be stored (control characters or broken Unicode)."
TOO_DEEP = "json_too_deep"
TOO_DEEP_MESSAGE = "The JSON is nested too deeply (at most {limit} levels)."

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def is_valid_text(value: str) -> bool:
    return _INVALID.search(value) is None


def json_problem(value: Any, *, max_depth: int) -> tuple[str, str] | None:
    """(code, message) for the first thing wrong with a decoded JSON value, or None.

    Walks with an explicit stack, so no nesting can exhaust Python's recursion.
    A scalar at the top is depth 0; each object or array adds one level.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not is_valid_text(item):
                return INVALID_TEXT, INVALID_TEXT_MESSAGE
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                return TOO_DEEP, TOO_DEEP_MESSAGE.format(limit=max_depth)
            if isinstance(item, dict):
                for key, child in item.items():
                    if not is_valid_text(key):
                        return INVALID_TEXT, INVALID_TEXT_MESSAGE
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
    return None
