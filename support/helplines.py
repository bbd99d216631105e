"""Crisis resources per country, from a data file staff can edit."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "helplines.json"


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, list[dict]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"Cannot read helplines file {path}: {exc}") from None
    return {key: value for key, value in data.items() if not key.startswith("_")}


def helplines_for(country: str | None = None) -> list[dict]:
    """Country-specific resources first, then the ones shown everywhere."""
    from django.conf import settings

    path = os.environ.get("SAFETY_HELPLINES_FILE") or str(DEFAULT_FILE)
    data = _load(path)
    code = (country or settings.SAFETY_DEFAULT_COUNTRY or "").upper()
    return [*data.get(code, []), *data.get("ANY", [])]
