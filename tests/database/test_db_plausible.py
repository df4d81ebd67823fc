"""The plausibility rule (docs/reliability.md, ingest.plausible) in the engine: dates outside
date_min..date_max and amounts not finite or beyond AMOUNT_MAX are left out and counted, with the
figures the folder engine gives for the same rows (PostgreSQL, DuckDB and MariaDB)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from dbengines import open_engine

from kpi_tui.database.source import DatabaseSource
from kpi_tui.session import open_source
from kpi_tui.settings import Settings

COLUMNS = [("order_id", "text"), ("customer_id", "text"), ("created_at", "timestamp"),
           ("amount", "double"), ("currency", "text"), ("status", "text")]
T = dt.datetime
ROWS = [
    ("1", "a", T(2026, 1, 5, 10), 100.0, "EUR", "paid"),
    ("2", "b", T(2026, 1, 6, 10), 50.0, "EUR", "paid"),
    ("3", "a", T(2026, 2, 7, 10), 30.0, "EUR", "paid"),
    ("4", "c", T(1985, 2, 7, 10), 70.0, "EUR", "paid"),  # before 1990-01-01
    ("5", "c", T(2999, 12, 31, 10), 70.0, "EUR", "paid"),  # after tomorrow
    ("6", "d", T(2026, 2, 8, 10), 2e13, "EUR", "paid"),  # beyond 9e12
    ("7", "b", T(2026, 2, 9, 10), -1e13, "EUR", "paid"),  # beyond -9e12
    ("8", "e", T(2026, 2, 9, 10), 40.0, "EUR", "failed"),  # never moved (not judged)
    ("9", "e", T(1970, 1, 1, 10), 40.0, "EUR", "failed"),  # never moved, and out of range
    ("10", "e", T(2026, 2, 10, 10), 20.0, "EUR", "paid"),
]
NAN = ("11", "f", T(2026, 2, 11, 10), float("nan"), "EUR", "paid")  # PostgreSQL, DuckDB


@pytest.fixture(scope="module", params=["postgres", "duckdb", "mysql"])
def eng(request, tmp_path_factory):
    e = open_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield e
    e.close()


def folder(tmp_path, rows, settings):
    """The snapshot of a folder holding the same rows as one CSV export."""
    root = tmp_path / "exports"
    root.mkdir()
    with open(root / "orders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([c for c, _ in COLUMNS])
        w.writerows([*r[:2], r[2].isoformat(sep=" "), repr(r[3]), *r[4:]] for r in rows)
    return open_source(root, settings).snapshot()


def test_left_out_as_in_a_folder(eng, tmp_path):
    s = Settings(cache=False)
    nan = [NAN] if eng.name != "mysql" else []  # MySQL stores no NaN
    url, name = eng.load(COLUMNS, ROWS + nan)
    src = DatabaseSource(url, table=name, settings=s)
    got = src.figures("month")
    assert got == folder(tmp_path, ROWS, s).figures("month")  # every field of every period
    assert [(r["start"], r["revenue"], r["active_customers"], r["churned_customers"])
            for r in got] == [("2026-01-01", 150.0, 2, None), ("2026-02-01", 50.0, 2, 1)]
    assert src.summary["rows"] == 4
    where = f"table {name}"
    assert src.warnings == [
        *([f"1 row with amount not a finite number left out: {where}"] if nan else []),
        f"2 rows with amount beyond ±9,000,000,000,000 left out: {where}",
        f"1 row dated 1985-02-07 left out: {where}",
        f"1 row dated 2999-12-31 left out: {where}"]
    assert f"Rows: {10 + len(nan)} read, 4 counted" in src.check_text()


def test_window_of_the_settings_and_many_dates(eng, tmp_path):
    """date_min / date_max of the settings; more than three dates: one reason for all."""
    s = Settings(cache=False, date_min=dt.date(2026, 1, 6), date_max=dt.date(2026, 2, 8))
    url, name = eng.load(COLUMNS, ROWS)
    src = DatabaseSource(url, table=name, settings=s)
    got = src.figures("month")
    assert got == folder(tmp_path, ROWS, s).figures("month")
    assert [(r["start"], r["revenue"], r["active_customers"]) for r in got] == [
        ("2026-01-01", 50.0, 1), ("2026-02-01", 30.0, 1)]
    assert src.warnings[-1] == (f"4 rows dated outside 2026-01-06 to 2026-02-08 left out: "
                                f"table {name}")


def test_nothing_out_nothing_said(eng):
    url, name = eng.load(COLUMNS, ROWS[:3])
    src = DatabaseSource(url, table=name, settings=Settings(cache=False))
    assert [r["revenue"] for r in src.figures("month")] == [150.0, 30.0]
    assert src.warnings == []


def test_rows_surely_in_range_cost_no_extra_query(eng):
    """The first query's ranges say every row is kept: no count query, no filter."""
    url, name = eng.load(COLUMNS, ROWS[:3])
    src = DatabaseSource(url, table=name, settings=Settings(cache=False))
    ran = []
    run = src.conn.run
    src.conn.run = lambda expr: ran.append(expr) or run(expr)
    assert src.report("month")["periods"][-1]["revenue"] == 30.0
    assert len(ran) == 2  # the first query, then the figures with the summary


