"""The customer lists (issue 11): a search's totals follow it ("14 of 151 customers"); the at-risk
list at 120 columns keeps its ranking column, drops the previous/current columns of the other
lists and shows real order counts; an empty list says so; cohorts keep their first columns when
scrolled right."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from textual.app import App
from textual.widgets import DataTable

from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import cohorts
from kpi_tui.metrics.customers import build_index
from kpi_tui.metrics.ledger import ledger_from_transactions
from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.screens.cohorts import CohortsScreen
from kpi_tui.ui.screens.drilldown import DrilldownScreen

SAMPLE = Path(__file__).resolve().parents[2] / "data"


def plain(screen, selector: str) -> str:
    return str(screen.query_one(selector).render().plain)


def table_rows(screen) -> list[list[str]]:
    t = screen.query_one(DataTable)
    return [[str(getattr(c, "plain", c)) for c in t.get_row_at(i)] for i in range(t.row_count)]


async def settle(app, pilot, done) -> None:
    for _ in range(600):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if done():
            return
    raise AssertionError("the screen did not settle")


@pytest.fixture
def sample(tmp_path) -> Path:
    d = tmp_path / "sample"
    shutil.copytree(SAMPLE, d)
    return d


async def open_list(app, pilot, key: str) -> DrilldownScreen:
    await settle(app, pilot, lambda: app.snapshot is not None)
    await pilot.press(key)
    await settle(app, pilot, lambda: isinstance(app.screen, DrilldownScreen))
    return app.screen


async def test_search_totals_follow_the_filter(sample):
    app = KpiApp(sample, Settings(cache=False), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        s = await open_list(app, pilot, "1")  # who left in October 2026
        assert plain(s, "#dd-totals").splitlines()[0] == (
            "Total 151 customers  ·  previous €12,628.22  ·  current €0.00  ·  change "
            "-€12,628.22")
        await pilot.press("slash", *"gmail.com", "enter")
        assert len(table_rows(s)) == 14
        assert plain(s, "#dd-totals").splitlines() == [
            "Total 14 of 151 customers  ·  previous €1,061.20  ·  current €0.00  ·  change "
            "-€1,061.20",  # as `kpi-tui customers --group churned --format csv` adds up
            "main screen: customers who left 151 ✓  ·  churned revenue (before) €12,628.22 ✓",
            "14 match “gmail.com” (totals above: the matches)"]


async def test_at_risk_list_at_120_columns(sample):
    app = KpiApp(sample, Settings(cache=False), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        s = await open_list(app, pilot, "k")
        t = s.query_one(DataTable)
        assert [str(c.label) for c in t.columns.values()] == [
            "Customer", "At stake", "Days silent", "Usual gap", "Orders", "Last purchase",
            "First purchase"]
        assert sum(c.get_render_width(t) for c in t.columns.values()) <= 120 - 2  # no cut
        rows = table_rows(s)
        assert rows[0] == ["cus_g6NzJiUZlow1pr", "€235.41", "72 d", "31 d", "18", "2026-09-14",
                           "2025-01-23"]  # 18 orders in all (the period's: 0 for everyone)
        assert all(int(r[4]) > 0 for r in rows)
        assert plain(s, "#dd-totals").splitlines()[0] == (
            "Total 602 customers  ·  value at stake €17,547.81 per month")


def test_snapshot_at_risk_120(sample, snap_compare):
    app = KpiApp(sample, Settings(cache=False), watch=False)

    async def open_it(pilot):
        await open_list(app, pilot, "k")

    assert snap_compare(app, terminal_size=(120, 30), run_before=open_it)


class Host(App):
    CSS_PATH = KpiApp.CSS_PATH  # the lists' styles are the monitor's (app.tcss)

    def __init__(self, factory):
        super().__init__()
        self.factory = factory

    def on_mount(self) -> None:
        self.push_screen(self.factory())


@pytest.fixture(scope="module")
def golden_ledger():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import golden_rows  # the golden transactions read by hand

    cust, date, amount = zip(*golden_rows())
    return ledger_from_transactions(pa.table({
        "customer": pa.array(list(cust), pa.string()), "date": pa.array(list(date), pa.date32()),
        "amount": pa.array(list(amount), pa.float64())}))


def week_cohorts(ledger):
    index = build_index(ledger, "week")
    return cohorts(index.ps, "week", index.d)


async def test_an_empty_list_says_so(golden_ledger):
    index = build_index(golden_ledger, "month")
    april = int(periods.period_index(np.array([periods.to_day(dt.date(2026, 4, 1))]),
                                     "month")[0])
    app = Host(lambda: DrilldownScreen(index, april, ("refunded", "churned"), None, "EUR"))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        s = app.screen
        assert table_rows(s) == []
        assert plain(s, "#dd-empty") == "No customers in this list for Apr 2026."
        assert s.query_one("#dd-empty").display
        await pilot.press("g")  # churned: 4 customers
        assert len(table_rows(s)) == 4 and not s.query_one("#dd-empty").has_class("-on")
        await pilot.press("slash", *"zz")
        assert plain(s, "#dd-empty") == ("No customer in this list matches “zz” (/ to change the "
                                         "search).")
        assert plain(s, "#dd-totals").splitlines()[0] == (
            "Total 0 of 4 customers  ·  previous €0.00  ·  current €0.00  ·  change €0.00")


def test_snapshot_cohorts_scrolled_right(golden_ledger, snap_compare):
    """Week cohorts are wider than the screen: scrolled right, Cohort and Customers stay."""
    c = week_cohorts(golden_ledger)

    async def scroll(pilot):
        await pilot.pause()
        t = pilot.app.screen.query_one(DataTable)
        t.scroll_to(x=t.max_scroll_x, animate=False)
        await pilot.pause()

    app = Host(lambda: CohortsScreen(c, "EUR"))
    assert snap_compare(app, terminal_size=(60, 16), run_before=scroll)


async def test_cohort_columns_stay_when_scrolled(golden_ledger):
    app = Host(lambda: CohortsScreen(week_cohorts(golden_ledger), "EUR"))
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        t = app.screen.query_one(DataTable)
        assert t.fixed_columns == 2 and t.max_scroll_x > 0
        t.scroll_to(x=t.max_scroll_x, animate=False)
        await pilot.pause()
        assert t.scroll_x == t.max_scroll_x > 0
