"""Issue 13 item 4: sums of large-currency businesses (IDR, VND, KRW, IRR) are exact: every
figure equals the sum a careful accountant makes with Python's Decimal. A ledger whose sums
would not fit int64 in micro-units counts in fewer decimals (its scale)."""

import json
import os
import random
from collections import defaultdict
from decimal import Decimal

import numpy as np

from kpi_tui.cli import main
from kpi_tui.metrics.ledger import MICROS, exact_sums, ledger_from_transactions
from kpi_tui.settings import Settings
from kpi_tui.watch.state import FolderState


def _report(capsys, d, *args):
    assert main(["report", str(d), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _write(d, name, rows):
    (d / name).write_text("customer,date,amount,currency\n" + "".join(
        f"{c},{day},{a},{cur}\n" for c, day, a, cur in rows))


def _by_period(rows, key):
    out = defaultdict(Decimal)
    for c, day, a, _ in rows:
        out[key(day)] += Decimal(a)
    return out


def test_a_year_of_vnd_sums_exactly(tmp_path, capsys):
    rows = [("c1", f"2025-{m:02d}-15", "1000000000000", "VND") for m in range(1, 13)]
    _write(tmp_path, "vnd.csv", rows)
    got = _report(capsys, tmp_path, "--period", "year", "--no-cache")
    assert [(p["revenue"], p["acv"]) for p in got["periods"]] == [(12e12, 12e12)]


def test_idr_figures_equal_decimal_sums(tmp_path, capsys):
    """3,000 sales of up to 999 billion IDR over a year (about 10**15 in all), 40 customers,
    some refunds and unattributed rows: every month's revenue and average, the year's
    revenue and the unattributed total equal the Decimal sums (float of the exact value)."""
    rnd = random.Random(13)
    rows = []
    for _ in range(3000):
        a = rnd.randint(1, 999_999_999_999) * (-1 if rnd.random() < 0.05 else 1)
        who = "" if rnd.random() < 0.03 else f"c{rnd.randint(1, 40)}"
        rows.append((who, f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}", str(a), "IDR"))
    _write(tmp_path, "idr.csv", rows)
    attributed = [r for r in rows if r[0]]
    total = sum(Decimal(r[2]) for r in rows)
    assert total > 10 ** 15
    per_month = _by_period(attributed, lambda day: day[:7] + "-01")
    for _ in range(2):  # the second run reads the ledger cache
        got = _report(capsys, tmp_path)
        assert {p["start"]: p["revenue"] for p in got["periods"]} == {
            k: float(v) for k, v in per_month.items()}
        assert got["unattributed_revenue"] == float(sum(Decimal(r[2]) for r in rows if not r[0]))
    year = _report(capsys, tmp_path, "--period", "year")["periods"][0]
    assert year["revenue"] == float(sum(Decimal(r[2]) for r in attributed))
    net = defaultdict(Decimal)
    for c, _, a, _ in attributed:
        net[c] += Decimal(a)
    active = [v for v in net.values() if v > 0]
    assert year["active_customers"] == len(active)
    assert year["acv"] == float(sum(active) / len(active))


def test_cents_kept_where_the_sums_allow(tmp_path, capsys):
    """Sums beyond 9 * 10**9 units, with cents, are exact (float64 sums were not), and a
    ledger of 5 * 10**13 with cents keeps them (scale 10**4)."""
    rows = [("a", "2026-01-05", "4000000000.01", "USD")] * 3
    rows += [("b", f"2026-02-{d:02d}", "2500000000000.37", "USD") for d in range(1, 21)]
    _write(tmp_path, "big.csv", rows)
    got = _report(capsys, tmp_path, "--no-cache")
    assert [p["revenue"] for p in got["periods"]] == [12000000000.03, 50000000000007.4]
    t = ledger_from_transactions(__import__("kpi_tui.ingest.folder", fromlist=["x"])
                                 .load_folder(tmp_path, Settings(cache=False)).transactions)
    assert t.scale == 10 ** 4


def test_exact_sums_beyond_float64():
    v = np.array([2 ** 60, 3, -(2 ** 59), 5, 2 ** 61 + 7], np.int64)
    idx = np.array([0, 0, 1, 1, 0])
    assert exact_sums(idx, v, 2).tolist() == [2 ** 60 + 3 + 2 ** 61 + 7, -(2 ** 59) + 5]
    assert exact_sums(idx[:2], np.array([1, 2], np.int64), 3).tolist() == [3, 0, 0]


def test_the_watcher_adds_a_large_export_like_a_full_read(tmp_path, capsys):
    small = [("a", "2026-01-05", "12.34", "IDR"), ("b", "2026-01-06", "0.5", "IDR")]
    _write(tmp_path, "a.csv", small)
    os.utime(tmp_path / "a.csv", (1_000_000, 1_000_000))
    state = FolderState(tmp_path, Settings(cache=False))
    state.refresh()
    assert state.snapshot().ledger.scale == MICROS
    big = [("a", f"2026-02-{d:02d}", "900000000000", "IDR") for d in range(1, 21)]
    _write(tmp_path, "b.csv", big)
    os.utime(tmp_path / "b.csv", (1_000_001, 1_000_001))
    state.refresh()
    snap = state.snapshot()
    assert snap.ledger.scale == 10 ** 5
    want = _report(capsys, tmp_path, "--no-cache")
    assert [p["revenue"] for p in snap.report("month")["periods"]] == [
        p["revenue"] for p in want["periods"]] == [12.84, 18e12]
