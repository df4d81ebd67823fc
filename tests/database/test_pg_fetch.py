"""PostgreSQL results without pandas (issue 8): the same pyarrow tables as Ibis's to_pyarrow."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
import pytest

from kpi_tui.database.fetch import _column

from dbengines import open_engine

UTC = dt.timezone.utc
CASES = [
    (pa.int64(), [1, None, -(2**62), 0]),
    (pa.int64(), [Decimal("136051000000"), None, Decimal("-3")]),  # PostgreSQL's sum of ints
    (pa.int32(), [7, None]),
    (pa.float64(), [1.5, None, 1e-05, 0.1 + 0.2, float("inf"), -1e300, 3]),
    (pa.decimal128(18, 2), [Decimal("17850.00"), None, Decimal("-0.01"), Decimal("1E+2"), 5]),
    (pa.decimal128(38, 9), [Decimal("0E-9"), Decimal("1.5")]),
    (pa.string(), ["paid", None, "", " é ü 日本 ", "a,b\"c"]),
    (pa.bool_(), [True, False, None]),
    (pa.date32(), [dt.date(2026, 1, 31), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
    (pa.timestamp("us"), [dt.datetime(2026, 1, 5, 10, 0), None,
                          dt.datetime(2026, 1, 5, 10, 0, 0, 123)]),
    (pa.timestamp("us", "UTC"), [dt.datetime(2026, 1, 5, 10, 0, tzinfo=UTC), None,
                                 dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]),
]


@pytest.mark.parametrize("t, values", CASES)
def test_column_as_pa_array(t, values):
    got = _column(values, t)
    want = pa.array(values, type=t)
    assert got.type == want.type
    assert got.null_count == want.null_count
    assert [repr(v) for v in got.to_pylist()] == [repr(v) for v in want.to_pylist()]


def test_column_nan():
    got = _column([float("nan"), None], pa.float64()).to_pylist()
    assert math.isnan(got[0]) and got[1] is None


@pytest.mark.parametrize("t, value", [(pa.int64(), Decimal("3.5")), (pa.int64(), "3"),
                                      (pa.float64(), Decimal("0.1")),
                                      (pa.date32(), dt.datetime(2026, 1, 1)),
                                      (pa.timestamp("us"), dt.datetime(2026, 1, 1, tzinfo=UTC)),
                                      (pa.decimal128(18, 2), Decimal("1.234"))])
def test_column_refuses_what_arrow_would_convert_otherwise(t, value):
    # the caller then falls back to Ibis's to_pyarrow
    with pytest.raises((TypeError, ValueError, pa.ArrowException)):
        _column([value], t)


NO_PANDAS = """
import sys
from kpi_tui.cli import _main, leave
code = _main(["report", sys.argv[1], "--table", sys.argv[2], "--period", "month",
              "--format", "json", "--no-cache"])
print("pandas", "pandas" in sys.modules, file=sys.stderr)
leave(code)
"""


def test_postgres_report_without_pandas(tmp_path):
    pg = open_engine("postgres", tmp_path)
    try:
        url, name = pg.load([("customer_id", "text"), ("created_at", "timestamp"),
                             ("amount", "decimal"), ("status", "text")],
                            [("a", dt.datetime(2026, 1, 5, 10), Decimal("10.50"), "paid"),
                             ("b", dt.datetime(2026, 1, 9, 11), Decimal("20.00"), "paid"),
                             ("a", dt.datetime(2026, 2, 3, 9), Decimal("7.25"), "paid"),
                             ("c", dt.datetime(2026, 2, 4, 9), Decimal("99.00"), "failed")])
        got = subprocess.run([sys.executable, "-c", NO_PANDAS, url, name], capture_output=True,
                             text=True, env={"XDG_CACHE_HOME": str(tmp_path / "cache"),
                                             "PATH": "/usr/bin:/bin"}, timeout=120)
    finally:
        pg.close()
    assert got.returncode == 0, got.stderr
    assert got.stderr.splitlines()[-1] == "pandas False"
    periods = json.loads(got.stdout)["periods"]
    assert [(p["start"], p["revenue"], p["active_customers"]) for p in periods] == [
        ("2026-01-01", 30.5, 2), ("2026-02-01", 7.25, 1)]


def test_rows_as_ibis_builds_them_when_not_parsed_from_text(tmp_path, monkeypatch):
    # a type not parsed from text (or a value Arrow refuses): the same table from the rows
    import ibis

    from kpi_tui.database import fetch

    pg = open_engine("postgres", tmp_path)
    try:
        url, name = pg.load([("customer_id", "text"), ("created_at", "timestamp"),
                             ("amount", "decimal"), ("n", "double")],
                            [("a", dt.datetime(2026, 1, 5, 10), Decimal("10.50"), 3.25),
                             (None, dt.datetime(2026, 1, 9, 11), None, None)])
        con = ibis.connect(url)
        expr = con.table(name).order_by("created_at")
        want = con.to_pyarrow(expr)
        fast = fetch.postgres_arrow(con, expr)
        monkeypatch.setattr(fetch, "_known", lambda t: False)
        slow = fetch.postgres_arrow(con, expr)
        con.disconnect()
    finally:
        pg.close()
    assert fast.equals(want)
    assert slow.equals(want)
