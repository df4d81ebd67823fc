"""`--table` names as a database names them: schema-qualified (`sales.orders`), and with SQL
quotes where a name has spaces, capitals or dots (`"Shop Data"."Orders"`, `` `shop`.`orders` ``);
and PostgreSQL's `money` columns, which psycopg reads as text ('$10.50'), as amounts. Figures
worked out by hand, on the real servers."""

from __future__ import annotations

import pytest
from dbengines import open_engine, unique

from kpi_tui.database.columns import table_parts
from kpi_tui.database.source import DatabaseSource
from kpi_tui.database.url import SourceError
from kpi_tui.settings import Settings

ROWS = [("1", "A", "2025-01-05", "10.50", "paid"), ("2", "B", "2025-01-06", "20.00", "paid"),
        ("3", "A", "2025-02-05", "5.25", "paid"), ("4", "C", "2025-02-08", "9.00", "failed")]
WANT = [("2025-01-01", 30.5, 2), ("2025-02-01", 5.25, 1)]


def months(url: str, **where) -> list[tuple]:
    s = DatabaseSource(url, settings=Settings(), timeout=60.0, **where)
    return [(p["start"], p["revenue"], p["active_customers"]) for p in s.figures("month")]


def test_names_split_at_dots_or_read_as_sql():
    assert table_parts("orders") == ["orders"]
    assert table_parts("sales.orders") == ["sales", "orders"]
    assert table_parts("Shop Data.Orders") == ["Shop Data", "Orders"]  # no quotes: dots only
    assert table_parts('"Shop Data"."Orders"') == ["Shop Data", "Orders"]
    assert table_parts('"my.schema"."we""ird"') == ["my.schema", 'we"ird']
    assert table_parts("`shop db`.`orders`") == ["shop db", "orders"]
    assert table_parts('cat."Sales".orders') == ["cat", "Sales", "orders"]
    assert table_parts('"unclosed') == []


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    eng = open_engine("postgres", tmp_path_factory.mktemp("pg"))
    schema = unique("Shop Data")
    eng.execute(f'CREATE SCHEMA "{schema}"')
    for table, amount in (("Orders", "NUMERIC(10,2)"), ("Money", "MONEY NOT NULL")):
        eng.execute(f'CREATE TABLE "{schema}"."{table}" ("Order ID" TEXT, "Customer ID" TEXT, '
                    f'"Order Date" DATE, "Total" {amount}, "Status" TEXT)')
        values = ", ".join(f"('{i}', '{c}', DATE '{d}', {a}, '{s}')" for i, c, d, a, s in ROWS)
        eng.execute(f'INSERT INTO "{schema}"."{table}" VALUES {values}')
    yield eng, schema
    eng.execute(f'DROP SCHEMA "{schema}" CASCADE')
    eng.close()


def test_postgresql_schema_with_quotes(pg):
    eng, schema = pg
    assert months(eng.url, table=f'"{schema}"."Orders"') == WANT
    assert months(eng.url, table=f"{schema}.Orders") == WANT  # (no dot in the names)
    with pytest.raises(SourceError, match="not found"):
        months(eng.url, table=f'"{schema}"."orders"')  # quoted: the case counts


def test_postgresql_money_is_an_amount(pg):
    """money: the same figures as NUMERIC, from the table and from --sql (exact: cast to
    NUMERIC in the server, whatever its lc_monetary)."""
    eng, schema = pg
    assert months(eng.url, table=f'"{schema}"."Money"') == WANT
    assert months(eng.url, sql=f'SELECT * FROM "{schema}"."Money"') == WANT


@pytest.fixture(scope="module")
def maria(tmp_path_factory):
    eng = open_engine("mysql", tmp_path_factory.mktemp("my"))
    db = unique("shop db")
    eng.execute(f"CREATE DATABASE `{db}`")
    eng.execute(f"CREATE TABLE `{db}`.`orders` (`order_id` VARCHAR(20), `customer_id` "
                f"VARCHAR(20), `created_at` DATE, `amount` DECIMAL(10,2), `status` VARCHAR(20))")
    cur = eng.admin.cursor()
    cur.executemany(f"INSERT INTO `{db}`.`orders` VALUES (%s, %s, %s, %s, %s)", ROWS)
    cur.close()
    yield eng, db
    eng.execute(f"DROP DATABASE `{db}`")
    eng.close()


def test_mysql_other_database_with_backquotes(maria):
    eng, db = maria
    assert months(eng.url, table=f"`{db}`.`orders`") == WANT
    assert months(eng.url, table=f"{db}.orders") == WANT


def test_duckdb_schema(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE SCHEMA "Sales 2025"')
    con.execute('CREATE TABLE "Sales 2025"."Orders" (order_id VARCHAR, customer_id VARCHAR, '
                "created_at DATE, amount DECIMAL(10,2), status VARCHAR)")
    con.executemany('INSERT INTO "Sales 2025"."Orders" VALUES (?, ?, ?, ?, ?)', ROWS)
    con.close()
    url = f"duckdb:///{path}"
    assert months(url, table='"Sales 2025"."Orders"') == WANT
    assert months(url, table="Sales 2025.Orders") == WANT
    with pytest.raises(SourceError, match="not a table name"):
        months(url, table='"Sales 2025"."Orders')


def test_duckdb_quoted_name_replays(tmp_path):
    """A repeat `report` of a quoted name replays its statements (database.replay), as a plain
    name's does."""
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_replay import entries, kpi

    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE "Orders 2025" (order_id VARCHAR, customer_id VARCHAR, '
                "created_at DATE, amount DECIMAL(10,2), status VARCHAR)")
    con.executemany('INSERT INTO "Orders 2025" VALUES (?, ?, ?, ?, ?)', ROWS)
    con.close()
    args = ("report", f"duckdb:///{path}", "--table", '"Orders 2025"', "--format", "json")
    first, again = kpi(*args), kpi(*args)
    assert len(entries()) == 1
    assert first.stderr.endswith("IBIS\n") and again.stderr == "NO-IBIS\n", again.stderr
    got = [(p["start"], p["revenue"], p["active_customers"])
           for p in json.loads(again.stdout)["periods"]]
    assert got == WANT and again.stdout == first.stdout
