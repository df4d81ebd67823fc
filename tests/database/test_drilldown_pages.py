"""The database drill-down screen pages further: at the last row (End, PgDn, down) the next
ROW_LIMIT customers are queried (ranked in the engine) and added under the ones shown."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.app import App
from textual.widgets import DataTable

from dbengines import open_engine

from kpi_tui.database.snapshot import DatabaseSnapshot
from kpi_tui.database.source import DatabaseSource
from kpi_tui.metrics import periods
from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.screens.drilldown import ROW_LIMIT
from kpi_tui.ui.screens.drilldown_db import DatabaseDrilldownScreen

N = 2 * ROW_LIMIT + 50  # customers who left in February: three pages


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    e = open_engine("duckdb", tmp_path_factory.mktemp("duckdb"))
    rows = [(f"o{i}", f"c{i:04d}", dt.date(2026, 1, 10), float(1 + i)) for i in range(N)]
    rows.append(("last", "z", dt.date(2026, 2, 10), 5.0))
    url, name = e.load([("order_id", "text"), ("customer_id", "text"), ("order_date", "date"),
                        ("amount", "double")], rows)
    yield DatabaseSnapshot(DatabaseSource(url, table=name, settings=Settings(cache=False)))
    e.close()


class Host(App):
    CSS_PATH = KpiApp.CSS_PATH  # the lists' styles are the monitor's (app.tcss)

    def __init__(self, screen):
        super().__init__()
        self.first = screen

    def on_mount(self) -> None:
        self.push_screen(self.first)


async def rows_become(pilot, table, n):
    for _ in range(400):
        if table.row_count == n:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{table.row_count} rows, not {n}")


async def test_end_loads_the_next_page(snap):
    feb = int(periods.period_index([periods.to_day(dt.date(2026, 2, 1))], "month")[0])
    whole = snap.drill("month", feb, "churned", None).rows  # the engine's ranking, all of it
    assert len(whole) == N
    screen = DatabaseDrilldownScreen(snap, "month", feb, ("churned",))
    app = Host(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        table = screen.query_one(DataTable)
        assert table.row_count == ROW_LIMIT
        await pilot.press("ctrl+end")
        await rows_become(pilot, table, 2 * ROW_LIMIT)
        assert table.cursor_row == ROW_LIMIT - 1  # the cursor stays where it was
        await pilot.press("ctrl+end")
        await rows_become(pilot, table, N)
        await pilot.press("ctrl+end", "ctrl+end")
        await pilot.pause(0.3)
        assert table.row_count == N  # nothing more to load
        shown = [str(table.get_row_at(i)[0]) for i in range(N)]
        assert shown == [r["customer"] for r in whole]
        assert whole[0]["customer"] == "c0449" and whole[0]["previous"] == 450.0
        assert "the first" not in screen.totals_text()  # every customer is in the table
        # each page as large as the rows shown: 200, 200, then 400 (50 came)
        pages = sorted(k[4:] for k in snap._done
                       if k[:4] == ("drill", "month", feb, "churned") and k[4] is not None)
        assert pages == [(ROW_LIMIT, 0), (ROW_LIMIT, ROW_LIMIT), (2 * ROW_LIMIT, 2 * ROW_LIMIT)]


async def test_the_wheel_at_the_end_loads_the_next_page(snap):
    """Scrolling (the wheel, the scrollbar) to the end loads the next page as the cursor does;
    the cursor and the view stay where they were."""
    from textual import events

    feb = int(periods.period_index([periods.to_day(dt.date(2026, 2, 1))], "month")[0])
    whole = snap.drill("month", feb, "churned", None).rows
    screen = DatabaseDrilldownScreen(snap, "month", feb, ("churned",))
    app = Host(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        table = screen.query_one(DataTable)
        assert table.row_count == ROW_LIMIT
        wheel, bottom = 0, table.max_scroll_y  # the first page's end
        while table.scroll_y < bottom and wheel < 500:  # the wheel, a notch a time
            table.post_message(events.MouseScrollDown(table, 2, 2, 0, 1, 0, False, False, False))
            await pilot.pause()
            wheel += 1
        assert wheel > 10  # the view moved by the wheel, not in one jump
        await rows_become(pilot, table, 2 * ROW_LIMIT)
        assert table.cursor_row == 0  # the cursor stays on the first row
        await pilot.pause()
        assert table.scroll_y == bottom < table.max_scroll_y  # the view stays: rows below it
        table.scroll_end(animate=False, immediate=True)  # the scrollbar dragged to the end
        await rows_become(pilot, table, N)
        assert [str(table.get_row_at(i)[0]) for i in range(N)] == [r["customer"] for r in whole]
