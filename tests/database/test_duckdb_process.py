"""DuckDB runs inside kpi-tui's process: what that process loads must stay small (issue 8)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

# the report of a DuckDB table must not load pandas (~40 MB of memory), pyarrow nor numpy
NO_PANDAS = """
import sys
from kpi_tui.cli import _main, leave
code = _main(["report", sys.argv[1], "--table", "orders", "--period", "month", "--format", "json",
              "--no-cache"])
print("pandas", "pandas" in sys.modules, file=sys.stderr)
print("pyarrow numpy", "pyarrow" in sys.modules, "numpy" in sys.modules, file=sys.stderr)
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
    # nor pyarrow and numpy (~40 MB more, taken from DuckDB's share: database.rows)
    assert got.stderr.splitlines()[-2:] == ["pandas False", "pyarrow numpy False False"]
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
        'print("pyarrow numpy", "pyarrow" in sys.modules, "numpy" in sys.modules, file=sys.stderr)',
        'print(sorted(m.rsplit(".", 1)[1] for m in sys.modules'
        ' if m.startswith("ibis.backends.sql.compilers.")), file=sys.stderr)')
    got = subprocess.run([sys.executable, "-c", code, f"duckdb:///{db}"], capture_output=True,
                         text=True, env={"XDG_CACHE_HOME": str(tmp_path / "cache"),
                                         "PATH": "/usr/bin:/bin"}, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stderr.splitlines()[-1] == "['_compat', 'base', 'duckdb']"


def test_duckdb_out_of_memory_runs_again_with_more(tmp_path, monkeypatch):
    # kpi-tui's small memory_limit (18 MB per thread with pyarrow loaded) can be too small for a large table: the
    # query is run again with a larger limit (36 -> 54 -> 72 MB on 2 threads), up to DuckDB's
    # own default (80% of the RAM); one that fails at once is first run again with the same
    # limit (DuckDB fails at random there)
    import pytest

    from kpi_tui.database import connect
    from kpi_tui.database.url import SourceError

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT range % 3 AS k FROM range(10)")
    con.close()
    conn = connect.connect(f"duckdb:///{db}")
    setting = "SELECT current_setting('threads'), current_setting('memory_limit')"
    threads, before = conn.backend.con.execute(setting).fetchall()[0]
    assert conn.memory_mb == max(2, int(threads)) * 18
    first = conn.memory_mb
    t = conn.backend.table("t")
    expr = t.group_by("k").aggregate(n=t.count()).order_by("k")
    want = [{"k": 0, "n": 4}, {"k": 1, "n": 3}, {"k": 2, "n": 3}]
    from kpi_tui.database import rows as db_rows  # (its plain rows: database.rows)

    run = db_rows.duckdb_rows
    monkeypatch.setattr(db_rows, "duckdb_rows", _failing(run, 1))  # at once: same limit
    assert conn.run(expr).to_pylist() == want
    assert conn.memory_mb == first
    monkeypatch.setattr(connect, "DUCKDB_QUICK", 0.0)  # failures after a while: more at once
    monkeypatch.setattr(db_rows, "duckdb_rows", _failing(run, 2))
    assert conn.run(expr).to_pylist() == want
    assert conn.memory_mb == first * 2
    monkeypatch.setattr(connect, "DUCKDB_LATE", 0.0)  # after a long while: 2x, 128 MB at least
    monkeypatch.setattr(connect, "DUCKDB_LATE_MB", first * 5)
    monkeypatch.setattr(db_rows, "duckdb_rows", _failing(run, 1))
    assert conn.run(expr).to_pylist() == want
    assert conn.memory_mb == first * 5
    monkeypatch.setattr(db_rows, "duckdb_rows", _failing(run, 1))
    assert conn.run(expr).to_pylist() == want
    assert conn.memory_mb == first * 10
    assert conn.backend.con.execute(setting).fetchall()[0][1] != before  # DuckDB's own, larger
    monkeypatch.setattr(connect, "_ram_mb", lambda: conn.memory_mb)  # no more left
    monkeypatch.setattr(db_rows, "duckdb_rows", _failing(run, 1))
    with pytest.raises(SourceError, match="Out of Memory"):
        conn.run(expr)


def _failing(run, times: int):
    calls = []

    def fails(backend, expr, *more):
        if len(calls) < times:
            calls.append(1)
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")
        return run(backend, expr, *more)

    return fails


def test_duckdb_prints_no_progress_bar(tmp_path, capfd, monkeypatch):
    # DuckDB draws a progress bar on the terminal for a query over 2 s: on the monitor's screen
    from kpi_tui.database import connect

    memory = connect._duckdb_memory

    def every_query_long(con, *more):  # the bar from the first millisecond (this also turns it on)
        con.execute("SET progress_bar_time = 0")
        return memory(con, *more)

    monkeypatch.setattr(connect, "_duckdb_memory", every_query_long)

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT range % 1000 AS k FROM range(3000000)")
    con.close()
    conn = connect.connect(f"duckdb:///{db}")
    capfd.readouterr()  # (the bar of the set-up's own statements)
    t = conn.backend.table("t")
    got = conn.run(t.group_by("k").aggregate(n=t.count()).order_by("k"))
    assert got.num_rows == 1000
    out, err = capfd.readouterr()
    assert "%" not in out + err




def test_no_timer_thread_left_after_a_query(tmp_path):
    # a query's timer thread still ending when a program that ran a DuckDB source exited
    # normally aborted it at finalisation ("terminate called ... exception not rethrown"; 5
    # runs in 8 of a 1M-row report with the CPU busy): the timer is now waited for
    import threading

    from kpi_tui.database import connect

    db = tmp_path / "shop.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE t AS SELECT range AS k FROM range(10)").close()
    conn = connect.connect(f"duckdb:///{db}")
    for _ in range(20):
        assert conn.run(conn.backend.table("t").count().as_table()).to_pylist() == [
            {"CountStar(t)": 10}]
        assert [t for t in threading.enumerate() if isinstance(t, threading.Timer)] == []


