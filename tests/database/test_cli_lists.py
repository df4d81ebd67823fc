"""`kpi-tui customers` and `cohorts` on a database URL print exactly what they print for a
folder holding the same rows (the lists ranked and paged in the engine)."""

from __future__ import annotations

import shutil

import pytest

from kpi_tui.cli import main

from conftest import GOLDEN  # noqa: E402 - tests/ is on sys.path (rootdir conftest)

duckdb = pytest.importorskip("duckdb")


@pytest.fixture
def same_rows(tmp_path):
    """(folder, duckdb URL) with the rows of one golden export."""
    folder = tmp_path / "folder"
    folder.mkdir()
    src = GOLDEN / "orders-2026-02.csv"
    shutil.copy(src, folder / src.name)
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{src}', header=true, "
                "columns={'order_id': 'VARCHAR', 'customer_id': 'VARCHAR', "
                "'created_at': 'TIMESTAMP', 'amount': 'DECIMAL(12,2)', 'currency': 'VARCHAR', "
                "'status': 'VARCHAR'})")
    con.close()
    return folder, f"duckdb:///{db}"


def _out(capsys, argv):
    rc = main(argv)
    return rc, capsys.readouterr().out


@pytest.mark.parametrize("group", ["churned", "retained", "new", "refunded", "at-risk"])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_customers_on_a_database_equal_the_folder(same_rows, capsys, group, fmt):
    folder, url = same_rows
    args = ["customers", "--group", group, "--format", fmt, "--at", "2026-02-01"]
    rc_f, want = _out(capsys, [*args, str(folder)])
    rc_d, got = _out(capsys, [*args, url, "--table", "orders"])
    assert (rc_d, got) == (rc_f, want)
    assert rc_f == 0 and want.strip()


def test_churned_of_february_by_hand(same_rows, capsys):
    _, url = same_rows
    rc, out = _out(capsys, ["customers", url, "--table", "orders", "--group", "churned",
                            "--at", "2026-02-01", "--format", "csv"])
    lines = out.splitlines()
    assert rc == 0 and lines[0].startswith("customer,previous,current,change")
    # bob (50 refunded: net 0) and carol (10 + 20) left after January
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["bob", "50.0", "0.0", "-50.0"], ["carol", "30.0", "0.0", "-30.0"]]


def test_cohorts_on_a_database_equal_the_folder(same_rows, capsys):
    folder, url = same_rows
    for fmt in ("json", "table"):
        _, want = _out(capsys, ["cohorts", str(folder), "--format", fmt])
        _, got = _out(capsys, ["cohorts", url, "--table", "orders", "--format", fmt])
        assert got == want and want.strip()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_list_that_stops_midway_prints_nothing(same_rows, capsys, monkeypatch, fmt):
    """The query failing after rows came (a restart, the time limit): no part of the list is
    printed as if it were the list; exit 2 with the one line."""
    from kpi_tui.database import customers
    from kpi_tui.database.url import SourceError

    _, url = same_rows
    whole = customers.pages

    def stops(*args, **kw):
        rows = whole(*args, **kw)
        yield next(rows)
        raise SourceError("duckdb:///shop.duckdb: connection lost")

    monkeypatch.setattr(customers, "pages", stops)
    rc = main(["customers", url, "--table", "orders", "--group", "churned", "--at",
               "2026-02-01", "--format", fmt])
    out, err = capsys.readouterr()
    assert (rc, out) == (2, "")
    assert err.splitlines()[-1] == "kpi-tui: duckdb:///shop.duckdb: connection lost"


def test_a_slow_reader_is_not_query_time(tmp_path):
    """`customers URL --format csv | (sleep; read)`: the list is read from the engine first,
    then printed at the reader's pace; the query's time limit (here 1 s) is not spent waiting
    for the reader (a streamed list was cancelled: "query cancelled after 1 s")."""
    import subprocess
    import sys
    import time

    db = tmp_path / "many.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders AS SELECT 'c' || (i % 30000) AS customer_id, "
                "DATE '2026-01-05' + INTERVAL (i // 30000 * 31) DAY AS created_at, "
                "CAST(10 + i % 7 AS DECIMAL(10,2)) AS amount FROM range(60000) t(i)")
    con.close()
    cmd = [sys.executable, "-m", "kpi_tui", "customers", f"duckdb:///{db}", "--table", "orders",
           "--group", "retained", "--at", "2026-02-01", "--format", "csv",
           "--query-timeout", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the pipe fills long before: the writer waits for the reader
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert len(out.splitlines()) == 1 + 30000
