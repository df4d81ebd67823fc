"""ASCII mode: every character on screen is ASCII (# bars, * points, +-| frames, EUR, !)."""

from __future__ import annotations

import datetime as dt

import pytest

from kpi_tui.settings import Settings
from kpi_tui.ui import glyphs
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.widgets.bignum import big_lines
from test_ui_app import golden, ready  # noqa: F401 (a fixture)


def screen_text(app) -> str:
    return "\n".join(s.text for s in app.screen._compositor.render_strips())


@pytest.mark.parametrize("env, want", [
    ({"TERM": "xterm-256color", "LANG": "en_US.UTF-8"}, False),
    ({"TERM": "dumb", "LANG": "en_US.UTF-8"}, True),
    ({"TERM": "linux"}, True),
    ({"TERM": "vt100"}, True),
    ({"TERM": "xterm", "LANG": "C"}, True),
    ({"TERM": "xterm", "LC_ALL": "de_DE.ISO-8859-1", "LANG": "de_DE.UTF-8"}, True),
    ({"TERM": "xterm", "LC_CTYPE": "C.utf8"}, False),
    ({"TERM": "xterm"}, False),  # nothing set: assumed UTF-8
])
def test_when_ascii_is_automatic(env, want):
    assert glyphs.wanted(env) is want


def test_ascii_text():
    assert glyphs.text("▼ -€15.77 (-19.3%) vs Sep · ← → ⚠ 2 more…") == \
        "v -EUR 15.77 (-19.3%) vs Sep . <- -> ! 2 more..."
    assert big_lines("95", block="#")[0] == "###### ######"


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_whole_screen_is_ascii(golden, size):
    clock = [dt.datetime(2026, 7, 20, 9, 0)]  # stale data: banners too
    app = KpiApp(golden, Settings(cache=False, ascii=True), clock=lambda: clock[0],
                 watch=False)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        await ready(app, pilot)
        await ready(app, pilot)
        text = screen_text(app)
        bad = sorted({c for c in text if ord(c) > 127})
        assert bad == [], bad
        assert "Average customer value EUR 95.00" in text
        assert "! Data may be stale" in text
        assert "|####" in text or "####|" in text  # the effect bars
        assert "+-" in text and "EUR 100+" in text  # the chart's frame and y ticks
        assert "*" in text
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert sorted({c for c in text if ord(c) > 127}) == []
        assert "<-" in text and "previous period" in text  # the help, in ASCII


def test_ascii_flag():
    from kpi_tui.cli.parser import parser, settings

    args = parser().parse_args(["monitor", "--ascii", "data"])
    assert settings(args).ascii is True
    assert settings(parser().parse_args(["monitor", "data"])).ascii is None  # automatic
