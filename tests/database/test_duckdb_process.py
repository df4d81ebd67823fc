"""DuckDB runs inside kpi-tui's process: what that process loads must stay small (issue 8)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

# the report of a DuckDB table must not load pandas (~40 MB of memory)
NO_PANDAS = """
import sys
from kpi_tui.cli import _main, leave
code = _main(["report", sys.argv[1], "--table", "orders", "--period", "month", "--format", "json",
              "--no-cache"])
print("pandas", "pandas" in sys.modules, file=sys.stderr)
leave(code)  # no finalisation (kpi_tui.cli.leave)
"""


def test_duckdb_report_without_pandas(tmp_path):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, created_at TIMESTAMP,"
                " amount DECIMAL(14,2), status VARCHAR)")
    con.execute("INSERT INTO orders VALUES ('1', 'a', '2026-01-05 10:00', 10.50, 'paid'),"
                " ('2', 'b', '2026-01-09 11:00', 20.00, 'paid'),"
                " ('3', 'a', '2026-02-03 09:00', 7.25, 'paid'),"
                " ('4', 'c', '2026-02-04 09:00', 99.00, 'failed')")
    con.close()
    got = subprocess.run([sys.executable, "-c", NO_PANDAS, f"duckdb:///{db}"], capture_output=True,
                         text=True, env={"XDG_CACHE_HOME": str(tmp_path / "cache"),
                                         "PATH": "/usr/bin:/bin"}, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stderr.splitlines()[-1] == "pandas False"
    periods = json.loads(got.stdout)["periods"]
    assert [(p["start"], p["revenue"], p["active_customers"]) for p in periods] == [
        ("2026-01-01", 30.5, 2), ("2026-02-01", 7.25, 1)]
    assert (periods[1]["retained_customers"], periods[1]["churned_customers"]) == (1, 1)


def test_duckdb_report_one_sql_compiler(tmp_path):
    # Ibis's compilers of the other engines (and their sqlglot dialects) are not imported
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders (customer_id VARCHAR, created_at DATE, amount DOUBLE)")
    con.execute("INSERT INTO orders VALUES ('a', '2026-01-05', 10.5)")
    con.close()
    code = NO_PANDAS.replace(
        'print("pandas", "pandas" in sys.modules, file=sys.stderr)',
        'print(sorted(m.rsplit(".", 1)[1] for m in sys.modules'
        ' if m.startswith("ibis.backends.sql.compilers.")), file=sys.stderr)')
    got = subprocess.run([sys.executable, "-c", code, f"duckdb:///{db}"], capture_output=True,
                         text=True, env={"XDG_CACHE_HOME": str(tmp_path / "cache"),
                                         "PATH": "/usr/bin:/bin"}, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stderr.splitlines()[-1] == "['_compat', 'base', 'duckdb']"
