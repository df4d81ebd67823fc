"""DuckDB's answers as plain rows (database.rows): the values Ibis's pyarrow table holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import ibis
import pytest

from kpi_tui.database import connect, rows


@pytest.fixture
def conn(tmp_path):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t (i BIGINT, j INTEGER, f DOUBLE, d DECIMAL(18,2), s VARCHAR,"
                " b BOOLEAN, day DATE, ts TIMESTAMP, tz TIMESTAMPTZ, l INTEGER[])")
    con.execute("INSERT INTO t VALUES (1, 2, 1.5, 10.25, 'a', true, '2026-01-05',"
                " '2026-01-05 10:00:01', '2026-01-05 10:00:01+00', [1, 2]),"
                " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                " (9007199254740993, -7, -0.1, -3.10, 'é', false, '1999-12-31',"
                " '1999-12-31 23:59:59.123456', '1999-12-31 23:59:59+00', [])")
    con.close()
    c = connect.connect(f"duckdb:///{db}")
    yield c


def _typed(table) -> list[list]:
    return [[(k, type(v).__name__, v) for k, v in r.items()] for r in table.to_pylist()]


def test_rows_equal_ibis_pyarrow(conn):
    t = conn.backend.table("t").drop("tz", "l")
    exprs = [
        t,
        t.mutate(nothing=ibis.null(), half=t.i / 2, cents=(t.d * 100).cast("int64")),
        t.group_by("b").aggregate(n=t.count(), si=t.i.sum(), sd=t.d.sum(), d0=t.d.min(),
                                  f1=t.f.max(), day0=t.day.min(), ts1=t.ts.max(),
                                  s0=t.s.min()).order_by("b"),
    ]
    for e in exprs:
        cols = rows.plain(e)
        assert cols is not None
        got = rows.duckdb_rows(conn.backend, e, cols)
        want = connect._duckdb_arrow(conn.backend, e)
        assert _typed(got) == _typed(want)
        assert got.num_rows == want.num_rows
        assert got.to_pydict() == want.to_pydict()
        for name in got.column_names:
            assert got.column(name).to_pylist() == want.column(name).to_pylist()
    big = rows.duckdb_rows(conn.backend, exprs[0], rows.plain(exprs[0])).to_pylist()
    assert big[2]["i"] == 9007199254740993 and big[2]["d"] == Decimal("-3.10")
    assert big[2]["ts"] == dt.datetime(1999, 12, 31, 23, 59, 59, 123456)


def test_other_types_through_pyarrow(conn):
    import pyarrow as pa

    t = conn.backend.table("t")
    for e in (t.select("tz"), t.select("l"), t.select(st=ibis.struct({"a": t.i}))):
        assert rows.plain(e) is None
        assert isinstance(conn.run(e), pa.Table)
    assert not isinstance(conn.run(t.select("i", "s")), pa.Table)


def test_a_value_of_another_kind_gives_none(conn):
    t = conn.backend.table("t").select("s")
    sqls: list = []
    assert rows.duckdb_rows(conn.backend, t, [("s", rows._integer)], sqls) is None
    assert sqls == []  # not kept for database.replay


def test_memory_limit_follows_what_is_loaded(tmp_path, monkeypatch):
    # 32 MB per thread while neither pyarrow nor numpy is loaded, 18 once they are
    db = tmp_path / "x.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE t AS SELECT range AS k FROM range(3)").close()
    import sys

    monkeypatch.setattr(connect, "_HEAVY", {"not-a-module"})
    c = connect.connect(f"duckdb:///{db}")
    threads = max(2, int(c.backend.con.execute("SELECT current_setting('threads')").fetchall()[0][0]))
    assert (c.memory_light, c.memory_mb) == (True, threads * 32)
    c.run(c.backend.table("t").count().as_table())
    assert c.memory_mb == threads * 32
    monkeypatch.setattr(connect, "_HEAVY", {"duckdb"})
    assert "duckdb" in sys.modules
    c.run(c.backend.table("t").count().as_table())
    assert (c.memory_light, c.memory_mb, c.memory_first) == (False, threads * 18, threads * 18)
    limit = c.backend.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit == duckdb.connect().execute(
        f"SET memory_limit='{threads * 18}MB'; SELECT current_setting('memory_limit')").fetchall()[0][0]
