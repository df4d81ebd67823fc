"""`[source] query_timeout`: the limit after which the engine cancels a query (issue 8)."""

from __future__ import annotations

import time

import pytest

from dbengines import open_engine

from kpi_tui.database.source import DatabaseSource
from kpi_tui.session import open_source
from kpi_tui.settings import ConfigError, Settings, Source, load_config

duckdb = pytest.importorskip("duckdb")


def _db(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT 'a' AS customer_id, DATE '2026-01-05' AS "
                "created_at, 10.5 AS amount")
    con.close()
    return f"duckdb:///{path}"


def test_query_timeout_from_the_settings_file(tmp_path):
    url = _db(tmp_path)
    cfg = tmp_path / "kpi-tui.toml"
    cfg.write_text(f'[source]\nurl = "{url}"\ntable = "orders"\nquery_timeout = 7.5\n')
    s = load_config(cfg)
    src = open_source(url, s, table="orders")
    assert src.conn.timeout == 7.5
    assert src.report("month")["periods"][0]["revenue"] == 10.5
    assert open_source(url, Settings(), table="orders").conn.timeout == 60.0


@pytest.mark.parametrize("bad", ["0", "-1", '"soon"'])
def test_query_timeout_must_be_a_positive_number(tmp_path, bad):
    cfg = tmp_path / "kpi-tui.toml"
    cfg.write_text(f'[source]\nurl = "duckdb:///x.duckdb"\nquery_timeout = {bad}\n')
    with pytest.raises(ConfigError, match="query_timeout"):
        load_config(cfg)


def test_a_monitor_that_stops_interrupts_its_running_query(tmp_path):
    # quitting the monitor joined the watcher thread, which waited for a large table's query
    # (100M rows on DuckDB: ctrl+q answered after minutes); now the query is interrupted and
    # no other starts: the quit took 0.9 s there
    import threading

    from kpi_tui.database.url import SourceError
    from kpi_tui.watch.database import DatabaseMonitor

    url = _db(tmp_path)
    con = duckdb.connect(url[len("duckdb:///"):])
    con.execute("CREATE TABLE n AS SELECT range AS i FROM range(200000)")
    con.close()
    src = DatabaseSource(url, table="orders")
    a = src.conn.backend.table("n")
    b = a.view()
    j = a.cross_join(b.select(k=b.i))
    slow = j.aggregate(s=(j.i * j.k).sum())  # 4e10 rows: minutes
    mon = DatabaseMonitor(src.url, Settings(), lambda snap: None, poll=30, table="orders",
                          source=src)
    assert mon.source is src
    got = []

    def query():
        try:
            src.conn.run(slow)
        except SourceError as e:
            got.append(e)

    t = threading.Thread(target=query)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    mon.stop()
    t.join(10)
    assert not t.is_alive() and time.monotonic() - t0 < 5
    assert len(got) == 1
    with pytest.raises(SourceError, match="the program is leaving"):
        src.conn.run(a.count().as_table())


# ---- a statement timeout against the real PostgreSQL server ----------------------------------


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    e = open_engine("postgres", tmp_path_factory.mktemp("pg"))
    yield e
    e.close()


def _slow_source(pg):
    """A --sql query over the decline rows that sleeps as long as a control table says."""
    from test_live_watch import GOLDEN_COLUMNS, decline_rows

    url, name = pg.load(GOLDEN_COLUMNS, decline_rows())
    _, ctl = pg.load([("s", "double")], [(0.0,)])
    sql = f'SELECT * FROM "{name}" WHERE (SELECT count(*) FROM "{ctl}", pg_sleep(s)) = 1'
    return url, sql, ctl


def test_cli_query_timeout_flag_cancels_and_says_so(pg):
    from test_live_watch import cli

    url, sql, ctl = _slow_source(pg)
    pg.execute(f'UPDATE "{ctl}" SET s = 5')
    t0 = time.monotonic()
    r = cli("report", url, "--sql", sql, "--query-timeout", "1")
    assert time.monotonic() - t0 < 30
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"kpi-tui: {url}: query cancelled after 1 s (query_timeout)\n"


def test_statement_timeout_while_polling_is_not_unreachable(pg):
    """The monitor polls; a query slower than the limit: one line, one `query_cancelled`
    finding (not `source_unreachable`), the last figures kept, recovery by itself."""
    from test_live_watch import through_a_fault

    url, sql, ctl = _slow_source(pg)
    s = Settings(cache=False, source=Source(query_timeout=1.0))
    got, err, hist = through_a_fault(
        DatabaseSource(url, sql=sql, settings=s), s, "query_cancelled",
        lambda: pg.execute(f'UPDATE "{ctl}" SET s = 3'),
        lambda: pg.execute(f'UPDATE "{ctl}" SET s = 0'))
    assert [g["rule"] for g in got] == ["decline", "flattening", "currency_left_out",
                                       "query_cancelled"]
    assert got[3]["message"] == "⚠ query cancelled after 1 s (query_timeout)"
    assert "--query-timeout" in got[3]["detail"]
    assert err == "kpi-tui: query cancelled after 1 s (query_timeout)\n"
    assert [a.finding.rule for a in hist.past()] == ["query_cancelled"]


def test_a_streamed_list_is_cancelled_at_the_limit_too(tmp_path, pg):
    # a whole list read from one query (database.stream) is one statement: the same limit
    from kpi_tui.database.connect import connect
    from kpi_tui.database.url import QueryCancelled

    url = _db(tmp_path)
    con = duckdb.connect(url[len("duckdb:///"):])
    con.execute("CREATE TABLE n AS SELECT range AS i FROM range(200000)")
    con.close()
    conn = connect(url, timeout=0.5)
    a = conn.backend.table("n")
    b = a.view()
    j = a.cross_join(b.select(k=b.i))
    slow = j.group_by(j.i).aggregate(s=(j.i * j.k).sum()).order_by("i")  # minutes
    t0 = time.monotonic()
    with pytest.raises(QueryCancelled, match=r"query cancelled after 0.5 s \(query_timeout\)"):
        list(conn.stream(slow, 100))
    assert time.monotonic() - t0 < 10
    # PostgreSQL: its statement_timeout, while the rows stream
    url, sql, ctl = _slow_source(pg)
    pg.execute(f'UPDATE "{ctl}" SET s = 5')
    from kpi_tui.database.columns import open_rows

    conn = connect(url, timeout=1)
    rows = open_rows(conn, None, sql)
    t0 = time.monotonic()
    with pytest.raises(QueryCancelled, match=r"query cancelled after 1 s \(query_timeout\)"):
        list(conn.stream(rows, 100))
    assert time.monotonic() - t0 < 10
