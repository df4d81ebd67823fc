"""Repeat reports of a DuckDB table without Ibis: the SQL Ibis compiled on a first run, replayed.

A `report URL --table T` on DuckDB spends most of a small table's time starting up (Ibis,
sqlglot and pyarrow imported, the expressions built and compiled). Its queries are a function
of kpi-tui's code, the libraries, the table's columns and the settings, and of what the first
query finds (statuses, currencies, ids, amounts): `store` keeps both statements in the user
cache dir under a hash of the first four (the URL without its password), with the `shape` of
the first query's answer that the figures' statement was compiled for. `report` runs the first
statement on DuckDB's own connection, and the figures' statement only if the answer has the
same shape: the figures then come from the rows by the same `rules` as on the Ibis path.
Anything else (no entry, another shape, a name to trim, an error) returns None: the caller
takes the Ibis path, which stores the entry anew.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kpi_tui import dirs
from kpi_tui.database import rules
from kpi_tui.database.url import QueryCancelled, redact

VERSION = 2  # 2: the figures' statements, one per part of the customers
# DuckDB's memory_limit on a replay, per thread: the process holds no Ibis, sqlglot, pyarrow nor
# numpy (~70 MB less than the Ibis path's), so DuckDB gets more of the same ~200 MB (it spills
# less; 10M rows: peak 180-194 MiB; 52 and 56 MB saved no CPU, 56 MB: 194-197 MiB)
REPLAY_MB_PER_THREAD = 48
MAX_ENTRIES = 200  # statements kept (tables x settings x versions), ~5 KB each
CONCURRENT = True  # both statements at once (the figures' one dropped on another shape)


def cache_dir() -> Path:
    return dirs.cache_dir("replay")


def duckdb_path(url: str) -> str:
    return unquote(urlsplit(url).path)


def settings_key(settings) -> dict:
    """The settings as plain values, without [source] (its url may hold a password)."""
    d = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
         if f.name not in ("source", "cache")}
    return json.loads(json.dumps(d, default=_plain, sort_keys=True))


def _plain(x):
    if dataclasses.is_dataclass(x):
        return dataclasses.asdict(x)
    return str(x)


@functools.cache
def code_hash() -> str:
    """kpi-tui's code and the versions of the libraries that compile and run the queries."""
    import kpi_tui

    h = hashlib.sha256()
    root = Path(kpi_tui.__file__).parent
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    h.update(json.dumps(_versions()).encode())
    return h.hexdigest()


def _versions() -> list[str]:
    """The dist-info names of ibis-framework, sqlglot and duckdb (their versions), found beside
    the packages without importing them (importlib.metadata scans every path: ~25 ms)."""
    import importlib.util

    out = []
    for module, dist in (("ibis", "ibis_framework"), ("sqlglot", "sqlglot"), ("duckdb", "duckdb")):
        spec = importlib.util.find_spec(module)
        where = Path(spec.origin).parent.parent if spec and spec.origin else None
        names = sorted(n for n in os.listdir(where) if n.lower().startswith(dist + "-")
                       and n.endswith(".dist-info")) if where else []
        out.append(names[0] if names else f"{module}?")
    return out


def table_schema(con, table: str) -> list:
    """[(column, type, nullable)] of a table, from DuckDB's own connection."""
    rows = con.execute(f"DESCRIBE {quoted(table)}").fetchall()
    return [list(r[:3]) for r in rows]


