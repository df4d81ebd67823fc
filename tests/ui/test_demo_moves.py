"""`kpi-tui demo` moves within 10 s of the first figures (Pilot, the real watcher and drops at
the default interval): a month completes, a half-written export is named in a banner that
clears when it is whole, the status line names each export; nothing is dated after the demo's
"now" and fresh data is never called stale."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from kpi_tui.cli.parser import parser
from kpi_tui.cli.watch import demo_parts
from kpi_tui.settings import Settings
from kpi_tui.watch.demo import DemoClock, Exporter, month_end, script, template_file

SAMPLE = Path(__file__).resolve().parents[2] / "data"
INTERVAL = parser().parse_args(["demo"]).interval  # the default


def plain(app, selector: str) -> str:
    return " ".join(str(app.query_one(selector).render().plain).split())


async def test_the_demo_moves_within_ten_seconds():
    assert INTERVAL == 3.0
    copy, clock, app, dropper = demo_parts(SAMPLE, Settings(), INTERVAL)
    seen: list[tuple[float, str, str, str, dt.date]] = []  # (s, title, banners, status, today)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            dropper.start()
            while app.snapshot is None:
                await pilot.pause(0.05)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 10.0:
                seen.append((time.monotonic() - t0, plain(app, "#acv-title"),
                             plain(app, "#banners"), plain(app, "#status"), clock().date()))
                await pilot.pause(0.1)
            as_of = app.snapshot.as_of
    finally:
        dropper.halt.set()
        shutil.rmtree(copy, ignore_errors=True)

    first = seen[0]
    assert first[1] == "October 2026 · complete Average customer value €66.06"
    assert first[4] == dt.date(2026, 11, 25)  # the demo's today: the sample's last day
    when = lambda cond: next((s for s, *rest in seen if cond(*rest)), None)  # noqa: E731
    completed = when(lambda title, *_: title.startswith("November 2026 · complete"))
    named = when(lambda _t, _b, status, _d: "last file orders_export_2026-11-demo-0001.csv"
                 in status)
    half = "1 file skipped: orders_export_2026-11-demo-0002.csv"
    flagged = when(lambda _t, banners, *_: half in banners)
    assert completed is not None and named is not None and flagged is not None, seen[-1]
    cleared = next((s for s, _t, b, *_ in seen if s > flagged and half not in b), None)
    assert cleared is not None, seen[-1]
    assert completed < flagged < cleared < 10.0
    assert "has a header but no rows" in next(b for _s, _t, b, *_ in seen if half in b)
    assert not any("stale" in b.lower() for _s, _t, b, *_ in seen)
    assert as_of == dt.date(2026, 12, 1) == seen[-1][4]  # the whole file's day, not later
    assert "as of 2026-12-01" in seen[-1][3]


def test_the_script_and_the_clock():
    clock = DemoClock(dt.date(2026, 11, 25), real=lambda: dt.datetime(2030, 1, 2, 9, 30))
    assert clock() == dt.datetime(2026, 11, 25, 9, 30)
    ex = Exporter(template_file(SAMPLE))
    drops = script(ex)
    days = []
    for _ in range(4):
        name, text, day = next(drops)
        days.append((name, day, len(text.splitlines())))
    assert month_end(dt.date(2026, 11, 26)) == dt.date(2026, 11, 30)
    assert month_end(dt.date(2024, 2, 3)) == dt.date(2024, 2, 29)
    assert [(n, d) for n, d, _ in days] == [
        ("orders_export_2026-11-demo-0001.csv", dt.date(2026, 11, 30)),
        ("orders_export_2026-11-demo-0002.csv", None),  # half-written: only part of a header
        ("orders_export_2026-11-demo-0002.csv", dt.date(2026, 12, 1)),
        ("orders_export_2026-11-demo-0003.csv", dt.date(2026, 12, 2))]
    assert days[1][2] == 1 and days[2][2] > 1
    clock.reach(dt.date(2026, 11, 30))
    clock.reach(dt.date(2026, 11, 28))  # never back
    assert clock() == dt.datetime(2026, 11, 30, 9, 30)
