"""The server-drawn charts: hidden cells are not drawn, text is escaped, nothing needs a style attribute."""

from __future__ import annotations

from metrics.charts import chart_svg
from metrics.selectors import HIDDEN, Chart, Column, Figure


def figure(rows, kind="bar"):
    return Figure(
        key="demo",
        title="Demo <b>title</b>",
        caption="c",
        columns=[Column("x", "X", "text"), Column("a", "Alpha"), Column("b", "Beta")],
        rows=rows,
        chart=Chart(x=("x",), series=("a", "b"), kind=kind),
    )


def test_a_bar_is_drawn_for_each_visible_cell_and_none_for_hidden_or_empty_ones(settings):
    svg = chart_svg(figure([["one", 5, HIDDEN], ["two", None, 7]]))
    assert svg.count("<rect") == 2 + 2  # two bars, two legend swatches
    assert "Demo &lt;b&gt;title&lt;/b&gt;" in svg
    assert "style" not in svg and "<script" not in svg
    assert 'role="img"' in svg and "fewer than 5 are left out" in svg


def test_a_line_breaks_at_a_hidden_cell():
    svg = chart_svg(figure([["1", 5, 5], ["2", 6, HIDDEN], ["3", HIDDEN, 7], ["4", 8, 8]], kind="line"))
    # Alpha: 1–2 joined, 4 alone; Beta: 1 alone, 3–4 joined.
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 2
