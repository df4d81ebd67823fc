"""Every terminal size people use: the headline, the four effects, the key bar and the status
line fully on screen; the status line never cut mid-word; the chart never under 6 rows."""

from __future__ import annotations

import pytest

from test_ui_app import golden, make_app, plain, ready  # noqa: F401 (a fixture)

SIZES = [(60, 16), (80, 24), (100, 30), (120, 40), (160, 50), (240, 70)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_essentials_on_screen(golden, size):
    app = make_app(golden)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        await pilot.press("left")  # March 2026: all four effects defined
        await ready(app, pilot)
        screen = app.screen.region
        for sel in ("#banners", "#tabs", "#alive", "#headline", "#bars", "#keys", "#status"):
            w = app.query_one(sel)
            assert w.display and w.region.height > 0, sel
            assert screen.contains_region(w.region), (sel, w.region)
        bars = app.query_one("#bars").render().plain.splitlines()
        if size[1] >= 24:
            assert bars[0].startswith("Why it moved vs February 2026")
            bars = bars[1:]
        assert [line.split()[-1] for line in bars] == ["0.0%", "-25.0%", "+43.8%", "0.0%"]
        assert plain(app, "#keys").startswith("? help ctrl+q quit 1-4 who k risk c cohorts")
        status = plain(app, "#status")
        assert status.startswith("as of 2026-05-11 · ")
        assert len(status) <= size[0] - 2  # whole parts, but a long folder name: its end kept
        assert all("…" not in part or part.startswith("folder …")
                   for part in status.split(" · ")), status
        for sel in ("#sentence", "#chart"):
            assert screen.contains_region(app.query_one(sel).region), sel
        if size[1] >= 24:
            assert app.query_one("#chart").region.height >= 6


@pytest.mark.parametrize("size", [(160, 50), (240, 70)])
async def test_large_screens_use_the_room(golden, size):
    app = make_app(golden)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        await ready(app, pilot)
        big = app.query_one("#acv-big")
        assert big.display and big.region.height == (10 if size == (240, 70) else 5)
        chart = app.query_one("#chart").region
        assert chart.width >= size[0] * 0.55 and chart.height >= size[1] // 4
        line = app.query_one("#bars").render().plain.splitlines()[2]
        bar_end = line.rstrip().rfind("█")  # the value follows its bar closely
        assert line.index("-€20.00") - bar_end < 25


async def test_60x16_the_sentence_and_a_sparkline(golden):
    """Under 24 rows: the sentence in one line cut at a phrase, the effects untitled, the
    chart one line of blocks (the chosen month orange), the lower panels a scroll away."""
    app = make_app(golden)
    async with app.run_test(size=(60, 16)) as pilot:
        await ready(app, pilot)
        await pilot.press("left")
        await ready(app, pilot)
        assert plain(app, "#sentence") == "1 new and 1 returning customers joined…"
        assert app.query_one("#sentence").region.height == 1
        assert app.query_one("#bars").region.height == 4
        chart = app.query_one("#chart")
        text = chart.render()
        assert chart.region.height == 1
        assert text.plain == "Jan 26 ▁▅█ ▇ May  €60–€95"  # €60 €80 €95, none, €90
        orange = [s for s in text.spans if "orange" in str(s.style)]
        assert [text.plain[s.start:s.end] for s in orange] == ["█"]  # March, the chosen one
