"""A list the user opens is not kept waiting by the monitor's background queries (the other
granularities, the at-risk card): database.gate, on DuckDB and the real PostgreSQL server."""

from __future__ import annotations

import threading
import time

import pytest

from dbengines import open_engine

from kpi_tui.database.columns import open_rows
from kpi_tui.database.gate import Gate, Preempted
from kpi_tui.database.snapshot import DatabaseSnapshot
from kpi_tui.database.source import DatabaseSource

duckdb = pytest.importorskip("duckdb")


# ---- the gate alone -----------------------------------------------------------------------

def test_a_foreground_query_interrupts_the_background_one_and_goes_first():
    stopped = threading.Event()
    gate = Gate(stopped.set)
    order, started = [], threading.Event()

    def background():
        with gate.background():
            with gate.query():
                started.set()
                assert stopped.wait(5)  # "the engine" ends the statement when interrupted
                order.append("bg stopped")
            with pytest.raises(Preempted):  # none starts while the user waits
                with gate.query():
                    order.append("bg again")
            gate.wait_foreground(5)
            with gate.query():
                order.append("bg after")

    t = threading.Thread(target=background)
    t.start()
    assert started.wait(5)
    with gate.query():
        order.append("fg")
        time.sleep(0.3)
    t.join(5)
    assert order == ["bg stopped", "fg", "bg after"]


def test_foreground_queries_wait_their_turn_and_are_never_interrupted():
    calls = []
    gate = Gate(lambda: calls.append("interrupt"))
    inside = threading.Event()
    order = []

    def first():
        with gate.query():
            inside.set()
            time.sleep(0.4)
            order.append(1)

    t = threading.Thread(target=first)
    t.start()
    assert inside.wait(5)
    with gate.query():
        order.append(2)
        with gate.query():  # the same thread again: re-entrant
            order.append(3)
    t.join(5)
    assert order == [1, 2, 3] and calls == []


def test_a_foreground_computation_holds_back_the_background_between_its_queries():
    gate = Gate(lambda: None)
    with gate.foreground():
        errors = []

        def background():
            with gate.background():
                try:
                    with gate.query():
                        pass
                except Preempted:
                    errors.append("gave way")
                with gate.foreground():  # nothing in a background thread
                    pass

        t = threading.Thread(target=background)
        t.start()
        t.join(5)
    assert errors == ["gave way"]
    gate.wait_foreground(1)


# ---- a snapshot on real engines -----------------------------------------------------------

def _duckdb_source(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT 'c' || (range % 50) AS customer_id, "
                "DATE '2026-01-01' + CAST(range % 90 AS INTEGER) AS created_at, "
                "10.0 + range % 7 AS amount FROM range(3000)")
    con.execute("CREATE TABLE n AS SELECT range AS i FROM range(200000)")
    con.close()
    src = DatabaseSource(f"duckdb:///{path}", table="orders")
    return src, _timed_cross(src, 200_000)  # 4e10 rows: minutes


def _preempted_once(snap, slow, fast):
    """A background computation whose first try runs `slow`, while the user runs `fast`:
    (the user's wait, the user's answer, the background's answer, its tries)."""
    tries, box = [], {}

    def compute():
        tries.append(time.monotonic())
        return snap.run(slow if len(tries) == 1 else fast).to_pylist()

    def background():
        with snap.background():
            box["bg"] = snap._get(("slow",), compute)

    t = threading.Thread(target=background)
    t.start()
    while not tries:
        time.sleep(0.05)
    time.sleep(1.0)  # the slow query is running
    t0 = time.monotonic()
    user = snap.run(fast).to_pylist()
    waited = time.monotonic() - t0
    t.join(60)
    assert not t.is_alive()
    return waited, user, box["bg"], len(tries)


def test_duckdb_a_list_opened_while_the_background_queries_goes_first(tmp_path):
    src, slow = _duckdb_source(tmp_path)
    snap = DatabaseSnapshot(src)
    fast = src.conn.backend.table("orders").count().name("n").as_table()
    waited, user, bg, tries = _preempted_once(snap, slow, fast)
    assert waited < 5  # the slow query takes minutes
    assert user == bg == [{"n": 3000}]
    assert tries == 2


def test_duckdb_the_monitor_fills_in_while_the_user_drills(tmp_path):
    src, _ = _duckdb_source(tmp_path)
    snap = DatabaseSnapshot(src)
    p = snap.period_at("month")
    expected = snap.drill("month", p, "retained", 5)
    fresh = DatabaseSnapshot(src)
    done = []

    def fill():
        with fresh.background():
            done.append(fresh.fill())

    t = threading.Thread(target=fill)
    t.start()
    got = fresh.drill("month", p, "retained", 5)
    t.join(60)
    assert done == [True] and got.rows == expected.rows and got.total == expected.total
    assert all(fresh.ready(k, g) for k in ("figures", "trailing")
               for g in ("day", "week", "month", "quarter"))


