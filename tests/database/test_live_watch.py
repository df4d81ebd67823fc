"""`watch --headless` on a database URL (watch.database.DatabaseMonitor), against the real
PostgreSQL server: the same alert lines as a folder of the same rows; one cheap probe per poll,
the figures queried again only when the rows changed; the source going away and coming back;
a server down at start; the password in no output and no file."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dbengines import open_engine, sql_engine, unique  # noqa: F401 (fixture)

from kpi_tui.alerts.history import AlertHistory
from kpi_tui.database.source import DatabaseSource
from kpi_tui.settings import Settings
from kpi_tui.watch.database import DatabaseMonitor
from kpi_tui.watch.headless import run_headless

sys.path.insert(0, str(Path(__file__).parent))
from test_db_figures import GOLDEN_COLUMNS, golden_table_rows  # noqa: E402

CLOCK = dt.datetime(2026, 5, 12, 9, 0)  # the day after the newest golden transaction
PASSWORD = "S3cretXyz"


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    e = open_engine("postgres", tmp_path_factory.mktemp("pg"))
    yield e
    e.close()


def wait_until(cond, timeout=60.0, what="condition", why=lambda: ""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} {why()}")


def lines(text: str) -> list[dict]:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def decline_rows() -> list[tuple]:
    """Ten customers buy 100 each in January to March; in April four buy 20; one row in GBP."""
    rows, n = [], 0
    for month, who, amount in ((1, "abcdefghij", 100.0), (2, "abcdefghij", 100.0),
                               (3, "abcdefghij", 100.0), (4, "abcd", 20.0)):
        for i, c in enumerate(who):
            n += 1
            rows.append((f"o-{n}", c, dt.datetime(2026, month, 3 + i, 10), amount, "EUR", "paid"))
    rows.append(("o-gbp", "k", dt.datetime(2026, 4, 20, 10), 30.0, "GBP", "paid"))
    rows.append(("o-may", "a", dt.datetime(2026, 5, 11, 10), 100.0, "EUR", "paid"))
    return rows


def as_folder(rows, folder):
    """The same rows as one CSV export in a new folder (the folder engine's side)."""
    import csv

    folder.mkdir()
    with open(folder / "orders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([c for c, _ in GOLDEN_COLUMNS])
        w.writerows([*r[:2], r[2].isoformat(sep=" "), *r[3:]] for r in rows)
    return folder


def test_once_same_alert_lines_as_a_folder(sql_engine, tmp_path):
    """PostgreSQL, MariaDB and DuckDB: the lines of the folder of the same rows."""
    rows = decline_rows()
    url, name = sql_engine.load(GOLDEN_COLUMNS, rows)
    folder = as_folder(rows, tmp_path / "exports")
    s = Settings(cache=False)
    out, err = io.StringIO(), io.StringIO()
    rc = run_headless(None, s, once=True, out=out, err=err, history=AlertHistory(),
                      clock=lambda: CLOCK, source=DatabaseSource(url, table=name, settings=s))
    fout = io.StringIO()
    frc = run_headless(folder, s, once=True, out=fout, err=io.StringIO(),
                       history=AlertHistory(), clock=lambda: CLOCK)
    got, want = lines(out.getvalue()), lines(fout.getvalue())
    assert rc == frc == 0, err.getvalue()
    assert [g.pop("source") for g in got] == [f"{url} table {name}"] * len(got)
    assert [w.pop("folder") for w in want] == [str(folder)] * len(want)
    assert got == want
    assert [g["rule"] for g in got] == ["decline", "flattening", "currency_left_out"]
    assert [g["message"] for g in got] == [
        "⚠ Average customer value down 80.0% vs March 2026: existing customers spent less "
        "(-€80.00 per customer)",
        "⚠ Average customer value not growing over the last 4 months (January 2026 to April "
        "2026): trend -16.7% per month",
        "⚠ 1 rows in GBP left out: no rate to EUR (give one with --rates)"]
    assert {g["started_at"] for g in got} == {"2026-05-12T09:00:00"}


def test_a_new_row_recomputes_no_change_does_not(pg):
    url, name = pg.load(GOLDEN_COLUMNS, golden_table_rows())
    s = Settings(cache=False)
    snaps = []
    mon = DatabaseMonitor(url, s, snaps.append, poll=0.1, table=name)
    mon.start()
    try:
        wait_until(lambda: mon.computes == 1, what="the first figures")
        probes = mon.probes
        wait_until(lambda: mon.probes >= probes + 5, what="five more probes")
        assert mon.computes == 1 and len(snaps) == 1  # nothing changed: nothing queried again
        april = [r for r in snaps[0].figures("month") if r["start"] == "2026-04-01"][0]
        assert april["active_customers"] == 0
        pg.execute(f"INSERT INTO \"{name}\" VALUES ('x-1', 'zoe', '2026-04-20 10:00:00', "
                   "50.0, 'EUR', 'paid')")
        wait_until(lambda: mon.computes == 2, what="the figures with the new row")
        april = [r for r in snaps[-1].figures("month") if r["start"] == "2026-04-01"][0]
        assert april["active_customers"] == 1 and april["revenue"] == 50.0
        assert mon.status.last_check is not None and mon.status.problem is None
        assert mon.status.query_seconds == snaps[-1].query_seconds > 0
    finally:
        mon.stop()


def through_a_fault(source, s, rule, fault, repair, hold=0.0):
    """`watch --headless` on `source` (the decline rows): `fault()` once the first three alerts
    are out, `repair()` `hold` s after the `rule` finding shows; (alert lines, stderr, history)
    once the finding has cleared."""
    out, err, hist, stop = io.StringIO(), io.StringIO(), AlertHistory(), threading.Event()
    run = threading.Thread(target=run_headless, args=(None, s), kwargs=dict(
        poll=0.1, out=out, err=err, stop=stop, history=hist, clock=lambda: CLOCK,
        source=source, monitor_options={"max_backoff": 0.4}))
    run.start()
    active = lambda: any(a.finding.rule == rule for a in hist.active())  # noqa: E731
    try:
        wait_until(lambda: len(lines(out.getvalue())) == 3, what="the first alerts",
                   why=lambda: out.getvalue() + err.getvalue())
        fault()
        wait_until(active, what=f"the {rule} finding", why=err.getvalue)
        time.sleep(hold)
        repair()
        wait_until(lambda: not active(), what="the recovery")
    finally:
        stop.set()
        run.join(20)
    return lines(out.getvalue()), err.getvalue(), hist


def test_table_renamed_away_and_back(pg):
    """A table that goes (a restart, a migration): one unreachable finding and one stderr
    line, the last figures kept, retries with back-off, recovery by itself."""
    url, name = pg.load(GOLDEN_COLUMNS, decline_rows())
    s = Settings(cache=False)
    away = unique("gone")
    got, err, hist = through_a_fault(
        DatabaseSource(url, table=name, settings=s), s, "source_unreachable",
        lambda: pg.execute(f'ALTER TABLE "{name}" RENAME TO "{away}"'),
        lambda: pg.execute(f'ALTER TABLE "{away}" RENAME TO "{name}"'),
        hold=1.0)  # several retries: still one line, one finding
    assert [g["rule"] for g in got] == ["decline", "flattening", "currency_left_out",
                                       "source_unreachable"]
    msg = got[3]["message"]
    assert msg.startswith(f"⚠ source unreachable since {CLOCK:%H:%M}: ") and name in msg
    problems = [x for x in err.splitlines() if "unreachable" in x]
    assert len(problems) == 1 and problems[0] == "kpi-tui: " + msg[2:]
    assert [a.finding.rule for a in hist.past()] == ["source_unreachable"]


def cli(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi_tui", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_server_down_at_start_one_line_exit_2(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    for extra in (["--once"], []):
        p = cli("watch", "--headless", *extra, "postgresql://postgres@127.0.0.1:1/test",
                "--table", "orders", env=env)
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
        assert p.stderr.startswith("kpi-tui: postgresql://postgres@127.0.0.1:1/test: cannot "
                                   "connect: ") and "Connection refused" in p.stderr


def test_password_in_no_output_and_no_file(pg, tmp_path):
    url, name = pg.load(GOLDEN_COLUMNS, decline_rows())
    role = unique("kt_role")
    pg.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    pg.execute(f'GRANT SELECT ON "{name}" TO {role}')
    try:
        env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), "PGPASSWORD": ""}
        good = f"postgresql://{role}:{PASSWORD}@127.0.0.1:5432/test"
        runs = [cli("watch", "--headless", "--once", good, "--table", name, env=env),
                cli("watch", "--headless", "--once", good.replace(":5432", ":1"), "--table",
                    name, env=env),
                # this server trusts 127.0.0.1 (any password passes): a missing table instead
                cli("watch", "--headless", "--once", good, "--table", name + "_nosuch",
                    env=env)]
        assert [p.returncode for p in runs] == [0, 2, 2]
        assert [len(lines(p.stdout)) for p in runs] == [4, 0, 0]  # stale too: real clock
        assert lines(runs[0].stdout)[0]["source"] == (
            f"postgresql://{role}@127.0.0.1:5432/test table {name}")  # redact drops it
        assert "not found" in runs[2].stderr and runs[2].stderr.count("\n") == 1
        # the unreachable message of a running watch, with the password in the URL
        s = Settings(cache=False)
        problems = []
        mon = DatabaseMonitor(good, s, lambda _s: None, on_error=problems.append, poll=0.1,
                              table=name, max_backoff=0.3)
        mon.start()
        try:
            wait_until(lambda: mon.computes == 1, what="the first figures")
            away = unique("gone")
            pg.execute(f'ALTER TABLE "{name}" RENAME TO "{away}"')
            wait_until(lambda: problems, what="the unreachable message")
            pg.execute(f'ALTER TABLE "{away}" RENAME TO "{name}"')
            wait_until(lambda: mon.status.problem is None, what="the recovery")
        finally:
            mon.stop()
        texts = [p.stdout + p.stderr for p in runs] + problems + [mon.status.label]
        texts += [str(f) for f in mon.findings()]
        assert problems and all(PASSWORD not in t for t in texts)
        files = [f for f in tmp_path.rglob("*") if f.is_file()]
        assert any("headless-db-" in f.name for f in files)  # the history was written
        assert all(PASSWORD.encode() not in f.read_bytes() for f in files)
    finally:
        pg.execute(f"DROP OWNED BY {role}")
        pg.execute(f"DROP ROLE {role}")


def test_source_table_of_the_settings_file(pg, tmp_path):
    """`[source]` (url with ${ENV_VAR}, table, poll_seconds) where the command line gives none."""
    from kpi_tui.cli.parser import parser, settings

    url, name = pg.load(GOLDEN_COLUMNS, decline_rows())
    conf = tmp_path / "kpi-tui.toml"
    conf.write_text(f'[source]\nurl = "{url.replace("postgres@", "postgres:${KT_PW}@")}"\n'
                    f'table = "{name}"\npoll_seconds = 5\n')
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "KT_PW": PASSWORD}
    args = parser().parse_args(["watch", "--headless", "--config", str(conf)])
    os.environ["KT_PW"] = PASSWORD
    try:
        s = settings(args)
    finally:
        del os.environ["KT_PW"]
    assert (args.dir, args.table, args.sql, args.poll) == (
        url.replace("postgres@", f"postgres:{PASSWORD}@"), name, None, 5.0)
    assert s.source.poll_seconds == 5.0
    got = cli("report", "--config", str(conf), "--format", "json", env=env)
    want = cli("report", url, "--table", name, "--format", "json", env=env)
    assert got.returncode == want.returncode == 0 and got.stdout == want.stdout
    assert [p["acv"] for p in json.loads(got.stdout)["periods"]] == [100.0, 100.0, 100.0, 20.0, 100.0]
    p = cli("watch", "--headless", "--once", "--config", str(conf), env=env)
    assert [x["source"] for x in lines(p.stdout)] == [f"{url} table {name}"] * 4
    assert PASSWORD not in p.stdout + p.stderr + got.stderr
    del env["KT_PW"]
    p = cli("check", "--config", str(conf), env=env)
    assert (p.returncode, p.stderr) == (
        2, "kpi-tui: [source] url: environment variable KT_PW is not set\n")
    conf.write_text('[source]\nurl = "duckdb:///x.db"\npoll = 5\n')
    p = cli("check", "--config", str(conf), env=env)
    assert (p.returncode, p.stderr) == (2, f"kpi-tui: {conf}: [source]: unknown setting 'poll'\n")