def _forty_rows(tmp_path) -> str:
    """A DuckDB file with a table `orders` of 40 rows, 7 customers, 2 months: its URL."""
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders AS SELECT 'c' || (range % 7) AS customer_id,"
                " DATE '2026-01-01' + CAST(range AS INTEGER) AS created_at, 1.5 AS amount"
                " FROM range(40)")
    con.close()
    return f"duckdb:///{db}"


def test_a_large_table_runs_in_parts_within_less_memory(tmp_path, monkeypatch):
    # past DUCKDB_PART_ROWS rows (the first query's count) the figures' queries run once per
    # part of the customers, at DUCKDB_PART_MB: 100M rows in one query needed 128 MB (kpi-tui's
    # peak 241-268 MB), in 4 parts 48 MB (182 MiB)
    from kpi_tui.database import connect
    from kpi_tui.database.source import DatabaseSource

    url = _forty_rows(tmp_path)
    monkeypatch.setattr(connect, "DUCKDB_MB_PER_THREAD", 40)  # (pyarrow is loaded here)
    src = DatabaseSource(url, table="orders")
    first = src.conn.memory_mb
    assert first > connect.DUCKDB_PART_MB
    want = src.figures("month")
    assert (src.conn.parts, src.conn.memory_mb) == (1, first)  # 40 rows
    assert [(r["revenue"], r["active_customers"]) for r in want] == [(46.5, 7), (13.5, 7)]
    monkeypatch.setattr(connect, "DUCKDB_PART_ROWS", 13)
    src = DatabaseSource(url, table="orders")
    src.conn.sqls = []
    assert src.figures("month") == want
    assert (src.conn.parts, src.conn.memory_mb) == (4, connect.DUCKDB_PART_MB)
    assert len(src.conn.sqls) == 1 + 4  # the first query, then one per part
    assert all("hash(" in q.lower() for q in src.conn.sqls[1:])
    limit = src.conn.backend.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit == "45.7 MiB"  # 48 MB