def test_surely_kept_bounds():
    from kpi_tui.database.plausible import surely_kept

    s = Settings(date_min=dt.date(2026, 1, 1), date_max=dt.date(2026, 1, 31))
    jan = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert surely_kept(-5.0, 9e12, *jan, s, False)
    assert not surely_kept(-5.0, 9.1e12, *jan, s, False)
    assert not surely_kept(float("nan"), 1.0, *jan, s, False)
    assert not surely_kept(1.0, 2.0, dt.date(2025, 12, 31), jan[1], s, False)
    # a timezone may move a date by a day either way: the last day is not surely in
    assert not surely_kept(1.0, 2.0, T(2026, 1, 2), T(2026, 1, 31, 23), s, True)
    assert surely_kept(1.0, 2.0, T(2026, 1, 2), T(2026, 1, 30, 23), s, True)
    assert surely_kept(None, None, None, None, s, False)  # no row



FAR_ROWS = ("('a', '2026-01-05', 10), ('b', '2026-02-05', 5), ('c', '20230-01-05', 7),"
            " ('d', 'infinity', 3), ('e', '{bc}', 2)")


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_dates_beyond_python_years_left_out(tmp_path, engine):
    """Dates beyond Python's years 1..9999 (20230-01-05, infinity, BC) are left out like any
    date out of the window. The report stopped: DuckDB with a traceback (pyarrow's
    OverflowError, then None days sorted with ints), PostgreSQL with psycopg's DataError."""
    from dbengines import PG_URL, unique

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    ddl = "CREATE TABLE {t} (customer_id VARCHAR(9), created_at TIMESTAMP, amount FLOAT)"
    name = unique("far")
    if engine == "duckdb":
        import duckdb

        url = f"duckdb:///{tmp_path / 'far.duckdb'}"
        con = duckdb.connect(str(tmp_path / "far.duckdb"))
        con.execute(ddl.format(t=name))
        con.execute(f"INSERT INTO {name} VALUES " + FAR_ROWS.format(bc="0044-03-15 (BC)"))
        con.close()
        drop = None
    else:
        import psycopg

        url = PG_URL
        admin = psycopg.connect(PG_URL, autocommit=True)
        admin.execute(ddl.format(t=name))
        admin.execute(f"INSERT INTO {name} VALUES " + FAR_ROWS.format(bc="0044-03-15 BC"))
        drop = admin
    try:
        src = DatabaseSource(url, table=name, settings=Settings(cache=False))
        jan, feb = src.figures("month")
        assert [(r["start"], r["revenue"], r["active_customers"]) for r in (jan, feb)] == [
            ("2026-01-01", 10.0, 1), ("2026-02-01", 5.0, 1)]
        assert src.warnings == [f"3 rows dated outside 1990-01-01 to {tomorrow} left out: "
                                f"table {name}"]
        assert src.summary["rows"] == 2
        assert "Rows: 5 read, 2 counted" in src.check_text()
    finally:
        if drop is not None:
            drop.execute(f"DROP TABLE {name}")
            drop.close()


def test_mysql_zero_dates_left_out():
    """MySQL's zero date ('0000-00-00 00:00:00', as WooCommerce's tables hold) is before any
    window: left out, where the report stopped ("year 0 is out of range"). So is a date with a
    zero month or day ('2026-00-00', '2026-02-00'), which was counted, in December 2025, and
    whose text (read as after 9999) made the report's periods run to 9999."""
    from dbengines import MYSQL_URL, unique

    from kpi_tui.database.connect import _mysql_driver

    _mysql_driver()  # PyMySQL as MySQLdb where mysqlclient is not installed
    import MySQLdb

    name = unique("zero")
    admin = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", database="test",
                            autocommit=True, connect_timeout=5)
    cur = admin.cursor()
    cur.execute("SET SESSION sql_mode = ''")
    cur.execute(f"CREATE TABLE {name} (customer_id VARCHAR(9), created_at DATETIME,"
                " amount DECIMAL(10,2))")
    cur.execute(f"INSERT INTO {name} VALUES ('a', '2026-01-05', 10), ('b', '2026-02-05', 5),"
                " ('c', '0000-00-00 00:00:00', 7), ('d', '2026-00-00', 3),"
                " ('e', '2026-02-00 10:00:00', 4)")
    try:
        src = DatabaseSource(MYSQL_URL, table=name, settings=Settings(cache=False))
        jan, feb = src.figures("month")
        assert [(r["revenue"], r["active_customers"]) for r in (jan, feb)] == [(10.0, 1), (5.0, 1)]
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        assert src.warnings == [f"3 rows dated outside 1990-01-01 to {tomorrow} left out: "
                                f"table {name}"]
        assert "Rows: 5 read, 2 counted" in src.check_text()
        assert "Dates: 2026-01-05 to 2026-02-05" in src.check_text()
    finally:
        cur.execute(f"DROP TABLE {name}")
        admin.close()
