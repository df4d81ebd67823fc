"""`kpi-tui report` (the figures of every period) and `kpi-tui check` (what each file is read as)."""

from __future__ import annotations

import sys

from kpi_tui import safe
from kpi_tui.cli.parser import settings
from kpi_tui.settings import ConfigError


def warn(snapshot, out=None) -> None:
    """Skipped files and the source's warnings, one line each on stderr."""
    out = out or sys.stderr
    for f in getattr(snapshot, "skipped", ()):
        print(f"kpi-tui: skipped {safe.text(f.path)}: {safe.text(f.error)}", file=out)
    for w in snapshot.warnings:
        print(f"kpi-tui: warning: {safe.text(w)}", file=out)


def counted(snapshot) -> int:
    """Exit status: 2 when no file (or table) could be used."""
    ds = getattr(snapshot, "dataset", None)
    return 0 if ds is None or ds.used else 2


def open_snapshot(args, s=None, record: bool = False, spill: bool = False):
    """(settings, snapshot) of the source the command line names; `record`: a DuckDB source
    keeps the statements it runs (database.replay); `spill`: kpi_tui.spill may sum one big
    file's figures part by part."""
    from kpi_tui.database.url import url_like

    if isinstance(args.dir, str) and url_like(args.dir):  # without the folder engine's
        from kpi_tui.database.source import open_database as open_source  # numpy and pyarrow
    else:
        from kpi_tui.session import open_source

    s = s or settings(args)
    source = open_source(args.dir, s, **db_options(args))
    if hasattr(source, "snapshot"):  # a folder
        source.probe()
        snap = None
        if spill:  # one big file: its rows spilled to disk by customer, when it can be
            from kpi_tui import spill as spilled

            snap = spilled.snapshot(source.root, s)
        if snap is None:
            snap = source.snapshot()
    else:  # a database is its own snapshot; its first query says when it cannot be read (a
        snap = source  # probe would count the whole table once more: 0.7 s on PostgreSQL 10M)
        if record:
            snap.conn.sqls = []
    warn(snap)
    return s, snap


def replayable(args, s) -> bool:
    """`report` of a DuckDB --table with the cache on (database.replay)."""
    from kpi_tui.database.url import engine

    return (isinstance(args.dir, str) and engine(args.dir) == "duckdb"
            and bool(getattr(args, "table", None)) and not getattr(args, "sql", None)
            and s.cache and not getattr(args, "trailing", False))


def db_options(args) -> dict:
    """--table / --sql, for a database URL."""
    if not isinstance(args.dir, str):
        if getattr(args, "table", None) or getattr(args, "sql", None):
            raise ConfigError("--table and --sql go with a database URL, not a folder")
        return {}
    return {"table": getattr(args, "table", None), "sql": getattr(args, "sql", None)}


def cmd_report(args) -> int:
    s = settings(args)
    record = replayable(args, s)
    if record:  # a repeat run: the statements of the first, without Ibis
        from kpi_tui.database import replay
        from kpi_tui.database.connect import DEFAULT_TIMEOUT

        timeout = getattr(s.source, "query_timeout", None) or DEFAULT_TIMEOUT
        got = replay.report(args.dir, args.table, s, timeout)
        if got is not None:
            rep, warnings = got
            for w in warnings:
                print(f"kpi-tui: warning: {safe.text(w)}", file=sys.stderr)
            _print(args, rep)
            return 0
    s, snap = open_snapshot(args, s, record, spill=True)
    if args.trailing and hasattr(snap, "with_trailing"):
        snap.with_trailing = True  # a spilled file's parts read once for both
    rep = snap.report(s.granularity)
    if args.format == "json" and args.trailing:
        rep["trailing"] = snap.trailing(s.granularity)
    _print(args, rep)
    if record:
        replay.store(snap)
    return counted(snap)


def _print(args, rep: dict) -> None:
    from kpi_tui.metrics import report as fmt

    if args.format == "json":
        print(fmt.to_json(rep))
    elif args.format == "csv":
        sys.stdout.write(fmt.to_csv(rep["periods"]))
    else:
        sys.stdout.write(fmt.to_table(rep))


def cmd_check(args) -> int:
    from kpi_tui.ingest.check import check_text
    from kpi_tui.session import open_source

    s = settings(args)  # first: a [source] url of the settings file becomes args.dir
    source = open_source(args.dir, s, **db_options(args))
    source.probe()
    if not hasattr(source, "dataset"):  # a database: its own account of the table
        sys.stdout.write(safe.lines(source.check_text()))  # values from the database
        return 0
    ds = source.dataset()
    sys.stdout.write(check_text(ds))
    warn(ds)
    return 0 if ds.used else 2
