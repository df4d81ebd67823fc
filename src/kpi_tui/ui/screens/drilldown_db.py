"""The drill-down screen on a database source: the first page of each list (ranked in the
engine, ORDER BY / LIMIT) in the folder's DrilldownScreen, the next page queried when the cursor
reaches the last row (down, PgDn, ctrl+End) or the view its end (the wheel, the scrollbar);
the totals are the whole list's, computed in the engine.
Sorting and search act on the rows loaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from types import SimpleNamespace

import numpy as np
from textual.widgets import DataTable

from kpi_tui.database.url import one_line
from kpi_tui.metrics import periods
from kpi_tui.metrics.customers import Drill
from kpi_tui.metrics.ledger import NO_PURCHASE
from kpi_tui.ui.screens.drilldown import ROW_LIMIT, DrilldownScreen


class PageDrill(Drill):
    """A Drill over one page of a DrillPage (database.customers): arrays for sorting and
    searching the rows shown, the rows and the totals as the engine gave them."""

    def __init__(self, page) -> None:
        rows = page.rows
        n = len(rows)

        def days(key):
            return np.array([NO_PURCHASE if r[key] is None else
                             periods.to_day(dt.date.fromisoformat(r[key])) for r in rows],
                            np.int64)

        extra = {}
        if page.group == "at-risk":
            extra = {"days_since": np.array([r["days_since"] for r in rows], np.int64),
                     "usual_gap": np.array([np.nan if r["usual_gap"] is None else r["usual_gap"]
                                            for r in rows], np.float64),
                     "value_at_stake": np.array([r["value_at_stake"] for r in rows], np.float64)}
        super().__init__(page.group, page.g, page.period, np.arange(n),
                         np.array([r["previous"] for r in rows], np.float64),
                         np.array([r["current"] for r in rows], np.float64),
                         days("first_purchase"), days("last_purchase"),
                         np.array([r["orders"] for r in rows], np.int64),
                         np.array([r["customer"] for r in rows], object), extra, page.as_of)
        self.page = page

    def totals(self) -> dict:
        return self.page.totals()

    def rows(self, limit: int | None = None, take=None) -> list[dict]:
        rows = self.page.rows
        if take is None:
            return rows[:limit]
        return [rows[i] for i in np.asarray(take, np.int64).tolist()]


class DatabaseDrilldownScreen(DrilldownScreen):
    """DrilldownScreen(snapshot, g, period, groups, figures, currency, locale): the pages of a
    DatabaseSnapshot (queried on first use, in the engine; open it from a worker)."""

    def __init__(self, snapshot, g: str, period: int, groups: tuple[str, ...],
                 figures: dict | None = None, currency: str | None = None,
                 locale: str = "en", group: str | None = None) -> None:
        self.snap = snapshot
        super().__init__(SimpleNamespace(g=g, d=None, rule=snapshot.settings.at_risk), period,
                         groups, figures, currency, locale, group)

    def _page(self, group: str) -> PageDrill:
        return PageDrill(self.snap.drill(self.index.g, self.period, group, ROW_LIMIT))

    # ---- the next page, in a worker (a query) --------------------------------------------
    _loading = None  # the page whose next one is being queried

    def on_mount(self) -> None:  # DrilldownScreen's on_mount runs too (Textual calls each)
        self.watch(self.query_one(DataTable), "scroll_y", self._scrolled, init=False)

    def on_data_table_row_highlighted(self, event) -> None:
        if event.cursor_row >= event.data_table.row_count - 1:
            self._more(event.cursor_row)

    def _scrolled(self, y: float) -> None:
        """The wheel or the scrollbar at the end of the rows: the next page too (the view and
        the cursor stay where they are). The end is counted in rows: right after a page is
        added, the table's scroll range is still the old one."""
        table = self.query_one(DataTable)
        header = table.header_height if table.show_header else 0
        end = table.row_count + header - table.scrollable_content_region.height
        if y > 0 and y >= end:
            self._more(table.cursor_row, y)

    def _more(self, row: int, y: float | None = None) -> None:
        page = self.drill.page
        if len(page.rows) >= len(page) or self._loading is page:
            return
        self._loading = page
        self.run_worker(partial(self._next_page, page, row, y), thread=True,
                        exclusive=True, group="next-page")

    def _next_page(self, page, row: int, y: float | None) -> None:
        """As many rows as are shown (ROW_LIMIT at least): each page is a query that ranks
        the whole list (the at-risk list of 10M rows: ~30 s), so pages double in size."""
        try:
            more = self.snap.drill(self.index.g, self.period, page.group,
                                   max(ROW_LIMIT, len(page.rows)), offset=len(page.rows))
        except Exception as e:  # the server went away: said; the rows loaded stay
            self.app.call_from_thread(self._failed, e)
            return
        self.app.call_from_thread(self._grow, page, more, row, y)

    def _failed(self, e: Exception) -> None:
        self._loading = None  # the next scroll or key tries again
        self.notify(f"Could not load more customers: {one_line(str(e))}", severity="error",
                    markup=False)

    def _grow(self, page, more, row: int, y: float | None) -> None:
        self._loading = None
        if self.drill.page is not page:  # another list meanwhile
            return
        self.drill = PageDrill(replace(page, rows=page.rows + more.rows))
        self.row_limit = len(self.drill.page.rows)
        self.fill_table()
        self.query_one("#dd-totals").update(self.totals_text())
        table = self.query_one(DataTable)
        table.move_cursor(row=row, scroll=y is None)
        if y is not None:
            table.scroll_to(y=y, animate=False, immediate=True)

    def refresh_all(self) -> None:
        super().refresh_all()
        n = self.drill.totals()["customers"]
        from kpi_tui.safe import markup as escape
        from textual.widgets import Static

        d = self.drill
        self.query_one("#dd-title", Static).update(
            f"[b]{escape(d.title())}[/]  ·  {n:,} customer{'s' if n != 1 else ''}"
            f"  ·  {self.index.g}")

    def totals_text(self) -> str:
        text = super().totals_text()
        n, shown = self.drill.totals()["customers"], len(self.drill.page.rows)
        if shown < n:
            text += (f"\n[dim]the first {shown:,} of {n:,} (ranked in the database); "
                     "`kpi-tui customers` prints the whole list[/]")
        return text
