"""Repeat reports of a DuckDB table replay the stored statements (database.replay): the same
output as the Ibis path, keyed on what shapes the queries, never a password in the cache, and
the Ibis path whenever anything differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("ibis")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import GOLDEN  # noqa: E402

from kpi_tui.cli.parser import parser, settings  # noqa: E402
from kpi_tui.database import replay  # noqa: E402
from kpi_tui.database.source import DatabaseSource  # noqa: E402

GOLDEN_SQL = (f"CREATE TABLE orders AS SELECT * EXCLUDE (filename) FROM "
              f"read_csv('{GOLDEN}/*.csv', filename = true) "
              f"QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY filename DESC) = 1")


@pytest.fixture
def golden(tmp_path) -> Path:
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute(GOLDEN_SQL)
    con.close()
    return path


def kpi(*args: str) -> subprocess.CompletedProcess:
    """The command line as a user runs it (the test's own cache dir, from conftest)."""
    code = ("import sys, runpy; sys.argv = ['kpi-tui', *sys.argv[1:]]\n"
            "from kpi_tui.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "print('IBIS' if 'ibis' in sys.modules else 'NO-IBIS', file=sys.stderr)\n"
            "import os; sys.stdout.flush(); sys.stderr.flush()\n"
            "os._exit(code)")  # as the CLI leaves (cli.leave): no finalisation to abort in
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def entries() -> list[Path]:
    d = replay.cache_dir()
    return sorted(d.glob("*.json")) if d.exists() else []


def execute(path: Path, *sql: str) -> None:
    con = duckdb.connect(str(path))
    for s in sql:
        con.execute(s)
    con.close()


@pytest.mark.parametrize("extra", [["--period", "month", "--format", "json"],
                                   ["--period", "quarter", "--format", "json"],
                                   ["--period", "week", "--format", "csv", "--margin", "0.4"],
                                   ["--period", "month", "--as-of", "2026-04-15"]])
def test_a_repeat_run_replays_and_prints_what_the_ibis_path_prints(golden, extra):
    url = f"duckdb:///{golden}"
    plain = kpi("report", url, "--table", "orders", "--no-cache", *extra)
    first = kpi("report", url, "--table", "orders", *extra)
    assert len(entries()) == 1
    again = kpi("report", url, "--table", "orders", *extra)
    assert plain.returncode == first.returncode == again.returncode == 0, again.stderr
    assert first.stderr.endswith("IBIS\n") and again.stderr == "NO-IBIS\n"
    assert again.stdout == first.stdout == plain.stdout
    if "json" in extra and "quarter" in extra:
        assert json.loads(again.stdout) == json.loads((GOLDEN / "expected-quarter.json")
                                                      .read_text())


def _args(url: str, *more: str):
    a = parser().parse_args(["report", url, "--table", "orders", *more])
    return a, settings(a)


@pytest.mark.parametrize("concurrent", [True, False, "large", "parts"])
def test_replay_of_new_rows_and_warnings_equals_the_ibis_path(golden, monkeypatch, concurrent):
    """New rows of the same shape: replayed, and the figures, currency and the warnings of a
    currency without a rate are those of the Ibis path on the same rows (both statements at
    once, or one after the other; "large": the first run's figures' query needed more memory
    than a replay's own limit, so the replay runs it alone, after the first; "parts": a large
    table's figures' queries, one per part of the customers, after the first)."""
    monkeypatch.setattr(replay, "CONCURRENT", bool(concurrent))
    if concurrent == "large":
        monkeypatch.setattr(replay, "REPLAY_MB_PER_THREAD", 1)
    if concurrent == "parts":
        from kpi_tui.database import connect

        monkeypatch.setattr(connect, "DUCKDB_PART_ROWS", 5)  # 14 rows counted: 3 parts
    if concurrent in ("large", "parts"):

        def not_at_once(*args):
            raise AssertionError("the figures' statement ran beside the first")

        monkeypatch.setattr(replay, "_fetch_into", not_at_once)
    execute(golden, "UPDATE orders SET currency = 'USD' WHERE order_id IN "
                    "(SELECT order_id FROM orders ORDER BY order_id LIMIT 3)")
    url = f"duckdb:///{golden}"
    a, s = _args(url)
    want = ibis_report(url, s, store=True)
    assert want[1] and "USD left out" in want[1][0]
    (entry,) = entries()
    assert len(json.loads(entry.read_text())["figures"]) == (3 if concurrent == "parts" else 1)
    assert replay.report(url, "orders", s, 60) == want
    execute(golden, "INSERT INTO orders SELECT order_id || 'x', customer_id, "
                    "created_at + INTERVAL 40 DAY, amount * 2, currency, status FROM orders")
    want = ibis_report(url, s)
    assert replay.report(url, "orders", s, 60) == want
    execute(golden, "UPDATE orders SET status = 'cancelled' WHERE order_id = "
                    "(SELECT min(order_id) FROM orders)")
    assert replay.report(url, "orders", s, 60) is None  # another shape
    assert ibis_report(url, s) != want


def ibis_report(url: str, s, store: bool = False):
    src = DatabaseSource(url, table="orders", settings=s)
    src.conn.sqls = []
    try:
        got = src.report(s.granularity), src.warnings
        if store:
            assert replay.store(src)
        return got
    finally:
        src.conn.backend.disconnect()


def test_another_shape_of_the_first_answer_takes_the_ibis_path(golden):
    url = f"duckdb:///{golden}"
    a, s = _args(url)
    kpi("report", url, "--table", "orders")
    assert replay.report(url, "orders", s, 60) is not None
    # a status never seen (the figures' statement drops it): not replayed
    execute(golden, "UPDATE orders SET status = 'cancelled' WHERE order_id = "
                    "(SELECT min(order_id) FROM orders)")
    assert replay.report(url, "orders", s, 60) is None
    again = kpi("report", url, "--table", "orders")
    assert again.stderr.endswith("IBIS\n") and again.stderr != "NO-IBIS\n"
    assert again.stdout == kpi("report", url, "--table", "orders", "--no-cache").stdout
    assert replay.report(url, "orders", s, 60) is not None  # stored for that shape


def test_a_customer_id_to_trim_takes_the_ibis_path(golden):
    url = f"duckdb:///{golden}"
    a, s = _args(url)
    kpi("report", url, "--table", "orders")
    execute(golden, "UPDATE orders SET customer_id = customer_id || ' ' WHERE order_id = "
                    "(SELECT min(order_id) FROM orders)")
    assert replay.report(url, "orders", s, 60) is None
    r = kpi("report", url, "--table", "orders")
    assert r.stdout == kpi("report", url, "--table", "orders", "--no-cache").stdout


def test_the_key_changes_with_the_schema_the_settings_and_the_url_not_the_password(golden):
    url = f"duckdb:///{golden}"
    a, s = _args(url)
    con = duckdb.connect(str(golden), read_only=True)
    schema = replay.table_schema(con, "orders")
    con.close()
    k = replay.key(url, "orders", schema, s)
    assert replay.key(url, "orders", schema, _args(url)[1]) == k
    other = [list(c) for c in schema]
    other[3][1] = "DECIMAL(18,2)"  # amount's type
    assert replay.key(url, "orders", other, s) != k
    assert replay.key(url, "orders", schema[:-1], s) != k
    for more in (["--margin", "0.5"], ["--period", "quarter"], ["--currency", "USD"],
                 ["--as-of", "2026-03-01"], ["--timezone", "Europe/Paris"]):
        assert replay.key(url, "orders", schema, _args(url, *more)[1]) != k, more
    assert replay.key(f"duckdb:///{golden}.copy", "orders", schema, s) != k
    assert replay.key(url, "main.orders", schema, s) != k
    pg = "postgresql://kpi:{}@127.0.0.1:5432/test"
    assert replay.key(pg.format("one"), "orders", schema, s) == \
        replay.key(pg.format("two"), "orders", schema, s)
    # the schema as the table has it: a new column, another key
    execute(golden, "ALTER TABLE orders ADD COLUMN note VARCHAR")
    con = duckdb.connect(str(golden), read_only=True)
    assert replay.table_schema(con, "orders") != schema
    con.close()


def test_a_password_never_reaches_the_cache(golden, tmp_path):
    secret = "s3cretPW"
    url = f"duckdb://kpi:{secret}@{golden}"
    config = tmp_path / "kpi-tui.toml"
    config.write_text(f'[source]\nurl = "{url}"\ntable = "orders"\n')
    for _ in range(2):
        r = kpi("report", url, "--table", "orders")
        assert r.returncode == 0 and secret not in r.stdout + r.stderr
        r = kpi("report", "--config", str(config))
        assert r.returncode == 0 and secret not in r.stdout + r.stderr
    assert r.stderr == "NO-IBIS\n"  # replayed
    files = [p for p in Path(os.environ["XDG_CACHE_HOME"]).rglob("*") if p.is_file()]
    assert any(p.parent == replay.cache_dir() for p in files)
    for p in files:
        assert secret.encode() not in p.read_bytes(), p


@pytest.mark.parametrize("damage", [b"{not json", b"[]", b'{"version": 1}',
                                    b"garbage\x00\xff", "sql"])
def test_a_damaged_entry_takes_the_ibis_path(golden, damage):
    url = f"duckdb:///{golden}"
    want = kpi("report", url, "--table", "orders").stdout
    (entry,) = entries()
    if damage == "sql":  # valid JSON, a statement DuckDB refuses
        e = json.loads(entry.read_text())
        e["figures"] = ["SELECT * FROM no_such_table"]
        entry.write_text(json.dumps(e))
    else:
        entry.write_bytes(damage)
    r = kpi("report", url, "--table", "orders")
    assert r.returncode == 0 and r.stdout == want and r.stderr.endswith("IBIS\n")
    assert r.stderr != "NO-IBIS\n"
    again = kpi("report", url, "--table", "orders")  # stored anew by the Ibis path
    assert again.stdout == want and again.stderr == "NO-IBIS\n"


def test_no_replay_without_the_cache_for_sql_or_trailing(golden):
    url = f"duckdb:///{golden}"
    for more in (["--table", "orders", "--no-cache"], ["--sql", "SELECT * FROM orders"],
                 ["--table", "orders", "--format", "json", "--trailing"]):
        for _ in range(2):
            r = kpi("report", url, *more)
            assert r.returncode == 0 and r.stderr.endswith("IBIS\n") and r.stderr != "NO-IBIS\n"
    assert entries() == []


def test_replay_is_for_duckdb_only(tmp_path):
    from dbengines import open_engine
    from test_db_figures import GOLDEN_COLUMNS, golden_table_rows

    eng = open_engine("postgres", tmp_path)
    try:
        url, name = eng.load(GOLDEN_COLUMNS, golden_table_rows())
        a = parser().parse_args(["report", url, "--table", name])
        from kpi_tui.cli.report import replayable

        assert not replayable(a, settings(a))
        src = DatabaseSource(url, table=name)
        src.conn.sqls = []
        src.report("month")
        assert not replay.store(src)
        for _ in range(2):
            r = kpi("report", url, "--table", name)
            assert r.returncode == 0 and r.stderr.endswith("IBIS\n")
        assert entries() == []
    finally:
        eng.close()


def test_the_cache_keeps_the_latest_entries(golden):
    where = replay.cache_dir()
    where.mkdir(parents=True)
    for i in range(replay.MAX_ENTRIES + 5):
        (where / f"{i:064x}.json").write_text("{}")
        os.utime(where / f"{i:064x}.json", (1_700_000_000 + i, 1_700_000_000 + i))
    kpi("report", f"duckdb:///{golden}", "--table", "orders")
    left = entries()
    assert len(left) == replay.MAX_ENTRIES
    assert not (where / f"{0:064x}.json").exists() and (where / f"{204:064x}.json").exists()
    assert kpi("report", f"duckdb:///{golden}", "--table", "orders").stderr == "NO-IBIS\n"


def test_a_table_without_customers_is_said_on_a_repeat_run_too(golden):
    """The warning of a table with no customer id nor e-mail column: replayed as well."""
    execute(golden, "CREATE TABLE sales AS SELECT created_at, amount FROM orders")
    url = f"duckdb:///{golden}"
    first = kpi("report", url, "--table", "sales")
    again = kpi("report", url, "--table", "sales")
    assert first.stderr.endswith("IBIS\n") and again.stderr.endswith("NO-IBIS\n")
    said = ("kpi-tui: warning: table sales: no customer id or e-mail column: its rows count as "
            "unattributed revenue, not as customers. To count customers by a name or phone "
            "column, name it in the [mapping] of kpi-tui.toml, with the date and amount columns "
            "(customer = \"...\")\n")
    assert first.stderr == said + "IBIS\n" and again.stderr == said + "NO-IBIS\n"
    assert again.stdout == first.stdout
