"""Issue 13, item 7 on screen: hostile file names in the monitor's banner, status line and
alert screen show literally (no escape sequence, no markup)."""

import datetime as dt
import os
import re

from faultkit import folder

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
SPOOF = "[$text on $error]SPOOF.csv"
TITLE = "\x1b]0;pwned\x07F.csv"


def plain(app, selector: str) -> str:
    from textual.css.query import NoMatches

    try:
        w = app.screen.query_one(selector)
    except NoMatches:
        w = app.query_one(selector)
    return w.render().plain


async def test_hostile_names_on_screen(tmp_path):
    d = folder(tmp_path, {SPOOF: b"\x00\x01\x02 not a table", TITLE: b"\x00\x01\x02 neither"})
    app = KpiApp(d, Settings(cache=False), clock=lambda: dt.datetime(2026, 3, 1), watch=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        status, banner = plain(app, "#status"), plain(app, "#banners")
        for text in (status, banner):
            assert not RAW.search(text)
        assert "skipped [$text on $error]SPOOF.csv: [$text on $error]SPOOF.csv is not a text " \
               "table (it holds binary data)." in status
        assert "skipped \\x1b]0;pwned\\x07F.csv" in status
        assert "[$text on $error]SPOOF.csv" in banner
        await pilot.press("a")
        await pilot.pause()
        history = plain(app, "#alerts-text")
        assert not RAW.search(history)
        assert "[$text on $error]SPOOF.csv" in history and "\\x1b]0;pwned\\x07F.csv" in history
