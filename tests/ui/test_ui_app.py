"""Pilot tests of the monitor: every key, on the golden example, with exact figures."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.screens.alerts import AlertsScreen
from kpi_tui.ui.screens.help import HelpScreen

from conftest import GOLDEN  # noqa: E402
NOW = dt.datetime(2026, 5, 12, 9, 30, 0)
MTIMES = {"orders-2026-02.csv": dt.datetime(2026, 2, 28), "orders-2026-05.csv": dt.datetime(2026, 5, 31)}


def golden_copy(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name, when in MTIMES.items():
        shutil.copy(GOLDEN / name, dest / name)
        t = when.timestamp()
        os.utime(dest / name, (t, t))
    return dest


@pytest.fixture
def golden(tmp_path) -> Path:
    return golden_copy(tmp_path / "data")


def make_app(folder: Path, **kw) -> KpiApp:
    settings = kw.pop("settings", None) or Settings(cache=False)
    return KpiApp(folder, settings, clock=lambda: NOW, watch=False, **kw)


def plain(app, selector: str) -> str:
    from textual.css.query import NoMatches

    try:
        w = app.screen.query_one(selector)
    except NoMatches:
        w = app.query_one(selector)
    r = w.render()
    if hasattr(r, "plain"):
        text = r.plain
    else:  # a Rich renderable (tables of the help screen)
        from rich.console import Console

        with open(os.devnull, "w") as null:
            console = Console(width=200, record=True, file=null)
            console.print(getattr(r, "_renderable", r))
            text = console.export_text()
    return "\n".join(" ".join(line.split()) for line in text.splitlines())  # spacing aside


def headline(app) -> str:
    return "\n".join(plain(app, s) for s in ("#acv-title", "#vs-prev", "#vs-year", "#kpis"))


async def ready(app, pilot) -> None:
    """Every worker done (a chart drawing replaced by a newer one counts as done)."""
    from textual.worker import WorkerCancelled

    await pilot.pause()
    for _ in range(5):
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            await pilot.pause()
    await pilot.pause()


async def test_default_is_latest_complete_month(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        h = headline(app)
        assert "April 2026 · complete" in h
        assert "Average customer value –" in h
        assert "Churn rate 100.0%" in h
        assert "Nobody bought in this period" in plain(app, "#sentence")
        status = plain(app, "#status")
        assert "as of 2026-05-11 · 2 files · 14 rows · refreshed 09:30:00" in status
        banners = app.query_one("#banners")  # its row is kept: the layout never jumps
        assert banners.display and banners.has_class("-none")
        assert plain(app, "#banners") == "✓ no warnings"


async def test_left_right_end_home(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        h = headline(app)
        assert "March 2026 · complete" in h
        assert "Average customer value €95.00" in h
        assert app.query_one("#acv-digits").value == "€95.00"
        assert "▲ +€15.00 (+18.8%) vs February 2026" in h
        assert "no data a year earlier" in h
        assert "Active customers 4" in h
        assert "Revenue €380.00" in h
        assert "Churn rate 0.0%" in h
        bars = plain(app, "#bars")
        assert "Why it moved vs February 2026: +€15.00 per customer" in bars
        assert "-€20.00 -25.0%" in bars and "+€35.00 +43.8%" in bars
        mv = plain(app, "#movements")
        assert "retained 2 left 0\nnew 1 back 1" in mv
        assert "New +€200.00" in mv
        assert "Contraction -€40.00" in mv
        assert "= Revenue change +€220.00" in mv
        assert "▸ Mar 2026 4 €380.00 €95.00 0.0%" in plain(app, "#recent")
        await pilot.press("left")
        h = headline(app)
        assert "February 2026" in h and "€80.00" in h
        assert "▲ +€20.00 (+33.3%) vs January 2026" in h
        assert "CLV" not in h and "Lifetime value €120.00" in h
        await pilot.press("right", "right", "right")
        h = headline(app)
        assert "May 2026 · in progress" in h and "Average customer value €90.00" in h
        await pilot.press("right")  # already the last one
        assert "May 2026" in headline(app)
        await pilot.press("home")
        assert "January 2026" in headline(app) and "€60.00" in headline(app)
        assert "no earlier period" in headline(app)
        await pilot.press("end")
        assert "April 2026 · complete" in headline(app)


async def test_granularity_keys(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("q")
        h = headline(app)
        assert "Q1 2026 · complete" in h
        assert "Average customer value €144.00" in h
        assert "Active customers 5" in h and "Revenue €720.00" in h
        assert app.query_one("#acv-digits").value == "€144.00"
        await pilot.press("right")
        h = headline(app)
        assert "Q2 2026 · in progress" in h
        assert "▼ -€54.00 (-37.5%) vs Q1 2026" in h
        await pilot.press("y")
        h = headline(app)
        assert "2026 · in progress" in h and "€162.00" in h
        await pilot.press("d")
        h = headline(app)
        assert "Mon 11 May 2026 · complete" in h and "€90.00" in h
        await pilot.press("w")
        h = headline(app)
        assert "week 19, 2026 · complete" in h and "Average customer value –" in h
        await pilot.press("m")
        assert "April 2026 · complete" in headline(app)
        await pilot.press("q")  # the selection of each granularity is remembered
        assert "Q2 2026 · in progress" in headline(app)


async def test_trailing_windows(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("t")
        h = headline(app)
        assert "Last 30 days (12 Apr – 11 May 2026)" in h
        assert "Average customer value €90.00" in h
        assert "▼ -€30.00 (-25.0%) vs 13 Mar – 11 Apr 2026" in h
        assert "no comparison vs 12 Apr – 11 May 2025" in h
        assert "trailing windows" in plain(app, "#tabs")
        recent = plain(app, "#recent")
        assert "Trailing windows" in recent and "before" in recent and "€120.00" in recent
        await pilot.press("q")
        assert "Last 91 days" in headline(app)
        await pilot.press("left")  # no period to move in this view
        assert "Last 91 days" in headline(app)
        await pilot.press("t")
        assert "Q1 2026 · complete" in headline(app)


async def test_reload_pause_help_alerts_quit(golden):
    calls = []
    from kpi_tui.ui.app import load_snapshot

    def loader():
        calls.append(1)
        return load_snapshot(golden, Settings(cache=False))

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW, loader=loader)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        assert len(calls) == 1
        await pilot.press("r")
        await ready(app, pilot)
        assert len(calls) == 2
        await pilot.press("p")
        assert "PAUSED" in plain(app, "#status")
        await pilot.press("r")
        await ready(app, pilot)
        assert "new data waiting" in plain(app, "#status")
        await pilot.press("p")
        assert "PAUSED" not in plain(app, "#status")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(app, "#help-text")
        for k in ("d w m q y", "ctrl+p", "ctrl+q ctrl+c", "Churn rate", "Lifetime value"):
            assert k in text
        await pilot.press("escape")
        await pilot.press("a")
        assert isinstance(app.screen, AlertsScreen)
        assert "No warnings so far." in plain(app, "#alerts-text")
        await pilot.press("escape")
        assert not isinstance(app.screen, (HelpScreen, AlertsScreen))
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0


async def test_skipped_file_banner_and_history(golden):
    (golden / "broken.csv").write_bytes(b"\x00\x01\x02 not a table")
    app = make_app(golden)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        banner = plain(app, "#banners")
        assert banner.startswith("⚠")
        assert "broken.csv" in banner
        assert "skipped broken.csv" in plain(app, "#status")
        await pilot.press("a")
        text = plain(app, "#alerts-text")
        assert "2026-05-12 09:30 firing now\n⚠ 1 file skipped: broken.csv" in text
        await pilot.press("escape", "w", "q", "a")  # other periods: still one entry
        text = plain(app, "#alerts-text")
        assert text.count("file skipped") == 1


async def test_locale_fr(golden):
    app = make_app(golden, settings=Settings(cache=False, locale="fr"))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        h = headline(app).replace("\u202f", " ").replace("\u00a0", " ")
        assert "95,00 €" in h


async def test_too_small_then_resized(golden):
    app = make_app(golden)
    async with app.run_test(size=(50, 12)) as pilot:
        await ready(app, pilot)
        assert "too small" in plain(app, "#too-small")
        assert app.query_one("#main").display is False
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.query_one("#main").display is True
        assert "April 2026" in headline(app)


async def test_80x24_lower_panels_one_key_away(golden):
    app = make_app(golden)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen.region
        for sel in ("#why", "#chart"):
            assert screen.contains_region(app.query_one(sel).region), sel
        assert app.query_one("#chart").size.height >= 6
        body = app.query_one("#body")
        lower = app.query_one("#lower")
        assert not body.region.overlaps(lower.region)  # below the fold
        await pilot.press("b")
        await pilot.pause()
        assert body.region.contains_region(lower.region.intersection(body.region))
        assert lower.region.y < body.region.bottom and body.scroll_y > 0
        assert "Revenue bridge" in app.screen.query_one("#movements").render().plain
        await pilot.press("b")  # and back
        await pilot.pause()
        assert body.scroll_y == 0


async def test_missing_folder_shows_message(tmp_path):
    app = make_app(tmp_path / "nope")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "No transactions found" in plain(app, "#sentence") or \
            "could not read" in plain(app, "#load-msg")


async def test_no_redraw_when_nothing_changed(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        w = app.query_one("#kpis")
        assert w.show(w._shown) is False
        chart = app.query_one("#chart")
        key = chart._key
        app.render_all()
        assert chart._key == key


async def test_wall_screen_big_number_and_palette(golden):
    app = make_app(golden)
    async with app.run_test(size=(240, 70)) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        big = app.query_one("#acv-big")
        assert big.display and big.value == "€95.00"
        assert app.query_one("#acv-digits").styles.display == "none"
        assert "Average customer value €95.00" in headline(app)  # the plain text too
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for t in ("Show quarters", "Previous period", "Trailing windows",
                  "Read the data again now", "Pause / resume", "Alert history", "Help",
                  "Customers who left", "Customers at risk of leaving", "Cohorts",
                  "Next colour theme"):
            assert t in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


def test_marker_and_big_font():
    from kpi_tui.ui.widgets.bignum import big_lines
    from kpi_tui.ui.widgets.chart import marker_for

    assert marker_for(None) == "braille"
    assert marker_for("dot") == "dot"
    assert marker_for("ascii") == "*"
    assert marker_for("+") == "+"
    lines = big_lines("-1.5")
    assert len(lines) == 5
    assert lines[2].startswith("██████")
    assert big_lines("CHF 12") is None  # no glyph: the 3-row digits are used


async def test_reload_with_same_data_redraws_nothing(golden):
    app = make_app(golden)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        data_id, key = app.data_id, app.query_one("#chart")._key
        shown = app.query_one("#kpis")._shown
        await pilot.press("r")
        await ready(app, pilot)
        assert app.data_id == data_id
        assert app.query_one("#chart")._key == key
        assert app.query_one("#kpis")._shown is shown  # not even re-set


async def test_live_folder_watcher_updates_the_screen(golden):
    import asyncio

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW)
    async with app.run_test(size=(240, 40)) as pilot:  # the whole status line
        for _ in range(100):
            await asyncio.sleep(0.1)
            if app.snapshot is not None:
                break
        assert app.monitor is not None
        assert "April 2026 · complete" in headline(app)
        (golden / "orders-2026-06.csv").write_text(
            "order_id,customer_id,created_at,amount,currency,status\n"
            "2001,alice,2026-06-02 10:00:00,50.00,EUR,paid\n", encoding="utf-8")
        for _ in range(150):
            await asyncio.sleep(0.1)
            if "May 2026 · complete" in headline(app):
                break
        h = headline(app)
        assert "May 2026 · complete" in h and "Average customer value €90.00" in h
        assert "as of 2026-06-02 · 3 files · 15 rows" in plain(app, "#status")
        import datetime as _dt
        when = _dt.datetime.fromtimestamp((golden / "orders-2026-06.csv").stat().st_mtime)
        # received when the watcher saw it: the file's minute, or the next one under load
        status = plain(app, "#status")
        assert any(f"last file orders-2026-06.csv {t:%Y-%m-%d %H:%M}" in status
                   for t in (when, when + _dt.timedelta(minutes=1))), status


async def test_at_risk_totals_arriving_after_the_app_closed(golden):
    """The at-risk card's totals come from a worker thread; arriving as the app shuts down
    (its widgets gone: seen once in CI, a WorkerFailed at the end of a test) they are
    dropped, not drawn."""
    import asyncio

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)):
        for _ in range(100):
            await asyncio.sleep(0.1)
            if app.snapshot is not None:
                break
        snap, g = app.snapshot, app.g
    assert snap is not None
    app.at_risk_ready(snap, g, None)  # no widgets left: no NoMatches


async def test_loading_indicator_and_ui_responsive_while_loading(golden):
    import threading

    from kpi_tui.ui.app import load_snapshot
    from textual.widgets import LoadingIndicator

    gate = threading.Event()

    def slow_loader():
        gate.wait(10)
        return load_snapshot(golden, Settings(cache=False))

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW, loader=slow_loader)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.query_one(LoadingIndicator).display
        assert app.query_one("#body").display is False
        await pilot.press("m", "question_mark")  # keys work while the data loads
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        gate.set()
        await ready(app, pilot)
        assert app.query_one("#loading").display is False
        assert "April 2026 · complete\nAverage customer value –" in headline(app)


def test_run_monitor_missing_folder(tmp_path, capsys):
    from kpi_tui.ui.app import run_monitor

    assert run_monitor(tmp_path / "nope", Settings()) == 2
    assert "no such folder" in capsys.readouterr().err


async def test_alert_history_persisted_per_folder(golden, tmp_path):
    (golden / "broken.csv").write_bytes(b"\x00\x01\x02 not a table")
    path = tmp_path / "state" / "alerts.json"
    app = make_app(golden, history_path=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
    assert "broken.csv" in path.read_text(encoding="utf-8")
    app2 = make_app(golden, history_path=path)
    assert any("broken.csv" in a.finding.message for a in app2.history.active())


async def test_ctrl_q_quits(golden):
    app = make_app(golden)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_first_load_shows_progress_per_file(golden):
    """Long first loads show which file is read and a progress bar (issue 3)."""
    import threading

    from textual.widgets import ProgressBar

    gate = threading.Event()
    from kpi_tui.ui.app import load_snapshot

    def slow_loader():
        gate.wait(10)
        return load_snapshot(golden, Settings(cache=False))

    app = KpiApp(golden, Settings(cache=False), clock=lambda: NOW, watch=False,
                 loader=slow_loader)
    async with app.run_test(size=(100, 30)) as pilot:
        app.show_progress(1, 4, golden / "orders-2026-05.csv")
        await pilot.pause()
        bar = app.query_one("#load-progress", ProgressBar)
        assert (bar.total, bar.progress) == (4, 1)
        assert "file 2 of 4, orders-2026-05.csv" in plain(app, "#load-msg")
        gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.snapshot is not None:
                break
        assert app.snapshot is not None


async def test_a_crash_report_shows_no_local_values(golden, monkeypatch, capfd):
    # Textual's crash report shows every frame's locals by their repr: a database URL with
    # its password may be one of them
    secret = "Pw-crash-9f3k"

    def pause(self):
        url = f"postgresql://bob:{secret}@db/shop"  # noqa: F841 - a local of the frame
        raise RuntimeError("a bug")

    monkeypatch.setattr(KpiApp, "action_toggle_pause", pause)
    app = make_app(golden)
    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("p")
            await pilot.pause()
    err = capfd.readouterr().err
    assert "RuntimeError: a bug" in err and "def pause(self):" in err  # the report, printed
    assert secret not in err
