"""Open the Ibis backend of a URL: read-only where the engine allows, every query time-limited.

kpi-tui never creates, alters or writes anything in the user's database: no temporary tables or
views (the queries are single SELECTs with common table expressions), and PostgreSQL / MySQL
sessions are opened READ ONLY so that even a bug could not write.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kpi_tui import dirs
from kpi_tui.database.fetch import postgres_arrow
from kpi_tui.database.gate import Gate, Preempted
from kpi_tui.database.url import (QueryCancelled, SourceError, engine, missing_driver, one_line, password,
                                  redact, scheme, secrets_of)

# seconds; a slower query is cancelled by the engine (KPI_TUI_QUERY_TIMEOUT: another limit)
DEFAULT_TIMEOUT = float(os.environ.get("KPI_TUI_QUERY_TIMEOUT") or 60.0)
PG_WORK_MEM = "64MB"  # per sort / hash of kpi-tui's session (PostgreSQL's default: 4MB)
# DuckDB's memory_limit inside kpi-tui, per thread (beyond: spills to disk); a query that still
# runs out of memory is run again with a larger limit (`more_memory`: 36 -> 54 -> 72 -> 144 MB
# on 2 threads, then twice as much each time), up to DuckDB's own default. The monthly figures of
# 10M rows on 2 threads: the figures' query holds ~29.3 MiB at once and asks 4 MiB more, so
# 32 MB (30.5 MiB) fails at random within 0.1 s (up to 9 runs in 10), 36 MB in none of 23 runs
# (peak 192-197 MiB of kpi-tui's); 100M rows: up to 108 MB fails after 4-17 s, 128 MB works. One
# that fails within DUCKDB_QUICK seconds is first run once more with the same limit; one that
# fails after DUCKDB_LATE seconds (a large table) runs again with twice its limit, and
# DUCKDB_LATE_MB at least, at once.
DUCKDB_MB_PER_THREAD = 18
# the same while neither pyarrow nor numpy is imported (database.rows; ~40 MB less of the
# process). 10M rows, the figures' query alone: 36 MB 3.3 s, 64 MB 2.1 s; kpi-tui's report
# 4.6 s, 201 MB -> 3.3-3.9 s, 176-178 MB (40 MB a thread: 194-197 MB)
DUCKDB_LIGHT_MB_PER_THREAD = 32
_HEAVY = {"pyarrow", "numpy"}
DUCKDB_LATE = 3.0
DUCKDB_LATE_MB = 128
# rows of a DuckDB table per part of the customers (database.figures.by_parts): the figures'
# queries of a larger table run once per part, each within DUCKDB_PART_MB at most (100M rows in
# one query needed 128 MB: kpi-tui's peak 241-268 MB; in 4 parts at 64 MB: 204 MB; see
# expect_rows)
DUCKDB_PART_ROWS = 30_000_000
DUCKDB_PART_MB = 48
DUCKDB_QUICK = 1.0
# DuckDB memory the at-risk queries need per million rows of the table (purchase days, their
# gaps and each customer's median as window functions): 10M rows failed at 72 MB and ran at
# 144 MB, after three failed runs (~10 s of the at-risk card's 30 s); 1M rows run at 36 MB.
# `expect_memory` starts them there.
DUCKDB_AT_RISK_MB_PER_M = 14.4


def cancelled(timeout: float) -> str:
    return f"query cancelled after {timeout:g} s (query_timeout)"


@dataclass
class Connection:
    backend: object  # the Ibis backend
    engine: str  # postgres, mysql, duckdb, pyspark, ...
    label: str  # the URL without its password
    timeout: float = DEFAULT_TIMEOUT
    secrets: list[str] = field(default_factory=list, repr=False)  # passwords: in no repr
    memory_mb: int = 0  # DuckDB's memory_limit now (0: not set by kpi-tui)
    memory_first: int = 0  # and the one it started with
    memory_light: bool = False  # memory_first is the light one (DUCKDB_LIGHT_MB_PER_THREAD)
    sqls: list | None = None  # DuckDB: the statements run, when a list (database.replay)
    parts: int = 1  # the figures' queries run once per part of the customers (expect_rows)
    memory_user: int = 0  # DuckDB: the user's memory limit ([source] duckdb_memory_mb), MB
    leaving: bool = False  # stop_queries: no query starts any more
    gate: Gate = field(init=False, repr=False, compare=False)  # one statement at a time
    kill_query: object = field(default=None, repr=False, compare=False)  # MySQL: preempt

    def __post_init__(self):
        self.gate = Gate(self.preempt)

    def error(self, e: BaseException, what: str = "") -> SourceError:
        """A driver's exception as one line for the user, without any password."""
        msg = one_line(str(e) or type(e).__name__, self.secrets)
        low = str(e).lower()[:2000]
        kind = SourceError
        if any(w in low for w in ("statement timeout", "max_execution_time", "max_statement_time",
                                  "interrupted", "canceling statement", "sparkjobcancelled",
                                  "was cancelled")):
            msg, kind = cancelled(self.timeout), QueryCancelled
        return kind(f"{self.label}: {what + ': ' if what else ''}{msg}")

    def run(self, expr):
        """Execute an Ibis expression (a few rows) as a pyarrow table, within the time limit."""
        with self.limited():
            if self.engine == "duckdb":
                return self._duckdb(expr)
            if self.engine == "postgres":
                return postgres_arrow(self.backend, expr)
            if self.engine == "mysql":
                return self._mysql(expr)
            return self.backend.to_pyarrow(expr)

    @contextlib.contextmanager
    def limited(self):
        """Around a query: its time limit (DuckDB, Spark: a timer interrupts it; a server: its
        own statement timeout) and the driver's exceptions as SourceError (one line)."""
        if self.leaving:
            raise SourceError(f"{self.label}: the program is leaving")
        with self.gate.query():  # one statement at a time, the user's first (database.gate)
            cancel = None
            if self.engine in ("duckdb", "pyspark") and self.timeout:
                cancel = threading.Timer(self.timeout, self._interrupt)
                cancel.daemon = True
                cancel.start()
            try:
                yield
            except SourceError:
                raise
            except Exception as e:  # noqa: BLE001 - every driver has its own exception classes
                if self.gate.preempted():
                    raise Preempted(f"{self.label}: {e.__class__.__name__}") from None
                raise self.error(e) from None
            finally:
                if cancel is not None:
                    stop_timer(cancel)

    def _duckdb(self, expr):
        """DuckDB's result (plain rows when the types allow: database.rows); out of memory
        under kpi-tui's limit: again with a larger limit. `sqls`: each statement that ran is
        added to it (database.replay keeps them)."""
        from kpi_tui.database.rows import duckdb_rows, plain

        columns = plain(expr)
        got = None
        if columns is not None:
            self._heavier(_heavy_loaded())
            got = duckdb_retrying(self, self.backend.con,
                                  lambda: duckdb_rows(self.backend, expr, columns, self.sqls))
        if got is None:
            self._heavier(True)
            got = duckdb_retrying(self, self.backend.con,
                                  lambda: _duckdb_arrow(self.backend, expr, self.sqls))
        return got

    def stream(self, expr, size: int):
        """`expr`'s rows, `size` at a time, from one query (database.stream); None: page."""
        from kpi_tui.database.stream import stream

        return stream(self, expr, size)

    def expect_rows(self, n: int) -> None:
        """The figures' queries will read `n` rows: on DuckDB, whose memory is kpi-tui's, they
        run in `parts` of DUCKDB_PART_ROWS rows at most (a part's query holds its customers
        only), so that the limit need not grow with the table."""
        if self.engine != "duckdb":
            return
        per_part = DUCKDB_PART_ROWS * max(1, self.memory_user // DUCKDB_PART_MB)
        self.parts = max(1, -(-int(n or 0) // per_part))
        if self.parts > 1 and self.memory_mb > DUCKDB_PART_MB and not self.memory_user:
            self.memory_mb = self.memory_first = DUCKDB_PART_MB
            duckdb_limit(self.backend.con, DUCKDB_PART_MB)

    def expect_memory(self, mb: float) -> None:
        """The next queries need about `mb` MB of DuckDB's memory: its limit goes up to that
        now rather than by failed runs (never down; not past the user's limit nor DuckDB's
        own default)."""
        mb = int(min(mb, _ram_mb() * 0.8))
        if self.engine != "duckdb" or self.memory_user or mb <= self.memory_mb:
            return
        with self.gate.query():
            self.memory_mb = mb
            duckdb_limit(self.backend.con, mb)

    def _mysql(self, expr):
        """MySQL's answer as plain rows when the types allow (database.rows), else Ibis's."""
        from kpi_tui.database.rows import mysql_rows, plain

        columns = plain(expr)
        got = mysql_rows(self.backend, expr, columns) if columns is not None else None
        return got if got is not None else self.backend.to_pyarrow(expr)

    def _heavier(self, heavy) -> None:
        """When pyarrow and numpy are in the process (or about to be), DuckDB's first limit
        goes down from DUCKDB_LIGHT_MB_PER_THREAD to DUCKDB_MB_PER_THREAD per thread."""
        if not (heavy and self.memory_light) or self.memory_user:
            return
        self.memory_light = False
        if self.memory_mb == self.memory_first:  # not raised since
            con = self.backend.con
            self.memory_mb = self.memory_first = _duckdb_memory(con, DUCKDB_MB_PER_THREAD)

    def stop_queries(self) -> None:
        """The program is leaving: the query running in another thread is interrupted (DuckDB,
        Spark; a server's own stops at its statement timeout) and no other starts (a monitor's
        quit waited for a large table's queries: minutes)."""
        self.leaving = True
        if self.engine in ("duckdb", "pyspark"):
            self._interrupt()

    def preempt(self) -> None:
        """Stop the running statement for one the user waits for (database.gate). (The gate
        holds its lock meanwhile: no other statement can start on this connection.)"""
        if self.engine in ("duckdb", "pyspark"):
            self._interrupt()
        elif self.kill_query is not None:  # MySQL: KILL QUERY from another connection
            self.kill_query()
        elif self.engine == "postgres":  # (psycopg >= 3.2; a server gone: not waited for
            self.backend.con.cancel_safe(timeout=3)  # long, the gate's lock is held meanwhile)

    def _interrupt(self) -> None:
        try:
            if self.engine == "duckdb":
                self.backend.con.interrupt()
            else:
                self.backend._session.sparkContext.cancelAllJobs()
        except Exception:  # noqa: BLE001 - best effort
            pass


def _heavy_loaded() -> bool:
    """Whether pyarrow or numpy is imported (then DuckDB gets DUCKDB_MB_PER_THREAD)."""
    return any(m in sys.modules for m in _HEAVY)


def stop_timer(timer: threading.Timer) -> None:
    """Cancel the query's timer and wait for its thread to end. A timer thread still ending
    when a program that ran a DuckDB source exits normally aborted it at finalisation
    ("terminate called ... exception not rethrown"): 5 times in 8 with the CPU busy, none in
    10 with the wait. (The command line leaves with os._exit anyway: kpi_tui.cli.leave.)"""
    timer.cancel()
    timer.join()


def more_memory(mb: int, first: int) -> int:
    """The next DuckDB memory_limit after `mb` (the first being `first`): 1.5x, then 2x the
    first, then twice as much each time."""
    return next((m for m in (first * 3 // 2, first * 2) if m > mb), mb * 2)


def duckdb_retrying(memory, con, query):
    """query() on DuckDB's connection `con`; out of memory under kpi-tui's limit
    (memory.memory_mb, the first memory.memory_first): again with a larger limit."""
    import duckdb

    same = bool(memory.memory_mb)  # one more try at the same limit, after a quick failure
    while True:
        t0 = time.monotonic()
        try:
            return query()
        except duckdb.OutOfMemoryException:
            took = time.monotonic() - t0
            if same and took < DUCKDB_QUICK:
                same = False
                continue
            more = more_memory(memory.memory_mb, memory.memory_first)
            if took >= DUCKDB_LATE:
                more = max(more, memory.memory_mb * 2, DUCKDB_LATE_MB)
            if not memory.memory_mb or more > _ram_mb() * 0.8:  # DuckDB's own default
                raise
            memory.memory_mb, same = more, True
            duckdb_limit(con, more)


def _duckdb_arrow(backend, expr, sqls: list | None = None):
    """Ibis's DuckDB to_pyarrow without its converter module, which imports pandas (~40 MB in
    kpi-tui's process); the same conversion to the expression's schema. The statement is added
    to `sqls` once it ran."""
    backend._run_pre_execute_hooks(expr)  # as Ibis's _to_duckdb_relation
    sql = backend.compile(expr.as_table())
    table = backend.con.sql(sql).to_arrow_table()
    if sqls is not None:
        sqls.append(sql)
    return expr.__pyarrow_result__(table, data_mapper=_nulls_data())


@functools.cache
def _nulls_data():
    """ibis.backends.duckdb.converter.DuckDBPyArrowData: null-typed columns as nulls."""
    import pyarrow as pa
    from ibis.formats.pyarrow import PyArrowData

    class NullsData(PyArrowData):
        @classmethod
        def convert_column(cls, column, dtype):
            return pa.nulls(len(column)) if dtype.is_null() else super().convert_column(column, dtype)

    return NullsData


def connect(source: str, timeout: float = DEFAULT_TIMEOUT, memory_mb: int | None = None
            ) -> Connection:
    """Open `source` (a URL). Raises SourceError with one line (no password) on failure.
    `memory_mb`: DuckDB's memory limit (else kpi-tui's own, DUCKDB_*_MB_PER_THREAD)."""
    missing = missing_driver(source)
    if missing:
        raise SourceError(missing)
    name, label = engine(source), redact(source)
    secrets = secrets_of(source) + [p for p in (os.environ.get("PGPASSWORD"),
                                                os.environ.get("MYSQL_PWD")) if p]
    conn = Connection(None, name, label, timeout, secrets)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            conn.backend = _open(source, name, timeout)
            if name == "mysql":
                conn.kill_query = _mysql_killer(source, conn.backend.con.thread_id())
            if name == "duckdb" and memory_mb:
                conn.memory_mb = conn.memory_first = conn.memory_user = int(memory_mb)
                duckdb_limit(conn.backend.con, memory_mb)
            elif name == "duckdb":
                conn.memory_light = not _heavy_loaded()
                per = DUCKDB_LIGHT_MB_PER_THREAD if conn.memory_light else DUCKDB_MB_PER_THREAD
                conn.memory_mb = conn.memory_first = _duckdb_memory(conn.backend.con, per)
                # DuckDB prints a progress bar of a query over 2 s to the terminal: over the screen
                conn.backend.con.execute("SET enable_progress_bar = false")
    except SourceError:
        raise
    except Exception as e:  # noqa: BLE001
        raise conn.error(e, "cannot connect") from None
    return conn


def _duckdb_memory(con, per_thread: int = DUCKDB_MB_PER_THREAD) -> int:
    """Set DuckDB's memory_limit to `per_thread` MB per thread (2 threads at least): MB."""
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    mb = max(2, threads) * per_thread
    duckdb_limit(con, mb)
    return mb


def duckdb_limit(con, mb: float) -> None:
    """DuckDB's memory_limit of connection `con`: `mb` MB."""
    con.execute(f"SET memory_limit = '{int(mb)}MB'")


def _ram_mb() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):  # not POSIX: no larger limit than 8 GB
        return 8192 / 0.8


def _open(source: str, name: str, timeout: float):
    import ibis

    from kpi_tui.database.light import duckdb, lazy_compilers, postgres

    lazy_compilers()  # the engine's own SQL compiler only

    ms = int(timeout * 1000)
    if name == "postgres":
        opts = (f"-c default_transaction_read_only=on -c statement_timeout={ms} "
                f"-c work_mem={PG_WORK_MEM}")  # a session setting: sorts spill less
        return postgres(source.replace("postgresql://", "postgres://", 1), options=opts,
                        connect_timeout=10)
    if name == "mysql":
        _mysql_driver()
        kw = {"connect_timeout": 10}
        if not password(source) and os.environ.get("MYSQL_PWD"):
            kw["password"] = os.environ["MYSQL_PWD"]
        cnf = Path.home() / ".my.cnf"
        if cnf.is_file():
            kw["read_default_file"] = str(cnf)
        u = source.replace("mariadb://", "mysql://", 1)
        con = ibis.connect(u, **kw)
        with con.con.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.execute("SET @@session.time_zone = '+00:00'")
            for stmt in (f"SET SESSION max_execution_time = {ms}",  # MySQL
                         f"SET SESSION max_statement_time = {timeout:g}"):  # MariaDB
                try:
                    cur.execute(stmt)
                except Exception:  # noqa: BLE001 - the other server's variable
                    pass
        return con
    if name == "duckdb":
        path = unquote(urlsplit(source).path)
        if path and not Path(path).exists():
            raise SourceError(f"{redact(source)}: no such DuckDB file: {path}")
        # in kpi-tui's own process: capped, spilling under the user cache dir
        return duckdb(path or ":memory:", read_only=bool(path),
                      temp_directory=str(dirs.duckdb_spill()))
    if name == "pyspark":
        return ibis.pyspark.connect(spark_session(source))
    return ibis.connect(source)


def _mysql_killer(source: str, thread_id: int):
    """() -> None: `KILL QUERY thread_id` on a short connection of the same user (MySQL and
    MariaDB stop a statement only from another connection); the statement then fails with
    "Query execution was interrupted", the connection stays open."""
    import getpass
    from urllib.parse import unquote_plus

    def kill() -> None:
        import MySQLdb  # (PyMySQL's stand-in: _mysql_driver)

        u = urlsplit(source)  # as Ibis's MySQL backend connects
        host = u.hostname or "localhost"
        kw = {"host": "127.0.0.1" if host == "localhost" else host, "port": u.port or 3306,
              "connect_timeout": 3, "user": unquote_plus(u.username or "") or getpass.getuser(),
              "password": unquote_plus(u.password or "") or os.environ.get("MYSQL_PWD", "")}
        cnf = Path.home() / ".my.cnf"
        if cnf.is_file():
            kw["read_default_file"] = str(cnf)
        other = MySQLdb.connect(**kw)
        try:
            other.cursor().execute(f"KILL QUERY {int(thread_id)}")
        finally:
            other.close()

    return kill


def _mysql_driver() -> None:
    """Ibis's MySQL backend imports MySQLdb (mysqlclient, which compiles against libmysqlclient).
    Where it is not installed, PyMySQL stands in for it, the way PyMySQL documents
    (`install_as_MySQLdb`): `kpi-tui[mysql]` then installs on any machine."""
    import importlib.util

    if importlib.util.find_spec("MySQLdb") is None:
        import pymysql

        pymysql.install_as_MySQLdb()


def spark_session(source: str):
    """The SparkSession of `spark:local[N]` or `spark://host:port` (an existing one is reused)."""
    from pyspark.sql import SparkSession

    rest = source.split(":", 1)[1]
    master = rest if rest.startswith("local") else f"spark:{rest}"
    if scheme(source) == "pyspark":
        master = rest.lstrip("/") or "local[*]"
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from kpi_tui.database.spark import reachable, start_jvm

    if master.startswith("spark://"):
        reachable(master, redact(source))
    options = {"spark.master": master, "spark.app.name": "kpi-tui", "spark.ui.enabled": "false",
               "spark.ui.showConsoleProgress": "false",  # a bar on the terminal: the screen's
               "spark.sql.session.timeZone": "UTC"}
    if master.startswith("local"):  # one machine: a few partitions, not 200 per shuffle
        options.update({"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g",
                        "spark.sql.adaptive.enabled": "false"})
    start_jvm(options)  # its log in the user cache dir, not on the terminal (database.spark)
    return SparkSession.builder.config(map=options).getOrCreate()
