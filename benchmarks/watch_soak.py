"""A day of unattended watching, sped up: 1,000 exports through the real FolderMonitor.

    .venv/bin/python benchmarks/watch_soak.py                 # 1,000 exports, keep them all
    .venv/bin/python benchmarks/watch_soak.py --keep 100      # the folder keeps the last 100
    .venv/bin/python benchmarks/watch_soak.py --ui            # also redraw the Textual screen

Starts from --history rows of history (benchmarks/gen_rows.py), then drops one export of
--rows new orders (new ids, the next ~86 s of a simulated day) at a time, written as a temp file
then renamed in, and waits for the snapshot that counts it. Every --every steps it prints the
resident memory, the recompute time (folder -> Snapshot, FolderMonitor.status.compute_seconds),
the drop -> snapshot latency and, with --ui, the redraw time (KpiApp.apply_snapshot plus one
refresh of the screen, headless). The summary compares the first and last hundred steps:
memory must stay flat apart from the rows added, and redraw/recompute time must not grow
beyond what the extra rows explain. XDG_CACHE_HOME points at a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
WORK = HERE / "_work"
HEADER = "order_id,customer_id,created_at,amount,currency,status\n"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def export(n: int, rows: int, start: dt.datetime, customers: int) -> str:
    t = start + dt.timedelta(seconds=86.4 * n)
    lines = [HEADER]
    for i in range(rows):
        c = (n * 7919 + i * 104729) % customers
        amt = 5 + (n * 31 + i * 17) % 200 + 0.25
        lines.append(f"soak{n}-{i},cust{c},{t:%Y-%m-%d %H:%M:%S},{amt:.2f},EUR,paid\n")
    return "".join(lines)


class Snaps:
    def __init__(self):
        self.cond = threading.Condition()
        self.last = None

    def __call__(self, snap) -> None:
        with self.cond:
            self.last = snap
            self.cond.notify_all()

    def wait(self, pred, timeout: float = 120.0):
        with self.cond:
            if not self.cond.wait_for(lambda: self.last is not None and pred(self.last), timeout):
                raise SystemExit("timed out waiting for a snapshot")
            return self.last


async def soak(a, folder: Path) -> None:
    from kpi_tui.settings import Settings
    from kpi_tui.watch.monitor import FolderMonitor

    settings = Settings()
    snaps = Snaps()
    errors: list[str] = []
    mon = FolderMonitor(folder, settings, snaps, None, errors.append, debounce=a.debounce)
    t0 = time.perf_counter()
    mon.start()
    snap = snaps.wait(lambda s: True)
    print(f"first snapshot: {time.perf_counter() - t0:.2f} s, "
          f"{snap.dataset.rows:,} transactions, RSS {rss_mb():.0f} MB")

    app = pilot = ctx = None
    if a.ui:
        from kpi_tui.ui.app import KpiApp

        first_snap = snap
        app = KpiApp(folder, settings, loader=lambda: first_snap)
        ctx = app.run_test(size=(160, 48))
        pilot = await ctx.__aenter__()
        await pilot.pause()

    last_day = snap.as_of or dt.date(2026, 3, 1)
    start = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0))
    rows: list[tuple] = []
    print(f"{'step':>5} {'files':>6} {'txns':>9} {'RSS MB':>7} {'recompute s':>11} "
          f"{'latency s':>9} {'redraw s':>8}")
    for n in range(a.exports):
        name = f"soak-{n:05}.csv"
        tmp = folder / f".{name}.tmp"
        tmp.write_text(export(n, a.rows, start, a.customers))
        t0 = time.perf_counter()
        os.replace(tmp, folder / name)
        if a.keep and n >= a.keep:
            (folder / f"soak-{n - a.keep:05}.csv").unlink()
        snap = snaps.wait(lambda s, name=name: any(f.path.name == name for f in s.dataset.used))
        latency = time.perf_counter() - t0
        redraw = float("nan")
        if app is not None:
            t1 = time.perf_counter()
            app.apply_snapshot(snap)
            await pilot.pause()
            redraw = time.perf_counter() - t1
        if n % 10 == 0:
            gc.collect()
        rows.append((n, len(snap.dataset.used), snap.dataset.rows, rss_mb(),
                     mon.status.compute_seconds, latency, redraw))
        if n % a.every == 0 or n == a.exports - 1:
            r = rows[-1]
            print(f"{r[0]:>5} {r[1]:>6} {r[2]:>9,} {r[3]:>7.0f} {r[4]:>11.3f} {r[5]:>9.3f} "
                  f"{r[6]:>8.3f}", flush=True)
        del snap
    if ctx is not None:
        await ctx.__aexit__(None, None, None)
    mon.stop()

    k = min(100, len(rows) // 2)
    first, last = rows[:k], rows[-k:]
    med = lambda xs, i: statistics.median(r[i] for r in xs)  # noqa: E731
    print(f"\nsummary over {len(rows)} exports (first {k} vs last {k} steps, medians):")
    print(f"  transactions  {med(first, 2):,.0f} -> {med(last, 2):,.0f}")
    print(f"  RSS MB        {med(first, 3):.0f} -> {med(last, 3):.0f} "
          f"(max {max(r[3] for r in rows):.0f})")
    print(f"  recompute s   {med(first, 4):.3f} -> {med(last, 4):.3f}")
    print(f"  latency s     {med(first, 5):.3f} -> {med(last, 5):.3f}")
    if app is not None:
        print(f"  redraw s      {med(first, 6):.3f} -> {med(last, 6):.3f}")
    for e in errors:
        print(f"watcher error: {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exports", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=100, help="orders per export")
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--history", type=int, default=1_000_000,
                    help="rows of history to start from (0: none)")
    ap.add_argument("--keep", type=int, default=0, help="keep only the last N exports (0: all)")
    ap.add_argument("--every", type=int, default=50, help="print every N steps")
    ap.add_argument("--debounce", type=float, default=0.05)
    ap.add_argument("--ui", action="store_true", help="also time the screen redraw (Textual)")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="watch-soak-", dir=WORK if WORK.is_dir() else None))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
    try:
        folder = tmp / "data"
        folder.mkdir()
        if a.history:
            import gen_rows

            src = WORK / f"rows-{a.history}"
            for p in gen_rows.generate(a.history, src):
                try:
                    os.link(p, folder / p.name)
                except OSError:
                    shutil.copy2(p, folder / p.name)
        asyncio.run(soak(a, folder))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
