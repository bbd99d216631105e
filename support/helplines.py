"""Crisis resources per country, from a data file staff can edit, and the one rule that orders them."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "helplines.json"
AGE_GROUPS = ("teen", "adult")
AUDIENCES = frozenset({"all", *AGE_GROUPS})
_DIALABLE = re.compile(r"^\+?[0-9]{2,15}$")

# Who comes first. Urgent (imminent risk, an attempt in progress): emergency services, then the
# crisis lines, then the rest. Otherwise the crisis and youth lines a person can talk to come
# before the emergency number, which is still on the list.
_URGENT_ORDER = {"emergency": 0, "crisis": 1, "youth": 2, "abuse": 3, "directory": 9}
_CALM_ORDER = {"crisis": 0, "youth": 1, "abuse": 2, "emergency": 3, "directory": 9}


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[dict[str, list[dict]], dict[str, str]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"Cannot read helplines file {path}: {exc}") from None
    names = data.get("_countries") or {}
    lines = {
        key.upper(): [_with_links(line) for line in value] for key, value in data.items() if not key.startswith("_")
    }
    for code, entries in lines.items():
        for line in entries:
            if line["audience"] not in AUDIENCES:
                raise ImproperlyConfigured(
                    f"Helpline {line.get('name')!r} ({code}) has an unknown audience {line['audience']!r}."
                )
    return lines, {code.upper(): str(name) for code, name in names.items()}


def _with_links(line: dict) -> dict:
    """The line as shown, with ``links``: tap-to-call (``tel:``), tap-to-text (``sms:`` with its
    keyword as the body) and the web address, each with a label a screen reader can say."""
    shown = {key: value for key, value in line.items() if key not in {"call", "text", "url"}}
    shown.setdefault("audience", "all")
    shown.setdefault("hours", "")
    links = []
    call = str(line.get("call") or "")
    if call:
        if not _DIALABLE.match(call):
            raise ImproperlyConfigured(f"Helpline {line.get('name')!r}: {call!r} is not a number to call.")
        links.append({"kind": "call", "href": f"tel:{call}", "label": f"Call {line['name']}"})
    text = line.get("text") or None
    if text:
        number, body = str(text.get("number") or ""), str(text.get("body") or "")
        if not _DIALABLE.match(number):
            raise ImproperlyConfigured(f"Helpline {line.get('name')!r}: {number!r} is not a number to text.")
        href = f"sms:{number}" + (f"?&body={quote(body)}" if body else "")
        links.append({"kind": "text", "href": href, "label": f"Text {line['name']}" + (f" ({body})" if body else "")})
    url = str(line.get("url") or "")
    if url:
        if not url.startswith("https://"):
            raise ImproperlyConfigured(f"Helpline {line.get('name')!r}: links must be https.")
        links.append({"kind": "web", "href": url, "label": f"Open {line['name']}"})
    shown["links"] = links
    return shown


def _data() -> tuple[dict[str, list[dict]], dict[str, str]]:
    return _load(os.environ.get("SAFETY_HELPLINES_FILE") or str(DEFAULT_FILE))


def default_country() -> str:
    from django.conf import settings  # settings are read per call, never at import

    return (settings.SAFETY_DEFAULT_COUNTRY or "").upper()


def countries() -> list[dict]:
    """The countries a seeker may choose, by name: ``{"code", "name"}``."""
    lines, names = _data()
    return sorted(
        ({"code": code, "name": names.get(code, code)} for code in lines if code != "ANY"), key=lambda c: c["name"]
    )


def helplines_for(country: str | None = None, age_group: str | None = None, urgent: bool = False) -> list[dict]:
    """The crisis resources to show, in the order to show them.

    ``country`` (ISO code; the deployment's default when empty or unknown) picks its lines, then
    those shown everywhere. Lines for another age group are left out (no child line for an adult,
    no adult-only line for a teen; an unknown age keeps every line). ``urgent`` (imminent risk)
    puts emergency services first; otherwise the lines a person can talk to come first. Within a
    kind, the data file's order stands.
    """
    lines, _ = _data()
    code = (country or "").upper()
    if code not in lines or code == "ANY":
        code = default_country()
    chosen = [*lines.get(code, []), *lines.get("ANY", [])]
    if age_group in AGE_GROUPS:
        chosen = [line for line in chosen if line["audience"] in {"all", age_group}]
    order = _URGENT_ORDER if urgent else _CALM_ORDER
    ranked = sorted(enumerate(chosen), key=lambda item: (order.get(item[1].get("kind", ""), 5), item[0]))
    return [dict(line, links=[dict(link) for link in line["links"]]) for _, line in ranked]


def helpline_choices() -> dict:
    """Everything the seeker's page needs to let them choose their country (rendered with
    ``json_script``): the countries, the default, and per country, per age group (``teen``,
    ``adult``, ``unknown``) the lines in both orders (``calm``, ``urgent``), so the browser picks
    a list and never filters or orders one itself."""
    listed = countries()
    return {
        "default_country": default_country(),
        "countries": listed,
        "lines": {
            entry["code"]: {
                age or "unknown": {
                    "calm": helplines_for(entry["code"], age, urgent=False),
                    "urgent": helplines_for(entry["code"], age, urgent=True),
                }
                for age in (*AGE_GROUPS, None)
            }
            for entry in listed
        },
    }
