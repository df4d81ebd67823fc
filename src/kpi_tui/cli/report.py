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


def open_snapshot(args, spill: bool = False):
    """(settings, snapshot) of the source the command line names (`spill`: kpi_tui.spill
    may sum one big file's figures part by part)."""
    from kpi_tui.session import open_source

    s = settings(args)
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
    warn(snap)
    return s, snap


def db_options(args) -> dict:
    """--table / --sql, for a database URL."""
    if not isinstance(args.dir, str):
        if getattr(args, "table", None) or getattr(args, "sql", None):
            raise ConfigError("--table and --sql go with a database URL, not a folder")
        return {}
    return {"table": getattr(args, "table", None), "sql": getattr(args, "sql", None)}


def cmd_report(args) -> int:
    from kpi_tui.metrics import report as fmt

    s, snap = open_snapshot(args, spill=True)
    g = s.granularity
    if args.trailing and hasattr(snap, "with_trailing"):
        snap.with_trailing = True  # a spilled file's parts read once for both
    rep = snap.report(g)
    if args.format == "json":
        if args.trailing:
            rep["trailing"] = snap.trailing(g)
        print(fmt.to_json(rep))
    elif args.format == "csv":
        sys.stdout.write(fmt.to_csv(rep["periods"]))
    else:
        sys.stdout.write(fmt.to_table(rep))
    return counted(snap)


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
