"""`kpi-tui [monitor]` (the screen), `kpi-tui watch` (the screen, or alerts as JSON lines with
--headless) and `kpi-tui demo` (either, on a copy of the sample folder that keeps growing)."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import sys
import threading
from pathlib import Path

from kpi_tui.cli.parser import settings
from kpi_tui.database.url import SourceError
from kpi_tui.settings import ConfigError


def folder(args) -> Path:
    if isinstance(args.dir, str):
        raise ConfigError(f"{args.dir}: the monitor and the watcher read a folder")
    return args.dir


def cmd_monitor(args) -> int:
    from kpi_tui.ui.app import run_monitor

    s = settings(args)
    if getattr(args, "read_only", False):
        from kpi_tui.ui.readonly import ReadOnly

        ReadOnly.read_only = True  # this process's one app
    if isinstance(args.dir, str):
        return _database(args, s)
    return run_monitor(folder(args), s, poll=getattr(args, "poll", None))


def _database(args, s) -> int:
    """The monitor or `watch --headless` on a database URL (watch.database polls it). The
    source is opened first: a server that cannot be reached is one line and exit 2, except in
    a served tab (`monitor --read-only`, from `kpi-tui serve`): its screen waits, banner up."""
    from kpi_tui.cli.report import db_options
    from kpi_tui.session import open_source

    options = db_options(args)
    served = getattr(args, "read_only", False) and not getattr(args, "headless", False)
    try:
        source = open_source(args.dir, s, **options)
    except SourceError:
        if not served:
            raise
        source = None  # a served tab (serve checked it at start): its banner says why, retrying
    if not getattr(args, "headless", False):
        from kpi_tui.ui.app import run_database_monitor

        return run_database_monitor(source, s, poll=args.poll, url=args.dir, **options)
    from kpi_tui.watch.headless import run_headless

    stop = threading.Event()
    _on_signals(lambda _sig, _frame: stop.set(), signal.SIGTERM)
    return run_headless(None, s, poll=args.poll, on_alert=args.on_alert,
                        alert_timeout=args.alert_timeout, once=args.once, stop=stop,
                        source=source)


def cmd_watch(args) -> int:
    s = settings(args)
    if isinstance(args.dir, str):
        return _database(args, s)
    if not args.headless:
        from kpi_tui.ui.app import run_monitor

        return run_monitor(folder(args), s, poll=args.poll)
    from kpi_tui.watch.headless import run_headless

    root = folder(args)
    if args.once and not root.is_dir():
        raise ConfigError(f"{root}: no such folder")
    stop = threading.Event()
    _on_signals(lambda _sig, _frame: stop.set(), signal.SIGTERM)
    return run_headless(root, s, poll=args.poll, on_alert=args.on_alert,
                        alert_timeout=args.alert_timeout, once=args.once, stop=stop)


def cmd_demo(args) -> int:
    source = folder(args)
    if not source.is_dir():
        raise ConfigError(f"{source}: no sample folder (make one with "
                          "`python scripts/make_sample.py data/`, or give a folder)")
    s = settings(args)  # the sample's kpi-tui.toml, if any
    copy, clock, app, dropper = demo_parts(source, s, args.interval, args.poll, args.headless)
    print(f"kpi-tui demo: a copy of {source} in {copy}; a new export every "
          f"{args.interval:g} s", file=sys.stderr)
    dropper.start()
    _on_signals(_bye, signal.SIGTERM, signal.SIGHUP)  # the copy goes with the terminal
    try:
        if app is None:
            from kpi_tui.alerts.history import AlertHistory
            from kpi_tui.watch.headless import run_headless

            return run_headless(copy, s, poll=args.poll, stop=threading.Event(),
                                history=AlertHistory(), clock=clock)
        app.run()
        return app.return_code or 0
    finally:
        dropper.halt.set()
        dropper.join(2)
        if not args.keep:
            shutil.rmtree(copy, ignore_errors=True)


def demo_parts(source: Path, s, interval: float, poll: float | None = None,
               headless: bool = False):
    """(copy, clock, app or None, dropper not started) of the demo on `source`: the screen on
    the demo's clock, its alert history in memory (a new folder each time)."""
    from kpi_tui.watch.demo import DemoClock, Dropper, Exporter, copy_sample, template_file

    template = template_file(source)
    if template is None:
        raise ConfigError(f"{source}: no CSV export to imitate")
    exporter = Exporter(template)
    clock = DemoClock(exporter.day - dt.timedelta(days=1))  # the sample's last day
    copy = copy_sample(source, clock().timestamp())
    app = None
    if not headless:
        from kpi_tui.ui.app import KpiApp

        app = KpiApp(copy, s, poll, clock=clock, folder_label=f"{copy} (demo)")
    dropper = Dropper(copy, exporter, interval, clock,
                      ready=lambda: app is None or app.snapshot is not None)
    return copy, clock, app, dropper


def _bye(sig, _frame) -> None:
    raise SystemExit(128 + sig)


def _on_signals(handler, *sigs) -> None:
    for sig in sigs:
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or no such signal here
            pass
