"""Amounts in narrow DECIMAL / NUMERIC columns (NUMERIC(10,2) is the common shop schema): the
micro-units must not overflow the column's precision (Ibis rounds into it)."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from kpi_tui.session import open_source
from kpi_tui.settings import Settings

ROWS = [("a", "2026-01-05", "12345678.90"), ("b", "2026-01-09", "10.5"),
        ("a", "2026-02-02", "-45.10")]


def _figures(url, table):
    src = open_source(url, Settings(), table=table)
    return [(p["start"], p["revenue"], p["active_customers"]) for p in src.figures("month")]


WANT = [("2026-01-01", 12345689.4, 2), ("2026-02-01", -45.1, 0)]


def test_duckdb_narrow_decimal(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (customer_id VARCHAR, created_at DATE, amount DECIMAL(10,2))")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)", ROWS)
    con.close()
    assert _figures(f"duckdb:///{path}", "orders") == WANT


def test_postgresql_narrow_numeric():
    pytest.importorskip("psycopg")
    name = f"kpi_dec_{uuid.uuid4().hex[:8]}"
    values = ", ".join(f"('{c}', DATE '{d}', {a})" for c, d, a in ROWS)
    sql = (f"CREATE TABLE {name} (customer_id text, created_at date, amount numeric(10,2)); "
           f"INSERT INTO {name} VALUES {values};")
    p = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c", sql],
                       capture_output=True, text=True)
    if p.returncode:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 cannot be had: {p.stderr.strip()[:200]}")
    try:
        assert _figures("postgresql://postgres@127.0.0.1:5432/test", name) == WANT
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
                        f"DROP TABLE {name}"], capture_output=True)


def test_duckdb_large_amounts_widened(tmp_path):
    """Amounts too large for a 64-bit decimal product (DuckDB's DECIMAL(18) times 1e6 overflows
    beyond 10 billion at scale 2) are widened; small ones are not (the first query's range)."""
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "big.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (customer_id VARCHAR, created_at DATE, amount DECIMAL(18,2))")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                    [("a", "2026-01-05", "8999999999999.99"), ("b", "2026-01-09", "0.01")])
    con.close()
    assert _figures(f"duckdb:///{path}", "orders") == [("2026-01-01", 9e12, 2)]
