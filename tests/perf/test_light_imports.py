"""Issue 12: the command line and the folder pipeline do not import pandas, on import or when
they run (pyarrow imports it on `pa.array`, `pa.scalar`, `to_numpy`... of its own)."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from kpi_tui import arrow
from kpi_tui.ingest.parse import _from_parts, parse_dates
from kpi_tui.metrics.ledger import group_sum

MODULES = ("kpi_tui.cli", "kpi_tui.cli.report", "kpi_tui.session", "kpi_tui.assembly",
           "kpi_tui.ledger_cache", "kpi_tui.ingest.folder", "kpi_tui.ingest.layouts")


def test_no_pandas_on_import():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in MODULES)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


SAMPLE = Path(__file__).resolve().parents[2] / "data"
# a command run to its end in this process, then whether pandas was imported
RUN = ("import sys\nfrom kpi_tui.cli import main\nmain(sys.argv[1:])\n"
       "print('pandas' in sys.modules, file=sys.stderr)")


def run_loads_pandas(*argv) -> tuple[bool, str]:
    out = subprocess.run([sys.executable, "-c", RUN, *map(str, argv)], capture_output=True,
                         text=True, check=True)
    return out.stderr.strip().splitlines()[-1] == "True", out.stdout


def test_sample_report_runs_without_pandas():
    # cold (files parsed, the ledger cache written), then from the ledger cache
    cold, first = run_loads_pandas("report", SAMPLE, "--format", "json")
    warm, again = run_loads_pandas("report", SAMPLE, "--format", "json")
    assert json.loads(first)["periods"] and first == again
    assert (cold, warm) == (False, False)


def test_golden_report_and_check_run_without_pandas(golden_dir):
    assert run_loads_pandas("report", golden_dir, "--no-cache")[0] is False
    assert run_loads_pandas("check", golden_dir)[0] is False


def test_every_layout_and_parquet_run_without_pandas(tmp_path, golden_dir):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
    d = tmp_path / "all"
    d.mkdir()
    for f in fixtures.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    pq.write_table(pacsv.read_csv(golden_dir / "orders-2026-02.csv"), d / "orders.parquet")
    for argv in (("report", d, "--no-cache"), ("check", d)):
        assert run_loads_pandas(*argv)[0] is False, argv


def test_arrow_helpers_match_pyarrow():
    m = np.array([0, 1, 0, 0, 1], bool)
    for got, want in [
        (arrow.array(np.arange(5, dtype=np.int32)), pa.array(np.arange(5, dtype=np.int32))),
        (arrow.array(np.arange(5.0), mask=m), pa.array(np.arange(5.0), mask=m)),
        (arrow.array(np.array([True, False, True])), pa.array([True, False, True])),
        (arrow.strings(["a", None, "é", ""]), pa.array(["a", None, "é", ""], pa.string())),
        (arrow.strings([]), pa.array([], pa.string())),
        (arrow.dates([dt.date(1899, 12, 31), None, dt.date(2026, 2, 28)]),
         pa.array([dt.date(1899, 12, 31), None, dt.date(2026, 2, 28)], pa.date32())),
    ]:
        assert got.equals(want) and got.type == want.type
    for v, t in [(None, pa.string()), ("", None), (False, None), (-1, pa.int32()), (0.0, None),
                 (18, None), (np.int64(3), None), (None, pa.float64())]:
        got, want = arrow.scalar(v, t), pa.scalar(v, t)
        assert got.equals(want) and got.type == want.type
    ints = pa.array([3, None, 5], pa.int64())
    for a in [pa.array(np.arange(10, dtype=np.int32)).slice(3, 4), ints, ints.slice(1),
              pa.array([True, False, True, True] * 3).slice(2, 7), pa.array([1.5, None]),
              pa.array(["x", None]), pa.array([dt.date(2026, 1, 2), None], pa.date32()),
              pa.array([], pa.int64()), pa.chunked_array([ints, ints]),
              pa.chunked_array([], pa.int32()), pa.array(["a", "b", "a"]).dictionary_encode()]:
        got, want = arrow.to_numpy(a), a.to_numpy(zero_copy_only=False)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_day_month_year_without_pandas():
    # the calendar rules pandas applied: leap years, month lengths, two-digit years
    s = pa.array(["29/02/2024", "29/02/2023", "31/04/2026", "30/04/2026", "01/13/2026",
                  "15/06/26", "00/01/2026", "31/12/1899", "01/01/2100", "29/02/2000",
                  "29/02/1900", None])
    got = parse_dates(s, date_order="dmy").to_pylist()
    assert [d.isoformat() if d else None for d in got] == [
        "2024-02-29", None, None, "2026-04-30", None, "2026-06-15", None, "1899-12-31",
        "2100-01-01", "2000-02-29", None, None]


def test_from_parts_mask():
    parts = pa.StructArray.from_arrays([pa.array(["2026", "2026"]), pa.array(["1", "2"]),
                                        pa.array(["31", "28"])], names=["y", "m", "d"])
    out = _from_parts(parts, "y", "m", "d", pa.array([True, False]))
    assert [str(d) if d else None for d in out.to_pylist()] == ["2026-01-31", None]


def test_group_sum_first_seen_order_kept():
    c = np.array([2, 0, 2, 1, 0], np.int32)
    p = np.array([1, 0, 1, 0, 2], np.int64)
    m = np.array([5, -3, 7, 2, 4], np.int64)
    cust, per, sums, bought = group_sum(c, p, m, 3, purchases=True)
    assert cust.tolist() == [0, 0, 1, 2]
    assert per.tolist() == [0, 2, 0, 1]
    assert sums.tolist() == [-3, 4, 2, 12]
    assert bought.tolist() == [False, True, True, True]


def test_group_sum_of_rows_in_customer_day_order():
    # the ledger cache's order: runs of rows, summed without hashing; same results
    rng = np.random.default_rng(3)
    c = rng.integers(0, 50, 2000).astype(np.int32)
    p = rng.integers(0, 7, 2000).astype(np.int64)
    m = rng.integers(-10**9, 10**9, 2000)
    order = np.lexsort((p, c))
    want = group_sum(c, p, m, 7, purchases=True)
    got = group_sum(c[order], p[order], m[order], 7, purchases=True)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()


def test_many_small_files_run_without_pandas(tmp_path):
    # small same-header files read together (ingest.grouped): screen, refunds, dedupe at once
    d = tmp_path / "drop"
    d.mkdir()
    for f in range(300):
        lines = ["order_id,customer_id,created_at,amount,currency,status"]
        for r in range(5):
            i = f * 5 + r
            lines.append(f"{i},C{i % 37},2026-0{1 + f % 6}-{1 + r:02d} 10:00:00,{10 + r}.50,EUR,"
                         f"{'paid' if r else 'refunded'}")
        lines.append(f"{f * 5 - 1},C1,2026-01-02 10:00:00,-5.00,EUR,paid")  # the file before's
        (d / f"export-{f:04d}.csv").write_text("\n".join(lines) + "\n")
    loads, out = run_loads_pandas("report", d, "--format", "json", "--no-cache")
    assert json.loads(out)["periods"]
    assert loads is False
