"""Issue 12: the command line and the folder pipeline do not import pandas themselves."""

import subprocess
import sys

import numpy as np
import pyarrow as pa

from kpi_tui.ingest.parse import _from_parts, parse_dates
from kpi_tui.metrics.ledger import group_sum

MODULES = ("kpi_tui.cli", "kpi_tui.cli.report", "kpi_tui.session", "kpi_tui.assembly",
           "kpi_tui.ledger_cache", "kpi_tui.ingest.folder", "kpi_tui.ingest.layouts")


def test_no_pandas_on_import():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in MODULES)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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
