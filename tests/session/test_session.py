"""kpi_tui.session: one lazy snapshot, one findings() for the screen and the headless watcher."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest

from kpi_tui import session
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.session import FolderSource, findings
from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.watch.headless import run_headless

# The golden data ends on 2026-05-11; its newest file changed on 2026-05-31 (conftest).
LATER = dt.datetime(2026, 11, 30, 9, 0)  # the newest file is 183 days old
FAST = dict(debounce=0.1, max_delay=0.5, settle=0.3, check=0.1)


def headless_messages(root, settings) -> list[str]:
    out = io.StringIO()
    assert run_headless(root, settings, once=True, out=out, err=io.StringIO(),
                        history=AlertHistory(), clock=lambda: LATER,
                        monitor_options=FAST) == 0
    return [json.loads(x)["message"] for x in out.getvalue().splitlines()]


async def screen_messages(root, settings) -> list[str]:
    app = KpiApp(root, settings, clock=lambda: LATER, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return list(app.banners)


STALE = ("⚠ Data may be stale: newest transaction on Mon 11 May 2026 (day ended 202 days ago); "
         "newest file changed 183 days ago")


@pytest.mark.parametrize("as_of,want", [
    (None, [STALE]),
    # a hand-set as-of date looks at the past (alerts.rules): no stale-data warning, from
    # either front end (the screen used to warn about the newest file, the watcher not)
    (dt.date(2026, 4, 30), []),
])
async def test_screen_and_headless_agree_on_stale_data(golden_dir, as_of, want):
    s = Settings(cache=False, as_of=as_of)
    assert [m for m in await screen_messages(golden_dir, s) if "stale" in m] == want
    assert [m for m in headless_messages(golden_dir, s) if "stale" in m] == want


async def test_screen_and_headless_give_the_same_findings_on_one_snapshot(golden_dir):
    """By quarter the golden data fires the at-risk jump (€50 -> €210) and stale data."""
    s = Settings(cache=False, granularity="quarter")
    snap = FolderSource(golden_dir, s).snapshot()
    app = KpiApp(golden_dir, s, clock=lambda: LATER, loader=lambda: snap)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.snapshot is snap and snap.ready("at_risk", "quarter")
        screen = list(app.banners)
    want = [f.message for f in findings(snap, "quarter", LATER)]
    assert screen == want
    assert want == [
        "⚠ Value at stake from at-risk customers up 320.0% (€210.00 per quarter, was €50.00): "
        "4 customers are past their usual buying rhythm", STALE]
    assert headless_messages(golden_dir, s) == want


def test_snapshot_computes_each_item_once_on_first_use(golden_dir, monkeypatch):
    calls = []
    real = session.window_figures

    def counted(ledger, g, *a):
        calls.append(g)
        return real(ledger, g, *a)

    monkeypatch.setattr(session, "window_figures", counted)
    snap = FolderSource(golden_dir, Settings(cache=False)).snapshot()
    assert not snap.ready("figures", "month") and not snap.ready("trailing", "week")
    threads = [threading.Thread(target=snap.trailing, args=("week",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["week"]
    assert snap.trailing("week")["vs_previous"]["acv"] == 90.0
    assert [r["acv"] for r in snap.figures("month")][:2] == [60.0, 80.0]
    assert snap.fill() and calls == ["week", "day", "month", "quarter", "year"]
    with pytest.raises(ValueError):
        snap.figures("decade")


def test_at_risk_totals_on_the_snapshot(golden_dir):
    snap = FolderSource(golden_dir, Settings(cache=False)).snapshot()
    t = snap.at_risk("quarter")
    assert (t.g, t.as_of, t.customers, t.stake) == ("quarter", dt.date(2026, 5, 11), 4, 210.0)
    assert (t.since, t.since_customers, t.since_stake) == (dt.date(2026, 3, 31), 1, 50.0)
    assert snap.customers("quarter") is snap.customers("quarter")


def test_same_as_compares_what_is_shown(golden_dir):
    s = Settings(cache=False)
    a = FolderSource(golden_dir, s).snapshot()
    b = FolderSource(golden_dir, s).snapshot()
    assert b.same_as(a) and not b.same_as(None)
    c = FolderSource(golden_dir, Settings(cache=False, margin=0.5)).snapshot()
    assert not c.same_as(a)


def test_folder_source_probe(tmp_path):
    from kpi_tui.settings import ConfigError

    with pytest.raises(ConfigError, match="no such folder"):
        FolderSource(tmp_path / "nope", Settings()).probe()
    (tmp_path / "f.csv").write_text("x\n")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        FolderSource(tmp_path / "f.csv", Settings()).probe()


def test_state_files_live_in_the_user_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    m = session.monitor_history_path(tmp_path / "data")
    h = session.headless_history_path(tmp_path / "data")
    assert m.parent == h.parent == tmp_path / "state" / "kpi-tui"
    assert m.name.startswith("monitor-alerts-") and h.name.startswith("headless-")
