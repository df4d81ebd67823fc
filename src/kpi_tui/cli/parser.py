"""The command line's parser, and the settings it resolves (Settings.resolve)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from kpi_tui import __version__
from kpi_tui.settings import CONFIG_NAME, GRANULARITIES, Settings

COMMANDS = ("report", "check", "watch", "demo", "customers", "cohorts", "monitor", "serve")
GROUPS = ("churned", "contracted", "expanded", "new", "reactivated", "retained", "refunded",
          "at-risk")  # metrics.customers.GROUPS (not imported: numpy loads only when a command runs)


def iso_date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {s!r}") from None


def seconds(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        v = 0.0
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {s!r}")
    return v


def source_arg(s: str) -> Path | str:
    """A folder (Path), or a database URL kept as written (a Path would fold its `//`)."""
    from kpi_tui.database.url import url_like

    return s if url_like(s) else Path(s)


def common(p: argparse.ArgumentParser, period: bool = True, database: bool = True) -> None:
    p.add_argument("dir", nargs="?", default=Path("data"), type=source_arg,
                   help="the data folder with the exports (default: ./data), or a database URL")
    if period:
        p.add_argument("--period", choices=GRANULARITIES, default=None,
                       help="granularity (default: month)")
    p.add_argument("--config", type=Path, help=f"settings file (default: DIR/{CONFIG_NAME})")
    p.add_argument("--as-of", type=iso_date, help="as-of date D (default: latest transaction)")
    p.add_argument("--timezone", help="convert timestamps with an offset to this zone first")
    p.add_argument("--currency", help="reporting currency (default: currency of most rows)")
    p.add_argument("--rates", type=Path, help="conversion rates file (TOML or CSV: CODE,rate)")
    p.add_argument("--margin", type=float, help="gross margin for CLV (default 1.0)")
    p.add_argument("--date-order", choices=("dmy", "mdy"),
                   help="for truly ambiguous dates like 03/04/2026")
    p.add_argument("--no-cache", action="store_true", help="parse every file again")
    if database:
        p.add_argument("--table", help="with a database URL: the table of transactions")
        p.add_argument("--sql", help="with a database URL: one read-only SELECT instead")
        p.add_argument("--query-timeout", type=seconds, metavar="SECONDS",
                       help="with a database URL: cancel a query slower than this (default 60)")


def poll_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events (network mounts); a database: "
                   "seconds between checks (default 60)")


def screen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--locale", help="money format, e.g. en, fr, de (default en)")
    p.add_argument("--marker", help="chart marker: braille, dot, hd, or any character")
    p.add_argument("--ascii", action="store_true", default=None,
                   help="draw with ASCII only (# bars, * points, EUR); automatic for a "
                   "non-UTF-8 locale or TERM=dumb/linux/vt100")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="kpi-tui",
        description="Average customer value, and why it moves, from a folder of sales exports. "
        "`kpi-tui [DIR]` opens the monitor (default DIR: ./data).",
    )
    top.add_argument("--version", action="version", version=f"kpi-tui {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    m = sub.add_parser("monitor", help="the full-screen monitor (the default command)")
    common(m)
    screen_options(m)
    poll_option(m)
    m.add_argument("--read-only", action="store_true",
                   help="no keys that change settings (the theme): what `serve` runs")
    r = sub.add_parser("report", help="print the figures of every period")
    common(r)
    r.add_argument("--format", choices=("table", "json", "csv"), default="table")
    r.add_argument("--trailing", action="store_true",
                   help="with --format json: add the trailing windows ending on the as-of date")
    c = sub.add_parser("check", help="what each file is read as, and what is dropped")
    common(c, period=False)

    c = sub.add_parser("customers", help="the customers behind a movement, or at risk")
    common(c)
    c.add_argument("--at", type=iso_date, metavar="START",
                   help="the period holding this date (default: the latest complete period)")
    c.add_argument("--group", choices=GROUPS, default="churned")
    c.add_argument("--format", choices=("table", "csv", "json"), default="table")
    k = sub.add_parser("cohorts", help="customers by period of first purchase, followed over time")
    common(k)
    k.add_argument("--format", choices=("table", "csv", "json"), default="table")

    w = sub.add_parser("watch", help="watch the folder: the monitor, or alerts as JSON lines "
                       "with --headless")
    common(w)
    w.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events (network mounts); a database: "
                   "seconds between checks (default 60)")
    w.add_argument("--headless", action="store_true",
                   help="no screen: print each alert as one JSON line when it starts firing")
    w.add_argument("--on-alert", metavar="CMD",
                   help="with --headless: run CMD (no shell) with the alert JSON on stdin")
    w.add_argument("--alert-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="stop an --on-alert command after this long (default 30)")
    w.add_argument("--once", action="store_true",
                   help="with --headless: read the folder, print new alerts, exit (for cron)")
    screen_options(w)

    d = sub.add_parser("demo", help="the monitor on a temporary copy of the sample folder, "
                       "with a new export every few seconds")
    common(d, database=False)
    d.add_argument("--interval", type=float, default=3.0, metavar="SECONDS",
                   help="seconds between new exports (default 3)")
    d.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events")
    d.add_argument("--headless", action="store_true",
                   help="no screen: print alerts as JSON lines while exports arrive")
    d.add_argument("--keep", action="store_true", help="keep the temporary folder at the end")
    screen_options(d)

    v = sub.add_parser("serve", help="the monitor as a web page, for a TV's browser "
                       "(textual-serve)")
    common(v)
    screen_options(v)
    poll_option(v)
    v.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; another one needs a token)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    v.add_argument("--token", help="the page's token (default: $KPI_TUI_SERVE_TOKEN, or one is "
                   "generated and printed once when --host is not 127.0.0.1)")
    v.add_argument("--allow-changes", action="store_true",
                   help="let viewers change settings (the theme); read-only by default")
    return top


def settings(args: argparse.Namespace) -> Settings:
    """Settings.resolve with the options of `args` (those not given are None)."""
    opt = lambda name: getattr(args, name, None)  # noqa: E731
    root = None if isinstance(args.dir, str) else args.dir  # a URL has no settings file beside it
    s = Settings.resolve(
        root, args.config, rates_file=args.rates, currency=opt("currency"),
        timezone=opt("timezone"), margin=opt("margin"), as_of=opt("as_of"),
        date_order=opt("date_order"), granularity=opt("period"), locale=opt("locale"),
        marker=opt("marker"), ascii=opt("ascii"), cache=False if args.no_cache else None)
    use_source(args, s)
    return s


def use_source(args: argparse.Namespace, s: Settings) -> None:
    """`[source]` of the settings file where the command line gives no SOURCE (its url) and
    no --table / --sql / --poll."""
    if getattr(args, "query_timeout", None) is not None:  # the command line wins
        from dataclasses import replace

        from kpi_tui.settings import Source

        s.source = replace(s.source or Source(), query_timeout=args.query_timeout)
    src = s.source
    if src is None:
        return
    if src.url and args.dir == Path("data"):  # the default: no SOURCE given
        args.dir = _env(src.url)
    if isinstance(args.dir, str):
        if getattr(args, "table", None) is None and getattr(args, "sql", None) is None:
            args.table, args.sql = src.table, src.sql
        if hasattr(args, "poll") and args.poll is None:
            args.poll = src.poll_seconds


def _env(url: str) -> str:
    """`${NAME}` replaced by the environment variable NAME (a password kept out of the file)."""
    from kpi_tui.database.url import SourceError, expand_env
    from kpi_tui.settings import ConfigError

    try:
        return expand_env(url)
    except SourceError as e:
        raise ConfigError(f"[source] url: {e}") from None
