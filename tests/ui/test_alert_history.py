"""Alert history: one entry per alert, not one per granularity visited (issue 11)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from kpi_tui.alerts.history import AlertHistory
from kpi_tui.alerts.rules import Finding
from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
NOW = dt.datetime(2026, 6, 20, 9, 30)  # the golden data ends in May: stale


def F(rule: str, key: str | None = None) -> Finding:
    return Finding(rule, key or rule, "warning", f"⚠ {rule}")


def test_an_unscoped_alert_is_one_entry_across_granularities():
    h = AlertHistory()
    t = [dt.datetime(2026, 5, 1, 10, i) for i in range(5)]
    started = h.update([F("stale_data"), F("decline", "decline:month:x")], t[0], "month")
    assert [(a.key, a.scope) for a in started] == [("stale_data", ""),
                                                    ("decline:month:x", "month")]
    assert [a.key for a in h.update([F("stale_data"), F("decline", "decline:week:y")], t[1],
                                    "week")] == ["decline:week:y"]
    h.update([F("stale_data")], t[2], "quarter")
    assert [(a.key, a.scope) for a in h.active()] == [
        ("stale_data", ""), ("decline:month:x", "month"), ("decline:week:y", "week")]
    assert [a.key for a in h.active("quarter")] == ["stale_data"]
    h.update([F("decline", "decline:month:x")], t[3], "month")  # fresh data: stale ends
    assert [(a.key, a.ended_at) for a in h.past()] == [("stale_data", t[3])]
    assert [a.key for a in h.active()] == ["decline:month:x", "decline:week:y"]


def test_an_older_saved_history_keeps_one_entry(tmp_path):
    path = tmp_path / "h.json"
    old = {"active": [{"finding": {"rule": "stale_data", "key": "stale_data", "severity": "warning",
                                   "message": "⚠ s", "detail": ""},
                       "started_at": "2026-05-01T10:00:00", "ended_at": None, "scope": "month"}],
           "past": []}
    path.write_text(json.dumps(old))
    h = AlertHistory.load(path)
    assert h.update([F("stale_data")], dt.datetime(2026, 5, 1, 11), "week") == []
    assert [(a.key, a.scope, a.started_at.hour) for a in h.active()] == [("stale_data", "", 10)]


async def test_the_alert_screen_lists_stale_data_once(tmp_path):
    folder = tmp_path / "golden"
    shutil.copytree(GOLDEN, folder)
    app = KpiApp(folder, Settings(cache=False), clock=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            if app.snapshot is not None:
                break
        for key in "wqymd":
            await pilot.press(key)
        await pilot.press("a")
        text = str(app.screen.query_one("#alerts-text").render().plain)
    assert text.count("Data may be stale") == 1
    assert "2026-06-20 09:30  firing now\n  ⚠ Data may be stale: newest transaction on" in text


def test_a_data_warning_is_written_once_in_the_history():
    """A data warning's detail is its message: the screen showed every such line twice."""
    from textual.content import Content

    from kpi_tui.alerts.rules import Finding
    from kpi_tui.ui.screens.alerts import history_text

    class A:
        scope, ended_at, started_at = None, None, None

        def __init__(self, finding):
            self.finding = finding

    w = "table nc: no customer id or e-mail column: its rows count as unattributed revenue"
    stale = Finding("stale", "stale", "warning", "⚠ Data may be stale", "Warns when ...")
    text = Content.from_markup(history_text([A(Finding("data_warning", f"data_warning:{w}",
                                                       "warning", f"⚠ {w}", w)),
                                             A(stale)])).plain
    assert text.count("no customer id") == 1
    assert "  ⚠ Data may be stale\n  Warns when ..." in text
