"""Bad input and hostile conditions: one clear line, never a password; read-only roles work and
cannot write; a slow query is cancelled by the engine."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest

from dbengines import MYSQL_URL, PG_URL, open_engine, unique

from kpi_tui.database.source import DatabaseSource
from kpi_tui.database.url import SourceError, is_url, redact, scrub
from kpi_tui.settings import Mapping, Settings

ROWS = [("a", dt.date(2026, 1, 5), 10.0), ("b", dt.date(2026, 2, 5), 20.0)]
COLS = [("customer_id", "text"), ("order_date", "date"), ("amount", "double")]
SECRET = "Pw-9f3k_TopSecret"


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    e = open_engine("postgres", tmp_path_factory.mktemp("pg"))
    yield e
    e.close()


@pytest.fixture(scope="module")
def my(tmp_path_factory):
    e = open_engine("mysql", tmp_path_factory.mktemp("my"))
    yield e
    e.close()


def error_of(*args, **kw) -> str:
    with pytest.raises(SourceError) as e:
        s = DatabaseSource(*args, **kw)
        s.figures("month")
    msg = str(e.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_urls():
    assert is_url("postgresql://u@h/db") and is_url("mysql://u@h/db") and is_url("spark:local[2]")
    assert is_url("duckdb:///tmp/x.duckdb") and is_url("bigquery://project/dataset")
    assert not is_url("/home/me/exports") and not is_url("exports") and not is_url("C:/data")
    assert redact(f"postgresql://bob:{SECRET}@db:5432/shop") == "postgresql://bob@db:5432/shop"
    assert SECRET not in scrub(f"connect failed: password={SECRET} host=x", [])
    assert SECRET not in scrub(f"dsn user=bob password='{SECRET}'", [])


def test_missing_driver_one_line():
    msg = error_of(f"snowflake://bob:{SECRET}@account/db/schema", table="orders")
    assert msg == ("snowflake://bob@account/db/schema: the snowflake driver is not installed; "
                   "run: pip install 'kpi-tui[snowflake]'")


def test_unknown_host_and_server_down():
    msg = error_of(f"postgresql://bob:{SECRET}@no-such-host.invalid/test", table="t")
    assert "cannot connect" in msg and "no-such-host.invalid" in msg and SECRET not in msg
    msg = error_of(f"mysql://bob:{SECRET}@127.0.0.1:1/test", table="t")  # nothing listens
    assert "cannot connect" in msg and SECRET not in msg


def test_wrong_password(my):
    user = unique("ktu")
    my.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'Right-{SECRET}'")
    try:
        msg = error_of(f"mysql://{user}:{SECRET}@127.0.0.1:3306/test", table="t")
        assert "Access denied" in msg and SECRET not in msg
    finally:
        my.execute(f"DROP USER '{user}'@'%'")


def test_missing_table_and_columns(pg):
    url, name = pg.load(COLS, ROWS)
    assert error_of(PG_URL, table="no_such_table") == f"{redact(PG_URL)}: table 'no_such_table' not found"
    msg = error_of(PG_URL, table=name, settings=Settings(mapping=Mapping(amount="total",
                                                                          date="order_date")))
    assert "the [mapping] columns amount = 'total' are not in the table" in msg
    url, text_amount = pg.load([("customer_id", "text"), ("order_date", "date"), ("amount", "text")],
                               [("a", dt.date(2026, 1, 5), "10.00")])
    assert "the amount column 'amount' is text, not a number" in error_of(url, table=text_amount)
    url, no_date = pg.load([("customer_id", "text"), ("amount", "double")], [("a", 1.0)])
    assert "no date column found" in error_of(url, table=no_date)


@pytest.mark.parametrize("sql", ["DELETE FROM t", "DROP TABLE t", "SELECT 1; DROP TABLE t",
                                 "INSERT INTO t SELECT * FROM t", "SELECT * INTO t2 FROM t",
                                 "UPDATE t SET amount = 0", "VACUUM", "EXPLAIN SELECT * FROM t",
                                 "SELECT * FROM t FOR UPDATE"])
def test_sql_must_be_one_select(sql, caplog):
    with pytest.raises(SourceError, match="--sql must be one read-only SELECT query"):
        from kpi_tui.database.columns import check_sql

        check_sql(sql, "postgres")
    assert not caplog.records  # one line, the caller's: no sqlglot warning on stderr


def test_sql_query_source(pg):
    url, name = pg.load(COLS, ROWS)
    sql = f'WITH o AS (SELECT * FROM "{name}") SELECT customer_id, order_date, amount * 2 AS amount FROM o'
    src = DatabaseSource(url, sql=sql)
    assert [p["revenue"] for p in src.figures("month")] == [20.0, 40.0]
    assert "(--sql query)" in src.label


def test_read_only_role_postgres(pg):
    url, name = pg.load(COLS, ROWS)
    role = unique("ktro")
    pg.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        pg.execute(f'GRANT SELECT ON "{name}" TO "{role}"')
        src = DatabaseSource(f"postgresql://{role}@127.0.0.1:5432/test", table=name)
        assert [p["revenue"] for p in src.figures("month")] == [10.0, 20.0]
        assert src.probe()[0] == 2
        with pytest.raises(Exception, match="read-only|permission denied"):
            src.conn.backend.raw_sql(f'CREATE TABLE "{role}_x" (a int)')
        # even the superuser's session is read-only
        admin = DatabaseSource(PG_URL, table=name)
        with pytest.raises(Exception, match="read-only"):
            admin.conn.backend.raw_sql(f'CREATE TABLE "{role}_y" (a int)')
    finally:
        pg.execute(f'REVOKE ALL ON "{name}" FROM "{role}"')
        pg.execute(f'DROP ROLE "{role}"')


def test_read_only_user_mysql(my):
    url, name = my.load(COLS, ROWS)
    user = unique("ktro")
    my.execute(f"CREATE USER '{user}'@'%'")
    try:
        my.execute(f"GRANT SELECT ON test.`{name}` TO '{user}'@'%'")
        src = DatabaseSource(f"mysql://{user}@127.0.0.1:3306/test", table=name)
        assert [p["revenue"] for p in src.figures("month")] == [10.0, 20.0]
        admin = DatabaseSource(MYSQL_URL, table=name)
        with pytest.raises(Exception, match="READ ONLY|read-only|read only"):
            admin.conn.backend.raw_sql(f"CREATE TABLE `{user}_y` (a int)")
    finally:
        my.execute(f"DROP USER '{user}'@'%'")


def test_statement_timeout(pg):
    url, name = pg.load(COLS, ROWS)
    sql = f'SELECT * FROM "{name}" WHERE pg_sleep(1) IS NOT NULL'
    src = DatabaseSource(url, sql=sql, timeout=0.3)
    with pytest.raises(SourceError, match=r"query cancelled after 0.3 s"):
        src.figures("month")


def test_password_never_in_any_output(pg, my, tmp_path):
    """Run sources with a password in the URL (accepted by PostgreSQL's trust login, refused
    by MariaDB) in a child process with driver logging on: the password is in no stream."""
    url, name = pg.load(COLS, ROWS)
    script = textwrap.dedent(f"""
        import json, logging, sys
        logging.basicConfig(level=logging.DEBUG)
        from kpi_tui.database.source import DatabaseSource
        from kpi_tui.database.url import SourceError
        s = DatabaseSource("postgresql://postgres:{SECRET}@127.0.0.1:5432/test", table="{name}")
        print(s.label); print(s.check_text()); print(json.dumps(s.report("month")))
        print(s.trailing("month")); print(s.probe()); print(s.warnings)
        print(repr(s.conn))  # (a crash's traceback shows its locals' reprs)
        for u in ("mysql://root:{SECRET}@127.0.0.1:3306/test",
                  "postgresql://nobody:{SECRET}@127.0.0.1:5432/test",
                  "postgresql://postgres:{SECRET}@127.0.0.1:5432/nodb"):
            try:
                DatabaseSource(u, table="{name}").figures("month")
            except SourceError as e:
                print(e, file=sys.stderr)
        DatabaseSource("postgresql://postgres:{SECRET}@127.0.0.1:5432/test", table="nope")
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    out = p.stdout + p.stderr
    assert "postgresql://postgres@127.0.0.1:5432/test" in p.stdout
    assert "table 'nope' not found" in p.stderr  # the uncaught one: a traceback, still clean
    assert SECRET not in out
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert SECRET not in f.read_text(errors="replace"), f


def test_env_in_config_values(monkeypatch, tmp_path):
    from kpi_tui.database.url import expand_env
    from kpi_tui.settings import load_config

    cfg = tmp_path / "kpi-tui.toml"  # a password written in the file itself
    cfg.write_text(f'[source]\nurl = "postgresql://bob:{SECRET}@db/shop"\n')
    s = load_config(cfg)
    assert s.source.url == f"postgresql://bob:{SECRET}@db/shop"
    assert SECRET not in repr(s)  # (a crash's traceback shows its locals' reprs)

    monkeypatch.setenv("KT_DB_PASSWORD", SECRET)
    url = expand_env("postgresql://bob:${KT_DB_PASSWORD}@db/shop")
    assert url == f"postgresql://bob:{SECRET}@db/shop" and redact(url) == "postgresql://bob@db/shop"
    monkeypatch.delenv("KT_DB_PASSWORD")
    with pytest.raises(SourceError, match="KT_DB_PASSWORD is not set"):
        expand_env("postgresql://bob:${KT_DB_PASSWORD}@db/shop")
