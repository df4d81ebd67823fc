"""The monitor's way to the customers: keys 1-4 / Enter (drill-down), c (cohorts), k (at risk).

Mixed into KpiApp. The per-customer aggregates of a granularity (metrics.customers.build_index)
are built in a thread worker, once per snapshot and granularity, and warmed up as soon as a
snapshot arrives, so the screens open without a pause.
"""

from __future__ import annotations

import datetime as dt

from textual import work

from kpi_tui.metrics import periods
from kpi_tui.metrics.customers import EFFECT_GROUPS, CustomerIndex
from kpi_tui.metrics.movements import EFFECTS

KEY_EFFECTS = dict(zip("1234", EFFECTS))


class CustomersNav:
    """Needs from the app: snapshot, g, settings, trailing, rows, position(), notify()."""

    def customer_index(self, g: str, snap=None) -> CustomerIndex | None:
        """The snapshot's index of granularity `g` (built once); call from a worker thread."""
        snap = snap or self.snapshot
        return None if snap is None else snap.customers(g)

    @work(thread=True, exclusive=True, group="customers")
    def prefetch_customers(self) -> None:
        """The index of the shown granularity, and the at-risk card's totals from it."""
        snap, g = self.snapshot, self.g
        if snap is None:
            return
        try:
            with snap.background():  # a list the user opens meanwhile goes first
                totals = snap.at_risk(g)
        except Exception:  # the card says so, the screen stays
            totals = False
        self.call_from_thread(self.at_risk_ready, snap, g, totals)

    @work(thread=True, group="customers-open")
    def _with_index(self, g: str, then) -> None:
        idx = self.customer_index(g)
        if idx is not None:
            self.call_from_thread(then, idx)

    def _selected(self) -> tuple[int, dict] | None:
        """(period index, figures row) of the selected calendar period."""
        if self.snapshot is None:
            return None
        if self.trailing:
            self.notify("The customer lists follow calendar periods: press t to leave the "
                        "trailing view.", timeout=4)
            return None
        pos = self.position()
        if pos is None:
            return None
        row = self.rows[pos]
        day = periods.to_day(dt.date.fromisoformat(row["start"]))
        return periods.period_of(day, self.g), row

    def action_drill(self, effect: str) -> None:
        from kpi_tui.ui.screens.drilldown import DrilldownScreen

        sel = self._selected()
        if sel is None:
            return
        p, row = sel
        if effect == "selected":  # Enter: the effect chosen with ↑ ↓, else the largest
            chosen = self.query_one("#bars").selected
            effect = EFFECTS[chosen] if chosen is not None else "largest"
        if effect == "largest":  # the effect that moved the average most
            known = [(abs(row[e]), e) for e in EFFECTS if row.get(e) is not None]
            effect = max(known)[1] if known else "churn_effect"
        groups = EFFECT_GROUPS[effect]
        cur, loc = self.snapshot.currency, self.settings.locale
        if hasattr(self.snapshot, "drill"):  # a database: pages ranked in the engine
            self._open_pages(self.snapshot, self.g, p, groups, row)
            return
        self._with_index(self.g, lambda idx: self.push_screen(
            DrilldownScreen(idx, p, groups, row, cur, loc)))

    def action_select_effect(self, step: int) -> None:
        self.query_one("#bars").select(step)

    def action_at_risk(self) -> None:
        from kpi_tui.ui.screens.drilldown import DrilldownScreen

        sel = self._selected()
        if sel is None:
            return
        p, row = sel
        cur, loc = self.snapshot.currency, self.settings.locale
        if hasattr(self.snapshot, "drill"):  # a database: pages ranked in the engine
            self._open_pages(self.snapshot, self.g, p, ("at-risk",), row)
            return
        self._with_index(self.g, lambda idx: self.push_screen(
            DrilldownScreen(idx, p, ("at-risk",), row, cur, loc)))

    @work(thread=True, group="customers-open")
    def _open_pages(self, snap, g: str, p: int, groups, row: dict) -> None:
        """A database's lists: the first page of each group queried here (a worker), then
        shown (ui.screens.drilldown_db)."""
        from kpi_tui.ui.screens.drilldown import ROW_LIMIT
        from kpi_tui.ui.screens.drilldown_db import DatabaseDrilldownScreen

        try:
            for group in groups:
                snap.drill(g, p, group, ROW_LIMIT)
        except Exception as e:  # the database went away: say so, keep the screen
            self.call_from_thread(self.notify, f"The customer list could not be read: {e}",
                                  severity="error", timeout=6)
            return
        cur, loc = snap.currency, self.settings.locale
        self.call_from_thread(lambda: self.push_screen(
            DatabaseDrilldownScreen(snap, g, p, tuple(groups), row, cur, loc)))

    def action_cohorts(self) -> None:
        if self.snapshot is not None:
            self._open_cohorts(self.snapshot, self.g)

    @work(thread=True, group="customers-open")
    def _open_cohorts(self, snap, g: str) -> None:
        """The cohorts of g, computed here (a worker), then shown."""
        from kpi_tui.ui.screens.cohorts import CohortsScreen

        try:
            c = snap.cohorts(g)
        except Exception as e:  # a database that went away: say so, keep the screen
            self.call_from_thread(self.notify, f"The cohorts could not be read: {e}",
                                  severity="error", timeout=6)
            return
        cur, loc = snap.currency, self.settings.locale
        self.call_from_thread(lambda: self.push_screen(CohortsScreen(c, cur, loc)) if c is not None
                              else self.notify("No transactions yet."))
