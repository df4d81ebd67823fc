"""Keys and mouse: one registry, sub-screens keep their keys, lists replace each other, the
theme is kept, tabs / effect bars / the banner are clickable."""

from __future__ import annotations

import datetime as dt

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.keys import KEYS
from kpi_tui.ui.screens.alerts import AlertsScreen
from kpi_tui.ui.screens.cohorts import CohortsScreen
from kpi_tui.ui.screens.drilldown import DrilldownScreen
from kpi_tui.ui.screens.help import HelpScreen
from test_ui_app import NOW, golden, headline, make_app, plain, ready  # noqa: F401 (a fixture)


async def settle(app, pilot):
    for _ in range(3):
        await ready(app, pilot)


async def test_every_key_in_bindings_help_and_palette(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        bound = {b.action for b in app.BINDINGS}
        assert {k.action for k in KEYS} <= bound
        palette = {c.title for c in app.get_system_commands(app.screen)}
        for t in ("Show days", "Show weeks", "Show months", "Show quarters", "Show years",
                  "Trailing windows", "Customers who left", "Customers at risk of leaving",
                  "Cohorts", "Pause / resume", "Next colour theme", "Alert history"):
            assert t in palette, t
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert str(app.screen.query_one("#help-close").render()).startswith(
            "Press escape or ? to close")
        box = app.screen.query_one("#help-box")
        assert app.screen.query_one("#help-close").region.y == box.region.y + 1  # at the top
        text = plain(app, "#help-text")
        for line in ("/ customer lists: search", "s S customer lists: next sort column",
                     "g customer lists: next list", "v cohorts: share of customers",
                     "d w m q y day, week, month, quarter, year; in trailing windows the "
                     "window: 1, 7, 30, 91 or 365 days", "b customers, revenue bridge",
                     "ctrl+q ctrl+c quit"):
            assert line in text, line


async def test_sub_screens_keep_their_keys(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark", "w", "left", "t", "p")  # in the help: nothing
        assert isinstance(app.screen, HelpScreen)
        assert app.g == "month" and not app.trailing and not app.paused
        await pilot.press("escape", "a", "w", "left")
        assert isinstance(app.screen, AlertsScreen) and app.g == "month"
        await pilot.press("escape")
        assert "April 2026" in headline(app)  # the hidden screen never moved


async def test_lists_replace_each_other(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        assert isinstance(app.screen, DrilldownScreen)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CohortsScreen)
        await pilot.press("k")
        await settle(app, pilot)
        assert isinstance(app.screen, DrilldownScreen) and len(app.screen_stack) == 2
        await pilot.press("escape")  # one escape: back on the monitor
        assert len(app.screen_stack) == 1


async def test_trailing_mode_arrows_say_why(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("t", "left")
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any(n.startswith("Trailing windows always end on the latest day: press t")
                   for n in notes)
        await pilot.press("y")  # the window: 365 days
        assert "Last 365 days" in headline(app)


async def test_reload_while_paused_waits_for_resume(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("p")
        assert app.paused and "PAUSED" in plain(app, "#alive")
        (golden / "orders-2026-06.csv").write_text(
            "order_id,customer_id,created_at,amount,currency,status\n"
            "2001,alice,2026-06-02 10:00:00,50.00,EUR,paid\n", encoding="utf-8")
        await pilot.press("r")
        await settle(app, pilot)
        assert "new data waiting" in plain(app, "#status")
        assert "April 2026" in headline(app)  # held
        await pilot.press("p")
        await settle(app, pilot)
        assert "May 2026" in headline(app)


async def test_theme_kept_for_the_next_start(golden, tmp_path):
    prefs = tmp_path / "prefs.json"
    app = make_app(golden, prefs_path=prefs)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.theme = "textual-light"
        await pilot.pause()
    assert '"textual-light"' in prefs.read_text()
    app = make_app(golden, prefs_path=prefs)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.theme == "textual-light"
    app = make_app(golden, prefs_path=prefs, settings=Settings(cache=False, theme="nord"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.theme == "nord"  # kpi-tui.toml's theme wins


async def test_mouse_tabs_bars_and_banner(golden):
    (golden / "broken.csv").write_bytes(b"\x00\x01\x02 not a table")
    clock = [dt.datetime(2026, 7, 20, 9, 0)]
    app = KpiApp(golden, Settings(cache=False), clock=lambda: clock[0], watch=False)
    async with app.run_test(size=(100, 24)) as pilot:  # one banner row: "+N more (a)"
        await ready(app, pilot)
        def at(name):  # the column of a tab (the padding first)
            return (1 + str(app.query_one("#tabs").render()).index(name) + 1, 0)

        await pilot.click("#tabs", offset=at("Week"))
        await ready(app, pilot)
        assert app.g == "week"
        await pilot.click("#tabs", offset=at("Month"))
        await ready(app, pilot)
        assert app.g == "month"
        await pilot.press("left")  # March: every effect defined
        await pilot.click("#bars", offset=(3, 2))  # second effect: existing customers
        await settle(app, pilot)
        assert isinstance(app.screen, DrilldownScreen)
        await pilot.press("escape")
        assert plain(app, "#banners").startswith("+")
        await pilot.click("#banners", offset=(3, 0))
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)


async def test_reload_while_paused_with_the_folder_watcher(golden):
    import asyncio

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(100):
            await asyncio.sleep(0.1)
            if app.snapshot is not None:
                break
        await pilot.press("p")
        assert app.monitor.paused
        (golden / "orders-2026-06.csv").write_text(
            "order_id,customer_id,created_at,amount,currency,status\n"
            "2001,alice,2026-06-02 10:00:00,50.00,EUR,paid\n", encoding="utf-8")
        await pilot.press("r")
        for _ in range(100):
            await asyncio.sleep(0.1)
            if app.pending is not None:
                break
        assert "new data waiting" in plain(app, "#status")
        assert app.monitor.paused  # asleep again
        assert "April 2026" in headline(app)
        await pilot.press("p")
        await pilot.pause()
        assert "May 2026" in headline(app)


async def test_click_a_recent_period(golden):
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        lines = app.query_one("#recent").render().plain.splitlines()
        row = next(i for i, ln in enumerate(lines) if "Feb 2026" in ln)
        await pilot.click("#recent", offset=(4, row))
        await ready(app, pilot)
        assert "February 2026 · complete" in headline(app)
        assert "▸ Feb 2026" in app.query_one("#recent").render().plain
