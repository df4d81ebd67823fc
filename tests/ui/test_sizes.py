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
        assert len(bars) == 5 and bars[0].startswith("Why it moved vs February 2026")
        assert [line.split()[-1] for line in bars[1:]] == ["0.0%", "-25.0%", "+43.8%", "0.0%"]
        assert plain(app, "#keys").startswith("? help ctrl+q quit 1-4 who k risk c cohorts")
        status = plain(app, "#status")
        assert status.startswith("as of 2026-05-11 · ")
        assert len(status) <= size[0] - 2 and "…" not in status  # whole parts only
        if size[1] >= 24:
            assert app.query_one("#chart").region.height >= 6
            assert screen.contains_region(app.query_one("#chart").region)


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
