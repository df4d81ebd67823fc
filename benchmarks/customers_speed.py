"""Drill-down, at-risk and cohorts on N rows of history: time per step, and the figures.

    .venv/bin/python benchmarks/customers_speed.py --rows 1000000

Rows come from gen_rows.make_table (in memory, no CSV: the parse is timed elsewhere), failed and
pending rows dropped. Timed, best of --repeat runs:
  ledger       ledger_from_transactions (done once when the figures are loaded)
  index        customers.build_index: per-customer aggregates for the granularity (off the UI
               thread in the monitor, once per snapshot)
  at-risk      the at-risk assessment (once per index)
  drill GROUP  one drill-down list for the latest complete period (ranked arrays, totals and
               the first SCREEN_ROWS rows as dicts: what the screen shows when it opens); `all`:
               every row as dicts too (what `kpi-tui customers` prints), for information
  cohorts      the cohort table from the index's period sums
  --screens    also time opening each Textual screen headless (160x48: data + first paint of
               the table; Textual's cell rendering depends on the terminal size, not on N)
Target (issue 5): each drill-down and the cohorts under 300 ms once the figures are loaded.
Also checks that each list adds up to its figure in the monthly series.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_rows  # noqa: E402

from kpi_tui.metrics import periods  # noqa: E402
from kpi_tui.metrics.cohorts import cohorts  # noqa: E402
from kpi_tui.metrics.customers import GROUPS, build_index, drill, period_at  # noqa: E402
from kpi_tui.metrics.figures import period_figures  # noqa: E402
from kpi_tui.metrics.ledger import ledger_from_transactions  # noqa: E402

TARGET_MS = 300.0
SCREEN_ROWS = 1000
CHECKS = {"churned": ("previous", "churned_revenue_prev"), "retained": ("current", "retained_revenue"),
          "contracted": ("change", "contraction"), "expanded": ("change", "expansion"),
          "new": ("current", "new_revenue"), "reactivated": ("current", "reactivated_revenue")}


def transactions(rows: int) -> pa.Table:
    t = gen_rows.make_table(rows)
    keep = pc.is_in(t.column("status").cast(pa.string()), pa.array(["paid", "refunded"]))
    t = t.filter(keep)
    return pa.table({
        "customer": t.column("customer_id"),
        "date": pc.cast(t.column("created_at"), pa.date32()),
        "amount": pc.cast(t.column("amount"), pa.float64()),
    })


def best(fn, repeat: int):
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return out, min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--period", default="month")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--screens", action="store_true")
    a = ap.parse_args()
    g = a.period
    table = transactions(a.rows)
    ledger, t_ledger = best(lambda: ledger_from_transactions(table), a.repeat)
    print(f"{table.num_rows:,} transactions, {ledger.customers:,} customers, by {g}")
    print(f"{'step':<22}{'ms':>9}{'all ms':>9}  {'rows':>8}  totals")
    print(f"{'ledger':<22}{t_ledger:9.1f}")
    index, t_index = best(lambda: build_index(ledger, g), a.repeat)
    print(f"{'index':<22}{t_index:9.1f}")
    _, t_risk = best(lambda: (setattr(index, "_assessment", None), index.assessment()), a.repeat)
    print(f"{'at-risk assessment':<22}{t_risk:9.1f}")
    p = period_at(index, None)
    fig = {r["start"]: r for r in period_figures(ledger, g)}[periods.start(p, g).isoformat()]
    ok, worst = True, 0.0
    for group in GROUPS:
        def open_screen():
            d = drill(index, p, group)
            return d, d.totals(), d.rows(SCREEN_ROWS)

        (d, t, _), ms = best(open_screen, a.repeat)
        rows, ms_all = best(d.rows, a.repeat)
        worst = max(worst, ms)
        note = f"prev {t['previous']:,.2f}  cur {t['current']:,.2f}  change {t['change']:,.2f}"
        if group in CHECKS:
            k, field = CHECKS[group]
            match = math.isclose(t[k], fig[field], abs_tol=0.005)
            ok &= match
            note += f"  == {field} {fig[field]:,.2f}: {'ok' if match else 'MISMATCH'}"
        if "value_at_stake" in t:
            note += f"  at stake {t['value_at_stake']:,.2f}/{g}"
        print(f"{'drill ' + group:<22}{ms:9.1f}{ms + ms_all:9.1f}  {len(rows):8,}  {note}")
    c, t_coh = best(lambda: cohorts(index.ps, g, index.d), a.repeat)
    worst = max(worst, t_coh)
    print(f"{'cohorts':<22}{t_coh:9.1f}{'':9}  {int((c.size > 0).sum()):8,}  cohorts")
    print(f"\nperiod {periods.label(p, g)}; slowest drill-down/cohorts {worst:.1f} ms "
          f"(target {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'NOT met'}); "
          f"totals {'match' if ok else 'DO NOT match'} the series")
    if a.screens:
        import asyncio

        asyncio.run(screens(index, p, c))
    return 0 if ok and worst <= TARGET_MS else 1


async def screens(index, p, c) -> None:
    from textual.app import App

    from kpi_tui.ui.screens.cohorts import CohortsScreen
    from kpi_tui.ui.screens.drilldown import DrilldownScreen

    app = App()
    async with app.run_test(size=(160, 48)) as pilot:
        for name, make in [(g, lambda g=g: DrilldownScreen(index, p, (g,), None, "EUR"))
                           for g in ("churned", "retained", "new", "at-risk")] + [
                ("cohorts", lambda: CohortsScreen(c, "EUR"))]:
            t0 = time.perf_counter()
            await app.push_screen(make())
            await pilot.pause()
            print(f"{'screen ' + name:<22}{(time.perf_counter() - t0) * 1000:9.1f}")
            await app.pop_screen()
            await pilot.pause()


if __name__ == "__main__":
    sys.exit(main())