def test_a_streamed_list_out_of_memory_midway_runs_again_and_skips_what_came(tmp_path,
                                                                           monkeypatch):
    # a whole list (database.stream) can run out of memory after rows came (DuckDB reading a
    # large sort's spilled blocks back: 10M rows, the at-risk list): the query runs again with
    # a larger limit and the rows already read are skipped (the order is total)
    from kpi_tui.database import connect, stream

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT 'c' || lpad(CAST(range AS VARCHAR), 2, '0') AS k,"
                " range % 4 AS v FROM range(10)")
    con.close()
    conn = connect.connect(f"duckdb:///{db}")
    t = conn.backend.table("t")
    expr = t.order_by([t.v, t.k])
    want = [{"k": f"c{i:02d}", "v": i % 4} for i in sorted(range(10), key=lambda i: (i % 4, i))]
    assert [r for b in conn.stream(expr, 3) for r in b] == want
    first, calls = conn.memory_mb, []

    def fetch(result, n):
        calls.append(n)
        if len(calls) == 3:  # the third batch
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")
        return result.fetchmany(n)

    monkeypatch.setattr(stream, "_fetch", fetch)
    monkeypatch.setattr(connect, "DUCKDB_QUICK", 0.0)  # a failure after a while: more memory
    batches = list(conn.stream(expr, 3))
    assert [r for b in batches for r in b] == want
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert calls == [3, 3, 3, 3, 3, 3, 3]  # 2 batches, failure, 2 skipped again, 2 more
    assert conn.memory_mb == first * 3 // 2


def test_the_users_duckdb_memory_limit(tmp_path):
    # [source] duckdb_memory_mb: DuckDB's limit in kpi-tui's process is the user's (faster on a
    # large table than kpi-tui's own, which keeps the process under 200 MB), and a large
    # table is split in fewer parts (DUCKDB_PART_ROWS a DUCKDB_PART_MB)
    from kpi_tui.database import connect
    from kpi_tui.database.source import DatabaseSource
    from kpi_tui.settings import Settings, Source

    url = _forty_rows(tmp_path)
    src = DatabaseSource(url, table="orders", settings=Settings(source=Source(
        duckdb_memory_mb=300)))
    limit = "SELECT current_setting('memory_limit')"
    assert src.conn.backend.con.execute(limit).fetchall()[0][0] == "286.1 MiB"  # 300 MB
    assert [(r["revenue"], r["active_customers"]) for r in src.figures("month")] == [
        (46.5, 7), (13.5, 7)]
    assert (src.conn.memory_mb, src.conn.memory_user) == (300, 300)
    src.conn._heavier(True)  # pyarrow loaded: kpi-tui's own limit would go down, not the user's
    assert src.conn.memory_mb == 300
    src.conn.expect_rows(100_000_000)
    assert src.conn.parts == -(-100_000_000 // (connect.DUCKDB_PART_ROWS * 6))  # 300 // 48
    assert src.conn.memory_mb == 300
    plain = connect.connect(url)  # kpi-tui's own limit
    first = plain.memory_mb
    plain.expect_rows(100_000_000)
    assert (plain.parts, plain.memory_mb) == (4, min(first, connect.DUCKDB_PART_MB))


def test_the_at_risk_queries_start_with_the_memory_they_need(tmp_path, monkeypatch):
    # the at-risk queries of 10M rows ran out of memory at 36, 54 and 72 MB before they ran at
    # 144 MB (~10 s of the card's 30 s): they now start at DUCKDB_AT_RISK_MB_PER_M a million
    # rows (the card in 19 s, the at-risk list 48 -> 23 s, the same bytes)
    from kpi_tui.database import connect
    from kpi_tui.database.snapshot import DatabaseSnapshot
    from kpi_tui.database.source import DatabaseSource
    from kpi_tui.settings import Settings, Source

    url = _forty_rows(tmp_path)
    limit = "SELECT current_setting('memory_limit')"
    snap = DatabaseSnapshot(DatabaseSource(url, table="orders"))
    conn, first = snap.source.conn, snap.source.conn.memory_mb
    want = snap.at_risk("month")
    assert conn.memory_mb == first  # 40 rows: nothing more
    snap = DatabaseSnapshot(DatabaseSource(url, table="orders"))
    conn = snap.source.conn
    snap.rows = 10_000_000  # as if
    assert snap.at_risk("month") == want
    assert conn.memory_mb == 144 and conn.backend.con.execute(limit).fetchall()[0][0] == "137.3 MiB"
    snap.at_risk_memory(parts=4)  # never down
    assert conn.memory_mb == 144
    monkeypatch.setattr(connect, "_ram_mb", lambda: 100)  # not past DuckDB's own default
    snap.rows = 100_000_000
    snap.at_risk_memory()
    assert conn.memory_mb == 144
    user = DatabaseSnapshot(DatabaseSource(url, table="orders", settings=Settings(
        source=Source(duckdb_memory_mb=64))))
    user.rows = 10_000_000
    user.at_risk_memory()
    assert user.source.conn.memory_mb == 64  # the user's limit stays
