"""The drill-down screen on a database source: the first page of each list (ranked in the
engine, ORDER BY / LIMIT) in the folder's DrilldownScreen, the next page queried when the cursor
reaches the last row (down, PgDn, ctrl+End); the totals are the whole list's, computed in the engine.
Sorting and search act on the rows loaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from types import SimpleNamespace

import numpy as np

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
    def on_data_table_row_highlighted(self, event) -> None:
        page, table = self.drill.page, event.data_table
        if event.cursor_row < table.row_count - 1 or len(page.rows) >= len(page):
            return
        self.run_worker(partial(self._next_page, page, event.cursor_row), thread=True,
                        exclusive=True, group="next-page")

    def _next_page(self, page, row: int) -> None:
        more = self.snap.drill(self.index.g, self.period, page.group, ROW_LIMIT,
                               offset=len(page.rows))
        self.app.call_from_thread(self._grow, page, more, row)

    def _grow(self, page, more, row: int) -> None:
        if self.drill.page is not page:  # another list meanwhile
            return
        self.drill = PageDrill(replace(page, rows=page.rows + more.rows))
        self.row_limit = len(self.drill.page.rows)
        self.fill_table()
        self.query_one("#dd-totals").update(self.totals_text())
        self.query_one("#dd-table").move_cursor(row=row)

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
