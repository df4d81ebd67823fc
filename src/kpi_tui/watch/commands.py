"""`watch` and `demo` subcommands for kpi_tui.cli (parsers here; the work is imported lazily)."""

from __future__ import annotations


def add_parsers(sub, common) -> None:
    w = sub.add_parser("watch", help="watch the folder: the monitor, or alerts as JSON lines "
                       "with --headless")
    common(w)
    w.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events (network mounts)")
    w.add_argument("--headless", action="store_true",
                   help="no screen: print each alert as one JSON line when it starts firing")
    w.add_argument("--on-alert", metavar="CMD",
                   help="with --headless: run CMD (no shell) with the alert JSON on stdin")
    w.add_argument("--alert-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="stop an --on-alert command after this long (default 30)")
    w.add_argument("--once", action="store_true",
                   help="with --headless: read the folder, print new alerts, exit (for cron)")
    w.add_argument("--locale", help="money format, e.g. en, fr, de (default en)")
    w.add_argument("--marker", help="chart marker: braille, dot, hd, or any character")

    d = sub.add_parser("demo", help="the monitor on a temporary copy of the sample folder, "
                       "with a new export every few seconds")
    common(d)
    d.add_argument("--interval", type=float, default=4.0, metavar="SECONDS",
                   help="seconds between new exports (default 4)")
    d.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events")
    d.add_argument("--headless", action="store_true",
                   help="no screen: print alerts as JSON lines while exports arrive")
    d.add_argument("--keep", action="store_true", help="keep the temporary folder at the end")
    d.add_argument("--locale", help="money format, e.g. en, fr, de (default en)")
    d.add_argument("--marker", help="chart marker: braille, dot, hd, or any character")


def cmd_watch(args) -> int:
    from kpi_tui.watch.headless import cmd_watch as run

    return run(args)


def cmd_demo(args) -> int:
    from kpi_tui.watch.demo import cmd_demo as run

    return run(args)


def commands() -> dict:
    return {"watch": cmd_watch, "demo": cmd_demo}
