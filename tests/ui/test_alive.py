"""Alive at a glance: the clock moves, the data's age shows, data problems come first, the big
number takes the colour of its direction, and the banner rows never make the screen jump."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from test_ui_app import NOW, golden, plain, ready  # noqa: F401 (a fixture)


def app_at(folder, clock: list, **kw) -> KpiApp:
    return KpiApp(folder, Settings(cache=False), clock=lambda: clock[0], watch=False, **kw)


async def test_checked_ticks_and_data_age(golden):
    clock = [NOW]
    app = app_at(golden, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        assert plain(app, "#alive") == "checked 09:30 · file < 1 min old"  # files dated later
        app.monitor = SimpleNamespace(alive=True, status=SimpleNamespace(
            mode="events", last_file=None, last_received=None, waiting=0, problem=None),
            findings=list, paused=False)
        clock[0] = dt.datetime(2026, 6, 2, 10, 0)
        app._tick()  # what set_interval calls
        await pilot.pause()
        assert plain(app, "#alive") == "checked 10:00 · file 2 days old"
        assert "[$text-warning]file 2 days old[/]" in app._alive()  # older than 26 h
        assert "[$text-error]" not in app._alive()
        app.monitor.alive = False  # a dead watcher: the time stops, with its date next day
        clock[0] = dt.datetime(2026, 6, 3, 10, 5)
        app._tick()
        await pilot.pause()
        assert plain(app, "#alive") == "checked 2 Jun 10:00 · file 3 days old"
        assert "[$text-error]checked 2 Jun 10:00[/]" in app._alive()  # late: coloured


async def test_banners_data_problems_first_and_rows_reserved(golden):
    (golden / "broken.csv").write_bytes(b"\x00\x01\x02 not a table")
    clock = [dt.datetime(2026, 7, 20, 9, 0)]  # two months on: stale data
    app = KpiApp(golden, Settings(cache=False, granularity="quarter"), clock=lambda: clock[0],
                 watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        banners = app.query_one("#banners")
        assert banners.region.height == 2
        assert app.banners[0].startswith("⚠ Value at stake")  # the rules' order
        top = plain(app, "#banners").splitlines()  # shown: data problems first
        assert top[0].startswith("⚠ Data may be stale: newest transaction on")
        assert top[1] == "+1 more (a) ⚠ 1 file skipped: broken.csv (broken.csv is not a text " \
            "table (it holds binary data))"  # the movement warning: in the alert history
        assert "skipped broken.csv" in plain(app, "#status")  # always named
        chart_y = app.query_one("#headline").region.y
        app.banners = []
        app._render_banners()
        await pilot.pause()
        assert app.query_one("#headline").region.y == chart_y  # no jump
        assert plain(app, "#banners") == "✓ no warnings"


async def test_big_number_coloured_by_direction(golden):
    app = app_at(golden, [NOW])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        head = app.query_one("#headline")
        await pilot.press("left")  # March: up from February
        assert head.has_class("-up") and not head.has_class("-down")
        up = app.query_one("#acv-digits").styles.color
        await pilot.press("w")  # weeks: some go down
        found = None
        for _ in range(20):
            if head.has_class("-down"):
                found = app.query_one("#acv-digits").styles.color
                break
            await pilot.press("left")
        assert found is not None and found != up
        assert "▼" in plain(app, "#vs-prev")  # the arrow says it without colour
