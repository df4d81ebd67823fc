"""The chart's lines have gaps only where data is missing: the dotted "a year earlier" line
(and a line of one-character markers) follows steep slopes row by row, where plotext's own
line of a one-character marker left broken segments (seen at 120x40 on data/)."""

import math

import pytest

from kpi_tui.ui.widgets.chart import ChartSpec, dotted_line, draw


def test_dotted_line_points_a_cell_apart():
    pts = dotted_line([(0, 60.0), (1, 120.0), (3, 60.0)], 10.0, 0.2, 1.0)
    assert pts[0] == (0.0, 60.0) and pts[-1] == (3.0, 60.0) and (1.0, 120.0) in pts
    steps = [math.hypot((x1 - x0) * 10, (y1 - y0) * 0.4) for (x0, y0), (x1, y1)
             in zip(pts, pts[1:])]
    assert max(steps) <= 1 + 1e-9 and min(steps) > 0.9  # 60 € up in one period: 24 rows of dots


def plot_rows(text: str) -> list[str]:
    """The plot area's rows: between the frame's top and bottom lines, inside the frame."""
    lines = text.splitlines()
    top = next(i for i, ln in enumerate(lines) if "┌" in ln)
    bottom = next(i for i, ln in enumerate(lines) if "└" in ln)
    return [ln[min(ln.find(c) for c in "┤│" if c in ln) + 1:].rstrip("│ ")
            for ln in lines[top + 1:bottom]]


@pytest.mark.parametrize("marker, mark", [("braille", None), ("*", "*")])
def test_a_steep_year_earlier_line_has_no_gap(marker, mark):
    """Only a year-earlier series rising 60 € in one period: every row between its lowest and
    highest point holds some of it."""
    spec = ChartSpec((None, None, None), (60.0, 120.0, 120.0), ((0, "a"), (1, "b"), (2, "c")),
                     None, 40, 14, "dark", marker)
    rows = plot_rows(draw(spec).plain)
    if mark is None:
        hit = [any(0x2800 < ord(c) <= 0x28FF for c in r) for r in rows]
    else:
        hit = ["-" in r for r in rows]  # the year line's mark beside a '*' value line
    first, last = hit.index(True), len(hit) - 1 - hit[::-1].index(True)
    assert last - first >= 8 and all(hit[first:last + 1]), rows


@pytest.mark.parametrize("marker, value, year", [("braille", "──", "··"), ("*", "**", "--"),
                                                 ("dot", "••", "--")])
def test_the_legend_shows_the_lines_as_drawn(marker, value, year):
    spec = ChartSpec((80.0, 90.0, 100.0), (70.0, 75.0, 80.0), ((0, "a"), (1, "b"), (2, "c")),
                     None, 80, 14, "dark", marker)
    top = next(ln for ln in draw(spec).plain.splitlines() if "┌" in ln)
    assert f" {value} average customer value   {year} same period a year earlier " in top
