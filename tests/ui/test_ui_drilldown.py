"""Drill-down and cohort screens: Pilot tests for the keys, and a snapshot of each screen."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from textual.app import App
from textual.widgets import DataTable, Input

from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import cohorts
from kpi_tui.metrics.customers import build_index
from kpi_tui.metrics.figures import period_figures
from kpi_tui.metrics.ledger import ledger_from_transactions
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.screens.cohorts import CohortsScreen
from kpi_tui.ui.screens.drilldown import DrilldownScreen

from test_customers import golden_rows


def pidx(d: str) -> int:
    return int(periods.period_index(np.array([periods.to_day(dt.date.fromisoformat(d))]),
                                    "month")[0])


@pytest.fixture(scope="module")
def golden():
    t = golden_rows()
    cust, date, amount = zip(*t)
    ledger = ledger_from_transactions(pa.table({
        "customer": pa.array(list(cust), pa.string()),
        "date": pa.array(list(date), pa.date32()),
        "amount": pa.array(list(amount), pa.float64())}))
    figures = {r["start"]: r for r in period_figures(ledger, "month")}
    return build_index(ledger, "month"), figures


class Host(App):
    CSS_PATH = KpiApp.CSS_PATH  # the lists' styles are the monitor's (app.tcss)

    def __init__(self, screen_factory):
        super().__init__()
        self.factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self.factory())


def drill_app(golden, start="2026-03-01", groups=("retained", "contracted", "expanded"),
              group=None):
    index, figures = golden
    return Host(lambda: DrilldownScreen(index, pidx(start), groups, figures[start], "EUR",
                                        "en", group))


def table_rows(app) -> list[list[str]]:
    t = app.screen.query_one(DataTable)
    return [[str(getattr(c, "plain", c)) for c in t.get_row_at(i)] for i in range(t.row_count)]


def text(app, selector) -> str:
    r = app.screen.query_one(selector).render()
    return " ".join(str(getattr(r, "plain", r)).split())


async def test_drilldown_lists_and_totals(golden):
    app = drill_app(golden)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        rows = table_rows(app)
        assert [r[0] for r in rows] == ["alice", "dave"]
        assert rows[0][1:] == ["€120.00", "€80.00", "-€40.00", "2026-01-05", "2026-03-03", "1"]
        totals = text(app, "#dd-totals")
        assert "Total 2 customers" in totals
        assert "retained revenue €120.00 ✓" in totals and "retained (before) €160.00 ✓" in totals
        await pilot.press("g")  # next list: contracted
        assert app.screen.group == "contracted"
        assert [r[0] for r in table_rows(app)] == ["alice"]
        assert "contraction -€40.00 ✓" in text(app, "#dd-totals")
        await pilot.press("g", "g")  # expanded (empty), then back to retained
        assert app.screen.group == "retained"


async def test_drilldown_sort_and_search(golden):
    app = drill_app(golden, "2026-04-01", ("churned",))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert [r[0] for r in table_rows(app)] == ["erin", "alice", "carol", "dave"]
        assert "churned revenue (before) €380.00 ✓" in text(app, "#dd-totals")
        await pilot.press("s")  # sort by customer
        assert [r[0] for r in table_rows(app)] == ["alice", "carol", "dave", "erin"]
        await pilot.press("S")  # reversed
        assert [r[0] for r in table_rows(app)] == ["erin", "dave", "carol", "alice"]
        await pilot.press("s")  # by previous spend, smallest first
        assert [r[0] for r in table_rows(app)] == ["dave", "carol", "alice", "erin"]
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press("a", "r")
        assert [r[0] for r in table_rows(app)] == ["carol"]
        assert "1 match “ar”" in text(app, "#dd-totals")
        # the totals follow the search; the whole list is still checked against the figures
        assert text(app, "#dd-totals").startswith(
            "Total 1 of 4 customers · previous €60.00 · current €0.00 · change -€60.00 "
            "main screen: customers who left 4 ✓ · churned revenue (before) €380.00 ✓")
        await pilot.press("enter")
        assert isinstance(app.focused, DataTable)
        await pilot.press("slash", "backspace", "backspace", "enter")
        assert len(table_rows(app)) == 4
        await pilot.press("escape")
        assert not isinstance(app.screen, DrilldownScreen)


async def test_header_click_sorts(golden):
    app = drill_app(golden, "2026-04-01", ("churned",))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        t = app.screen.query_one(DataTable)
        t.post_message(DataTable.HeaderSelected(t, t.ordered_columns[3].key, 3,
                                                 t.ordered_columns[3].label))
        await pilot.pause()
        assert app.screen.sort_col == "change" and app.screen.reverse
        assert [r[0] for r in table_rows(app)] == ["dave", "carol", "alice", "erin"]


async def test_at_risk_list(golden):
    index, figures = golden
    app = Host(lambda: DrilldownScreen(index, pidx("2026-04-01"), ("at-risk",), None, "EUR"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        rows = table_rows(app)
        assert [r[0] for r in rows] == ["erin", "dave", "carol", "bob"]
        # the ranking column first, no previous/current/change; orders: all so far (issue 11)
        assert rows == [
            ["erin", "€66.67", "51 d", "26.2 d", "1", "2026-03-21", "2026-03-21"],
            ["dave", "€20.00", "57 d", "23 d", "2", "2026-03-15", "2026-02-20"],
            ["carol", "€18.00", "65 d", "27 d", "3", "2026-03-07", "2026-01-12"],
            ["bob", "€10.00", "97 d", "25 d", "2", "2026-02-03", "2026-01-09"]]
        assert text(app, "#dd-totals").startswith(
            "Total 4 customers · value at stake €114.67 per month")


async def test_cohorts_screen_toggle(golden):
    index, _ = golden
    c = cohorts(index.ps, "month", index.d)
    app = Host(lambda: CohortsScreen(c, "EUR"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        rows = table_rows(app)
        assert [r[:2] for r in rows] == [["Jan 2026", "3"], ["Feb 2026", "1"], ["Mar 2026", "1"]]
        assert rows[0][2:] == ["█ 100%", "▒ 33%", "▓ 67%", "  0%", "▒ 33%"]
        await pilot.press("v")
        rows = table_rows(app)
        assert rows[0][2] == "▒ €60.00" and rows[0][6] == "█ €176.67"
        assert rows[2][2:5] == ["█ €200.00", "█ €200.00", "█ €200.00"]
        await pilot.press("escape")
        assert not isinstance(app.screen, CohortsScreen)


def test_snapshot_drilldown(golden, snap_compare):
    assert snap_compare(drill_app(golden, "2026-04-01", ("churned",)), terminal_size=(110, 20))


def test_snapshot_at_risk(golden, snap_compare):
    index, _ = golden
    app = Host(lambda: DrilldownScreen(index, pidx("2026-04-01"), ("at-risk",), None, "EUR"))
    assert snap_compare(app, terminal_size=(130, 20))


def test_snapshot_cohorts(golden, snap_compare):
    index, _ = golden
    c = cohorts(index.ps, "month", index.d)
    assert snap_compare(Host(lambda: CohortsScreen(c, "EUR")), terminal_size=(100, 16))


# ---- the monitor's keys ----------------------------------------------------------------

async def _settle(app, pilot):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_monitor_keys_open_the_lists(golden_dir):
    from kpi_tui.settings import Settings
    from kpi_tui.ui.app import KpiApp

    app = KpiApp(golden_dir, Settings(cache=False), clock=lambda: dt.datetime(2026, 5, 12, 9),
                 watch=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(app, pilot)
        await pilot.press("1")  # latest complete period: April, everybody left
        await _settle(app, pilot)
        s = app.screen
        assert isinstance(s, DrilldownScreen) and s.group == "churned"
        assert s.drill.title() == "Churned: active in Mar 2026, not in Apr 2026"
        assert "churned revenue (before) €380.00 ✓" in text(app, "#dd-totals")
        await pilot.press("escape", "left")  # back to the monitor, March
        await pilot.press("2")
        await _settle(app, pilot)
        assert app.screen.groups == ("retained", "contracted", "expanded")
        assert [r[0] for r in table_rows(app)] == ["alice", "dave"]
        assert "retained revenue €120.00 ✓" in text(app, "#dd-totals")
        await pilot.press("escape", "3")
        await _settle(app, pilot)
        assert app.screen.group == "new" and [r[0] for r in table_rows(app)] == ["erin"]
        await pilot.press("g")
        assert app.screen.group == "reactivated" and [r[0] for r in table_rows(app)] == ["carol"]
        await pilot.press("escape", "4")
        await _settle(app, pilot)
        assert app.screen.group == "refunded" and table_rows(app) == []
        await pilot.press("escape", "enter")  # March: the acquisition effect (+35) is largest
        await _settle(app, pilot)
        assert app.screen.group == "new"
        await pilot.press("escape", "down", "down")  # choose the second effect: spending
        assert app.query_one("#bars").selected == 1
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.screen.groups == ("retained", "contracted", "expanded")
        await pilot.press("escape", "up", "up")  # wraps to the last: refunds
        assert app.query_one("#bars").selected == 3
        await pilot.press("escape", "k")
        await _settle(app, pilot)
        assert app.screen.group == "at-risk"
        assert [r[0] for r in table_rows(app)] == ["erin", "dave", "carol", "bob"]
        await pilot.press("escape", "c")
        await _settle(app, pilot)
        assert isinstance(app.screen, CohortsScreen)
        await pilot.press("c")
        assert not isinstance(app.screen, CohortsScreen)