def _timed_cross(src, n: int):
    """A query over n x 200,000 rows (~2 s at n = 5,000 on this machine)."""
    a = src.conn.backend.table("n")
    b = a.view()
    j = a.filter(a.i < n).cross_join(b.select(k=b.i))
    return j.aggregate(s=(j.i * j.k).sum())


def test_the_watchers_probe_does_not_interrupt_the_at_risk_card(tmp_path):
    # the probe runs every poll: interrupting a background query longer than the poll would
    # never let it finish; it waits its turn instead
    from kpi_tui.settings import Settings
    from kpi_tui.watch.database import DatabaseMonitor

    src, _ = _duckdb_source(tmp_path)
    snap = DatabaseSnapshot(src)
    mon = DatabaseMonitor(src.url, Settings(), lambda s: None, poll=30, table="orders",
                          source=src)
    long = _timed_cross(src, 5_000)
    tries, started = [], threading.Event()

    def compute():
        tries.append(1)
        started.set()
        return snap.run(long).to_pylist()

    def card():
        with snap.background():
            snap._get(("card",), compute)

    t = threading.Thread(target=card)
    t.start()
    assert started.wait(10)
    time.sleep(0.2)
    assert mon._probe()[0] == 3000
    t.join(60)
    assert tries == [1]


def test_a_background_computation_of_older_figures_is_not_run_again(tmp_path):
    src, slow = _duckdb_source(tmp_path)
    old = DatabaseSnapshot(src)
    got, started = [], threading.Event()

    def compute():
        started.set()
        return old.run(slow)

    def card():
        try:
            with old.background():
                old._get(("card",), compute)
        except Exception as e:  # noqa: BLE001
            got.append(type(e).__name__)

    t = threading.Thread(target=card)
    t.start()
    assert started.wait(10)
    time.sleep(0.5)
    new = DatabaseSnapshot(src)  # the watcher: the data changed (a foreground query)
    t.join(30)
    assert not t.is_alive() and got == ["Preempted"]
    assert new.figures("month") == old.figures("month")


# the statement that stands for a long background query on each server
SLOW = {"postgres": 'SELECT count(*) AS n FROM "{t}", pg_sleep(60)',  # 60 s
        "mysql": "SELECT count(*) AS n FROM {t} a, {t} b, {t} c"}  # 8e9 rows: minutes


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_servers_background_query_is_stopped_for_the_user(server, tmp_path):
    # PostgreSQL: cancel; MySQL and MariaDB stop a statement only from another connection:
    # KILL QUERY
    from test_live_watch import GOLDEN_COLUMNS, decline_rows

    e = open_engine(server, tmp_path)
    try:
        url, name = e.load(GOLDEN_COLUMNS, decline_rows())
        _, big = e.load([("i", "double")], [(float(i),) for i in range(2000)])
        src = DatabaseSource(url, table=name)
        snap = DatabaseSnapshot(src)
        slow = open_rows(src.conn, sql=SLOW[server].format(t=big))
        fast = src.conn.backend.table(name).count().name("n").as_table()
        waited, user, bg, tries = _preempted_once(snap, slow, fast)
        assert waited < 10
        assert user == bg == [{"n": len(decline_rows())}]
        assert tries == 2
    finally:
        e.close()


def test_spark_the_background_jobs_are_cancelled_for_the_user(tmp_path_factory):
    from test_live_watch import GOLDEN_COLUMNS, decline_rows

    e = open_engine("spark", tmp_path_factory.mktemp("spark"))
    try:
        url, name = e.load(GOLDEN_COLUMNS, decline_rows())
        src = DatabaseSource(url, sql=f"SELECT * FROM {name}")
        snap = DatabaseSnapshot(src)
        slow = open_rows(src.conn, sql="SELECT count(*) AS n FROM range(200000) a, "
                                       "range(200000) b WHERE (a.id * b.id) % 7 = 3")
        fast = src.rows.count().name("n").as_table()
        waited, user, bg, tries = _preempted_once(snap, slow, fast)
        assert waited < 30  # 4e10 rows on 2 cores: an hour (measured: 1.2 s)
        assert user == bg == [{"n": len(decline_rows())}]
        assert tries == 2
    finally:
        e.close()
