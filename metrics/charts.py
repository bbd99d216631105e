"""Charts drawn on the server as inline SVG: no script, no style attribute, nothing the CSP refuses.

Only SVG presentation attributes (``fill``, ``stroke`` …) carry the looks, so
the page keeps ``style-src 'self'``. Each chart is an image with a title and a
description; the numbers themselves are in the table beside it, which is what
screen readers and the CSV read. Hidden and empty cells are left out of the
drawing (a gap in a line, no bar), never drawn as zero.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from metrics.selectors import Figure, hidden_label

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 44
# Dark enough on white for text and lines (WCAG AA 4.5:1 and 3:1), and told apart by more than hue: lines are dashed.
COLOURS = ("#1d4f91", "#a3400c", "#2e6b30", "#6b2e6b")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
AXIS = "#4a4a4a"
GRID = "#d9d9d9"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value:,.0f}"


def _x_label(figure: Figure, row: list) -> str:
    return " · ".join(str(row[figure.column(key)]) for key in figure.chart.x)


def _label_step(n: int) -> int:
    if n == 168:
        return 24  # hours of the week: one label a day
    return max(1, math.ceil(n / 10))


def chart_svg(figure: Figure) -> SafeString:
    """The figure's chart as an ``<svg>`` element, safe to insert in a page."""
    chart = figure.chart
    series = [figure.column(key) for key in chart.series]
    rows = figure.rows
    legend, lx, ly = [], LEFT, 10
    for s_index, column in enumerate(series):
        name = figure.columns[column].label
        width = 24 + 7 * len(name)
        if lx + width > WIDTH - RIGHT and lx > LEFT:
            lx, ly = LEFT, ly + 18  # wrap the legend rather than run off the edge
        legend.append((lx, ly, COLOURS[s_index % len(COLOURS)], name))
        lx += width
    top_margin = TOP + ly - 10
    values = [
        row[i] for row in rows for i in series if isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
    ]
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - top_margin - BOTTOM
    n = max(1, len(rows))
    slot = plot_w / n

    def y(value: float) -> float:
        return top_margin + plot_h - (value / top) * plot_h

    title_id, desc_id = f"chart-{figure.key}-title", f"chart-{figure.key}-desc"
    names = [figure.columns[i].label for i in series]
    unit = f" (in {'seconds' if chart.unit == 's' else chart.unit})" if chart.unit else ""
    desc = (
        f"{' and '.join(names)}{unit} by {figure.columns[figure.column(chart.x[0])].label.lower()}. "
        f"Cells with {hidden_label()} are left out. The table below gives every number."
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(figure.title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    # Grid and y axis labels.
    for tick in range(5):
        value = top * tick / 4
        ty = y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="{AXIS}">{_number(value)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{top_margin + plot_h}" x2="{WIDTH - RIGHT}" y2="{top_margin + plot_h}" stroke="{AXIS}" stroke-width="1"/>'
    )
    # X labels.
    step = _label_step(len(rows))
    for index in range(0, len(rows), step):
        label = _x_label(figure, rows[index])
        if len(rows) == 168:
            label = label.split(" ")[0]  # "Mon 00:00" → "Mon": the day starts here
        cx = LEFT + slot * index + (slot / 2 if len(rows) != 168 else 0)
        anchor = "start" if len(rows) == 168 else "middle"
        parts.append(
            f'<text x="{cx:.1f}" y="{top_margin + plot_h + 16}" text-anchor="{anchor}" font-size="11" fill="{AXIS}">'
            f"{escape(label[:24])}</text>"
        )
    # Data.
    for s_index, column in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        if chart.kind == "bar":
            bar_w = slot * 0.8 / len(series)
            for index, row in enumerate(rows):
                value = row[column]
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    continue
                bx = LEFT + slot * index + slot * 0.1 + bar_w * s_index
                parts.append(
                    f'<rect x="{bx:.1f}" y="{y(value):.1f}" width="{max(bar_w - 1, 1):.1f}" '
                    f'height="{top_margin + plot_h - y(value):.1f}" fill="{colour}"/>'
                )
        else:
            run: list[str] = []
            runs: list[list[str]] = []
            for index, row in enumerate(rows):
                value = row[column]
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    if run:
                        runs.append(run)
                    run = []
                    continue
                run.append(f"{LEFT + slot * index + slot / 2:.1f},{y(value):.1f}")
            if run:
                runs.append(run)
            dash = f' stroke-dasharray="{DASHES[s_index % len(DASHES)]}"' if DASHES[s_index % len(DASHES)] else ""
            for points in runs:
                if len(points) == 1:
                    px, py = points[0].split(",")
                    parts.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{colour}"/>')
                else:
                    parts.append(
                        f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
                    )
    for lx, ly, colour, name in legend:
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly + 10}" font-size="12" fill="#1a1a1a">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped, every number formatted
