"""One figure, three shapes: JSON for the API, text for the page's tables, rows for the CSV.

A hidden cell is ``null`` in JSON with its column named in the row's
``hidden`` list, "fewer than N" in the page and the CSV; an empty one is
``null``, "–" and an empty CSV field.
"""

from __future__ import annotations

import csv
import io

from metrics.selectors import HIDDEN, Figure, hidden_label, min_count


def figure_payload(figure: Figure) -> dict:
    rows = []
    for row in figure.rows:
        values = {}
        hidden = []
        for column, value in zip(figure.columns, row, strict=True):
            if value is HIDDEN:
                hidden.append(column.key)
                value = None
            values[column.key] = value
        values["hidden"] = hidden
        rows.append(values)
    return {
        "key": figure.key,
        "title": figure.title,
        "caption": figure.caption,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in figure.columns],
        "rows": rows,
    }


def dashboard_payload(*, flt, figures: list[Figure]) -> dict:
    return {
        "from": flt.date_from.isoformat(),
        "to": flt.date_to.isoformat(),
        "topic": flt.topic.slug if flt.topic else None,
        "min_count": min_count(),
        "figures": {figure.key: figure_payload(figure) for figure in figures},
    }


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def cell_text(value, kind: str) -> str:
    if value is HIDDEN:
        return hidden_label()
    if value is None:
        return "–"
    if kind == "seconds":
        return _duration(value)
    if kind == "percent":
        return f"{value:g} %"
    if kind in ("hours", "ratio"):
        return f"{value:g}"
    return str(value)


def figure_table(figure: Figure) -> dict:
    """Header labels and rows of (text, is_number) for the page's table."""
    return {
        "headers": [column.label for column in figure.columns],
        "rows": [
            [
                (cell_text(value, column.kind), column.kind != "text")
                for column, value in zip(figure.columns, row, strict=True)
            ]
            for row in figure.rows
        ],
    }


def figure_csv(figure: Figure) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.key for column in figure.columns])
    for row in figure.rows:
        writer.writerow([hidden_label() if value is HIDDEN else ("" if value is None else value) for value in row])
    return out.getvalue()
