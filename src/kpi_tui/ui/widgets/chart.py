"""History chart: average customer value per period, the same periods a year earlier."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from kpi_tui.ui.model import short_label, year_ago_series

MARKERS = {"braille": "braille", "hd": "hd", "fhd": "fhd", "dot": "dot", "plain": "•",
           "ascii": "*"}


def marker_for(name: str | None) -> str:
    """plotext marker from --marker: braille (default), hd, dot, ascii, or any one character."""
    if not name:
        return "braille"
    return MARKERS.get(name.lower(), name[:1])


class HistoryChart(PlotextPlot):
    """Replots only when what it shows changes (data, selection, width)."""

    def __init__(self, marker: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.marker = marker_for(marker)
        self._data: tuple | None = None
        self._key: tuple | None = None

    def show(self, rows: list[dict], g: str, pos: int | None, data_id: int) -> None:
        self._data = (rows, g, pos, data_id)
        self._replot()

    def on_resize(self) -> None:
        self._replot()

    def _replot(self) -> None:
        if self._data is None:
            return
        rows, g, pos, data_id = self._data
        width = self.size.width or 60
        n = max(4, min(len(rows), (width - 12) // 3))
        last = len(rows) - 1
        if pos is None:
            pos = last
        end = last if pos >= last - n + 1 else min(last, pos + n // 2)
        begin = max(0, end - n + 1)
        key = (data_id, g, pos, begin, end, width, self.size.height)
        if key == self._key:
            return
        self._key = key
        shown = rows[begin:end + 1]
        year = year_ago_series(rows, g)[begin:end + 1]
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs = list(range(len(shown)))

        def draw(vals, color, label, marker) -> bool:
            """One line per run of defined values: no line drawn across empty periods."""
            runs, run = [], []
            for x, v in zip(xs, vals):
                if v is None:
                    run = []
                else:
                    if not run:
                        runs.append(run)
                    run.append((x, v))
            for k, r in enumerate(runs):
                plt.plot([p[0] for p in r], [p[1] for p in r], marker=marker, color=color,
                         label=label if k == 0 else None)
            return bool(runs)

        fine = self.marker in ("braille", "hd", "fhd", "sd")
        yy = draw(year, "gray", "same period a year earlier", "·" if fine else "-")
        ay = draw([r["acv"] for r in shown], "cyan", "average customer value", self.marker)
        if begin <= pos <= end:
            sx = pos - begin
            plt.vline(sx, "orange")
            if shown[sx]["acv"] is not None:
                plt.scatter([sx], [shown[sx]["acv"]], marker="●", color="orange")
        step = max(1, len(shown) * 8 // max(width - 10, 8))
        ticks = [x for x in xs if (len(xs) - 1 - x) % step == 0]
        plt.xticks(ticks, [short_label(shown[x], g) for x in ticks])
        if not ay and not yy:
            plt.title("no data yet")
        self.refresh()
