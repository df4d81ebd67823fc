"""`--sql "SELECT ..."` as the source's rows: the golden example's reports from a query, on
DuckDB (through the CLI), PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbengines import sql_engine  # noqa: F401 - the parametrised fixture
from test_db_figures import GOLDEN_COLUMNS, assert_golden, golden_table_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import GOLDEN  # noqa: E402

from kpi_tui.database.source import DatabaseSource  # noqa: E402


def _golden_duckdb(path: Path) -> str:
    """A DuckDB file with both golden exports in one table (an order id in both: the later)."""
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("ibis")
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE orders AS SELECT * EXCLUDE (filename) FROM "
                f"read_csv('{GOLDEN}/*.csv', filename = true) "
                f"QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY filename DESC) = 1")
    con.close()
    return f"duckdb://{path}"


@pytest.mark.parametrize("g", ["month", "quarter"])
def test_cli_report_sql_on_duckdb_gives_the_golden_json(tmp_path, g):
    """DuckDB 2.0 has no connection-level fetch_arrow_table, which Ibis 12 used for the columns
    of a query: `--sql` failed with an AttributeError."""
    url = _golden_duckdb(tmp_path / "golden.duckdb")
    want = json.loads((GOLDEN / f"expected-{g}.json").read_text())
    for rows in (["--sql", "SELECT * FROM orders"], ["--table", "orders"]):
        p = subprocess.run([sys.executable, "-m", "kpi_tui", "report", url, *rows, "--period", g,
                            "--format", "json", "--no-cache"], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        assert json.loads(p.stdout) == want


def test_sql_query_on_every_sql_engine(sql_engine):  # noqa: F811
    url, name = sql_engine.load(GOLDEN_COLUMNS, golden_table_rows())
    q = "`" if sql_engine.name == "mysql" else '"'
    sql = (f"WITH o AS (SELECT * FROM {q}{name}{q}) "
           f"SELECT order_id, customer_id, created_at, amount, currency, status FROM o")
    src = DatabaseSource(url, sql=sql, timeout=sql_engine.timeout)
    assert "(--sql query)" in src.label
    assert_golden(src, sql_engine.name)
