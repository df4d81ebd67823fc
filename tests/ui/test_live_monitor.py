"""The monitor on a database URL (DuckDB file), driven by Pilot: the same headline as the folder
of the same rows, the status line of a database, `1` / `k` / `c` answered by the engine, and
the unreachable banner while the file is gone."""

from __future__ import annotations

import re
import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "database"))
from dbengines import open_engine  # noqa: E402
from test_db_figures import GOLDEN_COLUMNS  # noqa: E402
from test_live_watch import as_folder, decline_rows  # noqa: E402

from textual.widgets import DataTable  # noqa: E402

from kpi_tui.database.source import DatabaseSource  # noqa: E402
from kpi_tui.settings import Settings  # noqa: E402
from kpi_tui.ui.app import KpiApp, database_app  # noqa: E402
from kpi_tui.ui.screens.cohorts import CohortsScreen  # noqa: E402
from kpi_tui.ui.screens.drilldown import DrilldownScreen  # noqa: E402
from kpi_tui.ui.screens.drilldown_db import DatabaseDrilldownScreen  # noqa: E402

CLOCK = dt.datetime(2026, 5, 12, 9, 0)


@pytest.fixture
def same_rows(tmp_path, monkeypatch):
    """(DuckDB URL, table, folder) holding the same rows."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    eng = open_engine("duckdb", tmp_path)
    rows = decline_rows()
    url, name = eng.load(GOLDEN_COLUMNS, rows)
    folder = as_folder(rows, tmp_path / "exports")
    yield url, name, folder
    eng.close()


async def settle(app, pilot, until=lambda: True, rounds=600):
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if app.snapshot is not None and until():
            return
    raise AssertionError("the monitor did not settle")


def first_row(app) -> list[str]:
    t = app.screen.query_one(DataTable)
    return [str(getattr(c, "plain", c)) for c in t.get_row_at(0)]


def plain(app, selector) -> str:
    r = app.screen.query_one(selector).render()
    return " ".join(str(getattr(r, "plain", r)).split())


async def test_monitor_on_a_database_url(same_rows):
    url, name, folder = same_rows
    s = Settings(cache=False)
    seen = {}
    app = KpiApp(folder, s, clock=lambda: CLOCK, watch=False)
    async with app.run_test(size=(280, 40)) as pilot:
        await settle(app, pilot)
        seen["folder april"] = app.query_one("#acv-digits").value  # the latest complete month
        await pilot.press("left")
        seen["folder march"] = app.query_one("#acv-digits").value
        await pilot.press("right", "1")
        await settle(app, pilot, lambda: isinstance(app.screen, DrilldownScreen))
        seen["folder churned"] = first_row(app)
        seen["folder cohorts"] = app.snapshot.cohorts("month").to_records()

    app = database_app(DatabaseSource(url, table=name, settings=s), s, poll=0.2,
                       max_backoff=0.4)
    app.clock = lambda: CLOCK
    async with app.run_test(size=(280, 40)) as pilot:
        await settle(app, pilot)
        assert app.query_one("#acv-digits").value == seen["folder april"] == "€20.00"
        await pilot.press("left")
        assert app.query_one("#acv-digits").value == seen["folder march"] == "€100.00"
        status = plain(app, "#status")
        assert re.fullmatch(  # 35 rows counted: the GBP one is left out (no rate)
            r"as of 2026-05-11 · 35 rows · refreshed 09:00:00 · watching \(polling every 0\.2 s\)"
            r" · checked 09:00:00 · queries \d+\.\d s · source " + re.escape(f"{url} table {name}"),
            status), status
        await pilot.press("right", "1")
        await settle(app, pilot, lambda: isinstance(app.screen, DatabaseDrilldownScreen))
        assert app.screen.drill.title() == "Churned: active in Mar 2026, not in Apr 2026"
        assert first_row(app) == seen["folder churned"] == [
            "e", "€100.00", "€0.00", "-€100.00", "2026-01-07", "2026-03-07", "1"]
        assert "customers who left 6 ✓" in plain(app, "#dd-totals")
        await pilot.press("escape", "k")
        await settle(app, pilot, lambda: getattr(app.screen, "group", None) == "at-risk")
        await pilot.press("escape", "c")
        await settle(app, pilot, lambda: isinstance(app.screen, CohortsScreen))
        assert app.screen.cohorts.size.tolist() == [10, 0, 0, 0, 0]  # k's GBP row: left out
        assert app.screen.cohorts.to_records() == seen["folder cohorts"]
        await pilot.press("escape")

        # the file goes away: the last figures stay, with the banner; it comes back: gone
        path = Path(url[len("duckdb://"):])
        away = path.with_suffix(".away")
        path.rename(away)
        await settle(app, pilot, lambda: any("source unreachable" in b for b in app.banners))
        assert [b for b in app.banners if "unreachable" in b] == [
            f"⚠ source unreachable since 09:00: no such DuckDB file: {path}"]
        assert "⚠ source unreachable since 09:00" in plain(app, "#status")
        assert app.query_one("#acv-digits").value == "€20.00"
        away.rename(path)
        await settle(app, pilot, lambda: not any("unreachable" in b for b in app.banners))


async def test_a_served_tab_waits_for_an_unreachable_database(same_rows):
    """`serve` checked the source at start; a tab opened while it is gone shows the monitor
    with its unreachable banner (not textual-serve's "Session ended") and recovers by itself."""
    url, name, _folder = same_rows
    path = Path(url[len("duckdb://"):])
    away = path.with_suffix(".away")
    path.rename(away)
    app = database_app(None, Settings(cache=False), poll=0.2, max_backoff=0.4, url=url,
                       table=name)
    app.clock = lambda: CLOCK
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.banners:
                break
        problem = f"⚠ source unreachable since 09:00: no such DuckDB file: {path}"
        assert app.banners == [problem] and app.snapshot is None
        assert plain(app, "#banners") == problem
        assert plain(app, "#load-msg") == problem
        assert "source unreachable since 09:00: no such DuckDB file" in plain(app, "#status")
        away.rename(path)
        await settle(app, pilot, lambda: not any("unreachable" in b for b in app.banners))
        assert app.query_one("#acv-digits").value == "€20.00"


def test_serve_tabs_wait_while_the_command_line_stops(same_rows, monkeypatch):
    """The monitor command: exit 2 on an unreachable database, except in a served tab
    (--read-only), which opens the screen with the URL to retry."""
    from kpi_tui.cli import main
    from kpi_tui.ui import app as app_module
    from kpi_tui.ui.readonly import ReadOnly

    url, name, _folder = same_rows
    gone = url + ".gone"
    ran = {}
    monkeypatch.setattr(ReadOnly, "read_only", False)  # cmd_monitor sets it for the process
    monkeypatch.setattr(app_module, "run_database_monitor",
                        lambda source, s, poll=None, **spec: ran.update(source=source, **spec)
                        or 0)
    assert main(["monitor", gone, "--table", name]) == 2 and not ran
    assert main(["monitor", "--read-only", gone, "--table", name]) == 0
    assert ran == {"source": None, "url": gone, "table": name, "sql": None}


async def test_a_granularity_not_queried_yet_keeps_the_screen_answering(same_rows, monkeypatch):
    # the watcher queries every granularity after the shown one (100M rows on DuckDB: minutes,
    # holding the connection's lock): a key for one not queried yet started its query on the
    # screen's thread, and the whole screen froze until it came. Now a worker queries it, the
    # status says so, the other keys still answer, and it is shown when it comes.
    import threading

    url, name, _ = same_rows
    gate = threading.Event()
    slow = DatabaseSource.figures

    def figures(self, g):
        if g == "week":
            assert gate.wait(30)
        return slow(self, g)

    monkeypatch.setattr(DatabaseSource, "figures", figures)
    s = Settings(cache=False)
    app = database_app(DatabaseSource(url, table=name, settings=s), s, poll=30)
    app.clock = lambda: CLOCK
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await settle(app, pilot)
            assert app.query_one("#acv-digits").value == "€20.00"  # April
            await pilot.press("w")
            await pilot.pause(0.2)
            assert app.g == "week" and app.querying == "week"
            assert "querying the week figures…" in plain(app, "#status")
            await pilot.press("m")  # answered at once: month is there
            await pilot.pause(0.2)
            assert app.g == "month" and app.query_one("#acv-digits").value == "€20.00"
            await pilot.press("left")
            assert app.query_one("#acv-digits").value == "€100.00"  # March
            await pilot.press("w")
            await pilot.pause(0.2)
            assert app.querying == "week"
            gate.set()
            for _ in range(600):  # (settle's wait_for_complete raises for the at-risk
                await pilot.pause(0.05)  # workers cancelled by the keys above)
                if app.querying is None:
                    break
            assert app.g == "week" and app.snapshot.ready("figures", "week")
            assert "querying" not in plain(app, "#status")
            assert app.rows == app.snapshot.figures("week") and len(app.rows) > 10
    finally:
        gate.set()


async def test_a_list_opened_while_the_at_risk_card_computes_comes_first(same_rows, monkeypatch):
    # the at-risk card's totals are computed in the background after the first screen (10M
    # rows: ~30 s on DuckDB); `1` waited for them. Now the card's query gives way (interrupted,
    # run again after): here a real query of minutes stands for it
    import time

    import duckdb

    from kpi_tui.database import at_risk as db_at_risk

    url, name, _ = same_rows
    con = duckdb.connect(url[len("duckdb://"):])
    con.execute("CREATE TABLE n AS SELECT range AS i FROM range(200000)")
    con.close()
    s = Settings(cache=False)
    src = DatabaseSource(url, table=name, settings=s)
    a = src.conn.backend.table("n")
    b = a.view()
    j = a.cross_join(b.select(k=b.i))
    minutes = j.aggregate(s=(j.i * j.k).sum())  # 4e10 rows
    real, calls = db_at_risk.at_risk_totals, []

    def totals(t, g, *args, run=None, **kw):
        calls.append(g)
        if len(calls) == 1:
            run(minutes)
        return real(t, g, *args, run=run, **kw)

    monkeypatch.setattr(db_at_risk, "at_risk_totals", totals)
    app = database_app(src, s, poll=30)
    app.clock = lambda: CLOCK
    async with app.run_test(size=(200, 40)) as pilot:
        for _ in range(600):  # (not `settle`: it waits for the card's worker)
            await pilot.pause(0.05)
            if app.snapshot is not None and calls:
                break
        assert calls == ["month"] and "At risk …" in plain(app, "#kpis")
        await pilot.pause(0.5)  # the card's query runs
        t0 = time.monotonic()
        await pilot.press("1")
        for _ in range(600):
            await pilot.pause(0.05)
            if isinstance(app.screen, DatabaseDrilldownScreen) and app.screen.drill is not None:
                break
        assert time.monotonic() - t0 < 15  # the card's query: minutes
        assert app.screen.drill.title() == "Churned: active in Mar 2026, not in Apr 2026"
        await pilot.press("escape")
        for _ in range(600):  # the card's totals, computed again after the list
            await pilot.pause(0.05)
            if "At risk …" not in plain(app, "#kpis"):
                break
        assert calls == ["month", "month"]
        assert re.search(r"At risk \(k: list\) \d+", plain(app, "#kpis"))


async def test_the_status_line_of_a_database_at_80_columns(same_rows):
    """The issue's three: the source, the last check and the queries' time, at 80 columns: the
    URL shortened in its middle (its end, the table, kept) before the row count goes."""
    url, name, _folder = same_rows
    s = Settings(cache=False)
    app = database_app(DatabaseSource(url, table=name, settings=s), s, poll=60)
    app.clock = lambda: CLOCK
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        status = plain(app, "#status")
        assert re.fullmatch(r"as of 2026-05-11 · checked \d\d:\d\d:\d\d · queries \d+\.\d s · "
                            r"source ….*" + re.escape(f" {name}"), status), status
        assert len(status) == 78
