"""History chart: average customer value per period, the same periods a year earlier.

plotext takes tens of milliseconds to draw a wall-sized chart, so the drawing runs in a thread
worker and the finished text is swapped in; the rest of the screen never waits for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import work
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from kpi_tui.fmt import money
from kpi_tui.ui import glyphs
from kpi_tui.ui.model import short_label, year_ago_series
from kpi_tui.ui.text import plain_spaces

MARKERS = {"braille": "braille", "hd": "hd", "fhd": "fhd", "dot": "dot", "plain": "•",
           "ascii": "*"}


def marker_for(name: str | None) -> str:
    """plotext marker from --marker: braille (default), hd, dot, ascii, or any one character."""
    if not name:
        return "braille"
    return MARKERS.get(name.lower(), name[:1])


@dataclass(frozen=True)
class ChartSpec:
    """Everything one drawing needs (plain data, safe to hand to a thread)."""

    values: tuple  # acv per shown period (None = no active customer)
    year: tuple  # acv of the same period a year earlier
    ticks: tuple  # (x, label)
    selected: int | None  # x of the selected period
    width: int
    height: int
    theme: str
    marker: str
    currency: str | None = None
    locale: str = "en"
    ascii: bool = False  # ui.glyphs: '+-|' frame, '*' points, EUR


def round_ticks(lo: float, hi: float, n: int) -> list[float]:
    """About n ticks at round values (1, 2, 2.5, 5 × 10^k) covering lo..hi."""
    if hi <= lo:
        hi, lo = lo + 1, lo - 1
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    count = int(math.ceil((hi - first) / step - 1e-9)) + 1
    return [round(first + i * step, 10) for i in range(count)]


def tick_label(v: float, step: float, cur: str | None, loc: str) -> str:
    """`€100` (whole units when the step allows, else cents)."""
    whole = abs(step - round(step)) < 1e-9
    return plain_spaces(money(v, cur, loc, decimals=0 if whole else 2))


def runs(values) -> list[list[tuple[int, float]]]:
    """Runs of defined values: no line is drawn across empty periods."""
    out, run = [], []
    for x, v in enumerate(values):
        if v is None:
            run = []
        else:
            if not run:
                out.append(run)
            run.append((x, v))
    return out


def dotted_line(run: list[tuple[int, float]], per_x: float, per_y: float,
                gap: float) -> list[tuple[float, float]]:
    """Points along the run's straight segments, `gap` cells apart (`per_x` cells a period,
    `per_y` cells a unit of value; a row is about two columns high): a dotted line at fine
    markers' resolution that follows every slope, where plotext's own line of a one-character
    marker would leave gaps."""
    out = [(float(x), y) for x, y in run[:1]]
    for (x0, y0), (x1, y1) in zip(run, run[1:]):
        length = math.hypot((x1 - x0) * per_x, (y1 - y0) * per_y * 2)
        n = max(1, math.ceil(length / gap))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return out


LEGEND = (("average customer value", "cyan"), ("same period a year earlier", "bright_black"))


def draw(spec: ChartSpec) -> Text:
    """The plot, its legend on the frame (never over the line), y ticks at round values."""
    plt = Plot()
    height = spec.height
    plt.plotsize(spec.width, height)
    plt._set_size(spec.width, height)
    plt.theme(spec.theme)
    fine = spec.marker in ("braille", "hd", "fhd", "sd")
    known = [v for v in spec.values + spec.year if v is not None]
    span = (max(known) - min(known)) or 1.0 if known else 1.0
    cells = (spec.width / max(1, len(spec.values)), height / span)  # per period, per unit
    drawn = False
    for values, color, dotted in ((spec.year, "gray", True), (spec.values, "cyan", False)):
        marker = spec.marker if fine or not dotted else "-"
        for r in runs(values):
            drawn = True
            if fine and not dotted:  # a solid line
                plt.plot([p[0] for p in r], [p[1] for p in r], marker=marker, color=color)
            else:  # points along it: plotext's line of one character leaves gaps on slopes
                r = dotted_line(r, *cells, 1.0 if dotted else 0.5)
                plt.scatter([p[0] for p in r], [p[1] for p in r], marker=marker, color=color)
    sx = spec.selected
    if sx is not None:
        plt.vline(sx, "orange")
        if spec.values[sx] is not None:
            plt.scatter([sx], [spec.values[sx]], marker="●", color="orange")
    if spec.ticks:
        plt.xticks([t[0] for t in spec.ticks], [t[1] for t in spec.ticks])
    if known:
        ys = round_ticks(min(known), max(known), max(2, min(6, height // 3)))
        step = ys[1] - ys[0] if len(ys) > 1 else 1.0
        plt.ylim(ys[0], ys[-1])
        labels = [tick_label(y, step, spec.currency, spec.locale) for y in ys]
        plt.yticks(ys, [glyphs.text(t) for t in labels] if spec.ascii else labels)
    if not drawn:
        plt.title("no data yet")
    point = spec.marker if len(spec.marker) == 1 else "•"  # plotext's "dot" draws a •
    marks = ("──", "··") if fine else (point * 2, "--")  # as the lines are drawn
    out = with_legend(Text.from_ansi(plt.build()), spec.width, marks)
    if spec.ascii:
        out.plain = glyphs.same_width(out.plain)
    return out


SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.-=+*%#"
SPARK_BELOW = 6  # rows: a lower chart is one line of blocks (plotext needs room for its frame)


def sparkline(spec: ChartSpec, first: str, last: str) -> Text:
    """`Jan ▂▃▅█▆ Mar  €80–€120` in one row: the value per period, the chosen one in orange."""
    known = [v for v in spec.values if v is not None]
    out = Text(no_wrap=True, overflow="crop")
    if not known:
        return out.append("no data yet", style="dim")
    lo, hi = min(known), max(known)
    marks = ASCII_SPARKS if spec.ascii else SPARKS
    out.append(f"{first} ", style="dim")
    for x, v in enumerate(spec.values):
        mark = " " if v is None else marks[round((v - lo) / ((hi - lo) or 1) * (len(marks) - 1))]
        out.append(mark, style="bold orange1" if x == spec.selected else "cyan")
    span = [plain_spaces(money(v, spec.currency, spec.locale, decimals=0)) for v in (lo, hi)]
    words = f" {last}  " + (span[0] if lo == hi else "–".join(span))
    out.append(glyphs.text(words) if spec.ascii else words, style="dim")
    return out


def with_legend(plot: Text, width: int, marks: tuple[str, str] = ("──", "··")) -> Text:
    """The legend written over the plot's top frame row, where no data is ever drawn; `marks`:
    how the value and the year-earlier lines are drawn."""
    lines = plot.split("\n")
    top = lines[0]
    start = top.plain.find("┌") + 2
    if start < 2:
        return plot
    room = top.cell_len - start - 2
    frame = [sp.style for sp in top.spans if sp.start <= start < sp.end]
    bg = Style(bgcolor=frame[-1].bgcolor) if frame and isinstance(frame[-1], Style) else Style()
    for items in (LEGEND, (("value", "cyan"), ("a year earlier", "bright_black"))):
        legend = Text(style=bg)
        for i, (label, colour) in enumerate(items):
            legend.append(f" {marks[0]} " if i == 0 else f"  {marks[1]} ",
                          style=bg + Style.parse(colour))
            legend.append(label + " ", style=bg + Style(dim=bool(i)))
        if legend.cell_len <= room:
            lines[0] = Text.assemble(top[:start], legend, top[start + legend.cell_len:])
            break
    return Text("\n").join(lines)


class HistoryChart(PlotextPlot):
    """Replots only when what it shows changes (data, selection, size)."""

    def __init__(self, marker: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.marker = marker_for(marker)
        self._data: tuple | None = None
        self._key: tuple | None = None
        self._text = Text("")

    def show(self, rows: list[dict], g: str, pos: int | None, data_id: int,
             currency: str | None = None, locale: str = "en") -> None:
        self._data = (rows, g, pos, data_id, currency, locale)
        self._replot()

    def on_resize(self) -> None:
        self._replot()

    def _register_theme(self, app_theme_name: str) -> None:
        super()._register_theme(app_theme_name)
        self._key = None
        self._replot()

    def render(self) -> Text:
        return self._text

    def _replot(self) -> None:
        if self._data is None or not self.size.width or not self.size.height:
            return
        rows, g, pos, data_id, cur, loc = self._data
        width, height = self.size.width, self.size.height
        theme = self._get_plotext_theme_name(self.app.theme)
        spark = height < SPARK_BELOW
        n = max(4, min(len(rows), width - 32 if spark else (width - 12) // 3))
        last = len(rows) - 1
        sel = pos  # None: nothing selected (trailing windows): the latest periods are shown
        if pos is None:
            pos = last
        end = last if pos >= last - n + 1 else min(last, pos + n // 2)
        begin = max(0, end - n + 1)
        key = (data_id, g, sel, begin, end, width, height, theme, self.marker, cur, loc)
        if key == self._key:
            return
        self._key = key
        shown = rows[begin:end + 1]
        step = max(1, len(shown) * 8 // max(width - 10, 8))
        ticks = tuple((x, short_label(shown[x], g)) for x in range(len(shown))
                      if (len(shown) - 1 - x) % step == 0)
        spec = ChartSpec(
            tuple(r["acv"] for r in shown), tuple(year_ago_series(rows, g)[begin:end + 1]),
            ticks, sel - begin if sel is not None and begin <= sel <= end else None, width, height,
            theme, "*" if glyphs.on(self) else self.marker, cur, loc, glyphs.on(self))
        if spark:  # cheap: drawn here
            self._drawn(key, sparkline(spec, short_label(shown[0], g), short_label(shown[-1], g)))
            return
        self._draw(spec, key)

    @work(thread=True, exclusive=True, group="chart")
    def _draw(self, spec: ChartSpec, key: tuple) -> None:
        text = draw(spec)
        self.app.call_from_thread(self._drawn, key, text)

    def _drawn(self, key: tuple, text: Text) -> None:
        if key == self._key:  # a newer drawing may be on its way
            self._text = text
            self.refresh()