def quoted(table: str) -> str:
    if '"' in table or "`" in table:  # the user's own SQL names (DuckDB reads "...")
        return table
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def key(url: str, table: str, schema: list, settings) -> str:
    parts = [VERSION, code_hash(), redact(url), table, schema, settings_key(settings)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def shape(first: rules.FirstPass, settings, has_currency: bool) -> dict:
    """What of the first query's answer the figures' statement was compiled for (the row
    counts and dates are not: they only enter the figures as numbers)."""
    currency = rules.reporting_currency(first.counts, settings, has_currency)
    return json.loads(json.dumps({
        "statuses": first.statuses, "positive": sorted(first.positive),
        "currencies": sorted(first.counts), "currency": currency,
        "plausible": first.plausible,
        "ids": dataclasses.astuple(first.ids) if first.ids is not None else None,
        "fits": [rules.micros_fit(first.amount_max, s) for s in range(7)]}))


# -- the first run (the Ibis path) stores ------------------------------------------------------

def store(source) -> bool:
    """Keep the statements of a DuckDB source's report (database.source.DatabaseSource) when it
    ran exactly the first query and the figures' queries (one per part): True when stored."""
    conn = source.conn
    sqls = conn.sqls or []
    first = source._first[0] if source._first else None
    if (conn.engine != "duckdb" or not source.table_name or len(sqls) != 1 + conn.parts
            or first is None
            or not first.plausible or source._plain is None):
        return False
    s, f = source.settings, source.fields
    entry = {"version": VERSION, "first": sqls[0], "figures": sqls[1:],
             "shape": shape(first, s, bool(f["currency"])), "facts": first.ids is not None,
             "optimistic": source._optimistic, "plain": source._plain,
             "tz_warning": source._tz_warning, "currency_column": bool(f["currency"]),
             "no_customer": (rules.no_customer_warning(source.where)
                             if not f["customer"] and not f["email"] else None),
             "memory_mb": conn.memory_mb}
    try:
        k = key(source.url, source.table_name, table_schema(conn.backend.con, source.table_name), s)
        where = cache_dir()
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f".{k}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(entry))
        os.replace(tmp, where / f"{k}.json")
        _prune(where)
    except Exception:  # noqa: BLE001 - a cache that cannot be written costs the next run time
        return False
    return True


def _prune(where: Path) -> None:
    """At most MAX_ENTRIES entries (a new kpi-tui or library version makes new keys): the
    least recently written go."""
    files = sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for p in files[:max(0, len(files) - MAX_ENTRIES)]:
        p.unlink(missing_ok=True)


# -- a repeat run replays -----------------------------------------------------------------------

def report(url: str, table: str, settings, timeout: float):
    """(the report dict of settings.granularity, warnings) from the stored statements, or None."""
    path = duckdb_path(url)
    if not path or not Path(path).is_file():
        return None
    try:
        import duckdb
    except ImportError:
        return None
    con = None
    try:
        con = _connect(duckdb, path)
        k = key(url, table, table_schema(con, table), settings)
        try:
            entry = json.loads((cache_dir() / f"{k}.json").read_text())
        except (OSError, ValueError):
            entry = None
        if not isinstance(entry, dict) or entry.get("version") != VERSION:
            _SPARE[_where(path)], con = con, None  # nothing run on it: the Ibis path's
            return None
        return _replay(duckdb, con, entry, url, settings, timeout)
    except Cancelled:
        raise
    except Exception:  # noqa: BLE001 - anything unexpected: the Ibis path
        return None
    finally:
        if con is not None:
            con.close()


# the connection a replay that found no entry opened, as database.connect opens it: the Ibis
# path takes it (light.duckdb) instead of opening the file again (~0.03 s of a first report)
_SPARE: dict[str, object] = {}


def _where(path: str) -> str:
    return str(Path(path).absolute())


def take_spare(path: str):
    """The DuckDB connection to `path` a missed replay left open, or None."""
    return _SPARE.pop(_where(path), None)


class Cancelled(QueryCancelled):
    """The time limit passed during a replayed statement (as on the Ibis path: no retry)."""


def _imports() -> None:
    import kpi_tui.metrics.report  # noqa: F401
    import kpi_tui.metrics.series  # noqa: F401


def _connect(duckdb, path: str):
    """DuckDB's connection as the Ibis path opens it (database.connect): read-only, UTC,
    spilling under the user cache dir, no progress bar."""
    con = duckdb.connect(str(Path(path).absolute()), read_only=True,
                         config={"temp_directory": str(dirs.duckdb_spill())})
    con.execute("SET timezone = 'UTC'")
    con.execute("SET python_enable_replacements = false")
    con.execute("SET enable_progress_bar = false")
    return con


class _Memory:
    def __init__(self, mb: int):
        self.memory_mb = self.memory_first = mb


def _replay(duckdb, con, entry: dict, url: str, settings, timeout: float):
    from kpi_tui.database.connect import duckdb_limit, duckdb_retrying, stop_timer

    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    base, stored = max(2, threads) * REPLAY_MB_PER_THREAD, int(entry.get("memory_mb") or 0)
    figures = entry["figures"]
    # a table in parts (connect.expect_rows): the first run's limit (100M rows in 4 parts at 96
    # MB: 33.7 s, 218 MiB; at the first run's 48 MB: 43.8 s, 161 MiB)
    memory = _Memory(stored if len(figures) > 1 and stored else max(base, stored))
    user = getattr(settings.source, "duckdb_memory_mb", None)  # [source] duckdb_memory_mb
    if user:
        memory, base = _Memory(int(user)), int(user)
    # a table whose figures' query needed more than `base` on the first run, or one in parts:
    # after the first query, alone (100M rows in one query at 128 MB beside the first: 256,
    # 372 MiB)
    concurrent = CONCURRENT and stored <= base and len(figures) == 1
    duckdb_limit(con, memory.memory_mb)
    fired, cons, running = [], [con], None

    def interrupt():
        fired.append(1)
        for c in cons:
            c.interrupt()

    cancel = threading.Timer(timeout, interrupt) if timeout else None
    if cancel is not None:
        cancel.daemon = True
        cancel.start()
    # the figures' modules imported while DuckDB works (not beside `import duckdb`:
    # both imports hold the GIL)
    ahead = threading.Thread(target=_imports, daemon=True)
    try:
        if concurrent:  # the figures' statement on another cursor meanwhile: dropped if the
            other = _cursor(con)  # first answer has another shape
            cons.append(other)
            box: dict = {}
            running = threading.Thread(target=_fetch_into, daemon=True,
                                       args=(box, duckdb_retrying, memory, other, figures[0]))
            running.start()
        ahead.start()
        first_rows = _rows(duckdb_retrying(memory, con, lambda: con.execute(entry["first"])))
        first = rules.first_pass(first_rows, entry["facts"], settings, "duckdb")
        has_currency = entry["currency_column"]
        if shape(first, settings, has_currency) != entry["shape"]:
            return None
        if concurrent:
            running.join()
            if "error" in box:
                raise box["error"]
            rows = box["rows"]
        else:
            rows = []
            for sql in figures:
                rows += _rows(duckdb_retrying(memory, con, functools.partial(con.execute, sql)))
    except duckdb.InterruptException:
        if fired:
            raise Cancelled(f"{redact(url)}: query cancelled after {timeout:g} s "
                            f"(query_timeout)") from None
        raise
    finally:
        if cancel is not None:
            stop_timer(cancel)
        if running is not None and running.is_alive():  # not wanted: stopped before closing
            cons[1].interrupt()
            running.join()
        for c in cons[1:]:
            c.close()
    if entry["optimistic"]:
        facts = rules.IdFacts.of_flags([r["idf"] for r in rows])
        if facts.spaces or facts.dot:  # a name to trim: the Ibis path adds those steps
            return None
    currency = rules.reporting_currency(first.counts, settings, has_currency)
    dropped = rules.left_out(first.counts, currency, settings.rates) if has_currency else {}
    known = first.summary() if entry["plain"] and not dropped else None
    ahead.join()
    from kpi_tui.metrics.report import report_dict
    from kpi_tui.metrics.series import MICROS

    g = settings.granularity
    summary, figures = rules.summary_and_figures_of(rows, g, settings.as_of, settings.margin,
                                                    known)
    warnings = ([entry["tz_warning"]] if entry["tz_warning"] else [])
    warnings += rules.left_out_warnings(dropped, currency)
    if entry.get("no_customer"):
        warnings.append(entry["no_customer"])
    unattributed = int(summary["unattributed"] or 0) / MICROS
    return report_dict(g, currency, unattributed, figures), warnings


def _cursor(con):
    """Another cursor of `con`, with the session settings of `_connect`."""
    cur = con.cursor()
    cur.execute("SET timezone = 'UTC'")
    cur.execute("SET python_enable_replacements = false")
    return cur


def _fetch_into(box: dict, retrying, memory, cur, sql: str) -> None:
    try:
        box["rows"] = _rows(retrying(memory, cur, lambda: cur.execute(sql)))
    except BaseException as e:  # noqa: BLE001 - raised on the caller's thread
        box["error"] = e


def _rows(cur) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
