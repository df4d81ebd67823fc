"""Command line: `kpi-tui [DIR]` opens the monitor; `report`, `check` and friends print."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from kpi_tui import __version__
from kpi_tui.settings import CONFIG_NAME, GRANULARITIES, ConfigError, Settings

COMMANDS = ("report", "check", "watch", "demo", "customers", "cohorts", "monitor")


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {s!r}") from None


def common(p: argparse.ArgumentParser, period: bool = True) -> None:
    p.add_argument("dir", nargs="?", default="data", type=Path,
                   help="the data folder with the exports (default: ./data)")
    if period:
        p.add_argument("--period", choices=GRANULARITIES, default=None,
                       help="granularity (default: month)")
    p.add_argument("--config", type=Path, help=f"settings file (default: DIR/{CONFIG_NAME})")
    p.add_argument("--as-of", type=_date, help="as-of date D (default: latest transaction)")
    p.add_argument("--timezone", help="convert timestamps with an offset to this zone first")
    p.add_argument("--currency", help="reporting currency (default: currency of most rows)")
    p.add_argument("--rates", type=Path, help="conversion rates file (TOML or CSV: CODE,rate)")
    p.add_argument("--margin", type=float, help="gross margin for CLV (default 1.0)")
    p.add_argument("--date-order", choices=("dmy", "mdy"),
                   help="for truly ambiguous dates like 03/04/2026")
    p.add_argument("--no-cache", action="store_true", help="parse every file again")


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
    m.add_argument("--locale", help="money format, e.g. en, fr, de (default en)")
    m.add_argument("--marker", help="chart marker: braille, dot, hd, or any character")
    m.add_argument("--poll", type=float, metavar="SECONDS",
                   help="poll the folder instead of OS events (network mounts)")
    r = sub.add_parser("report", help="print the figures of every period")
    common(r)
    r.add_argument("--format", choices=("table", "json", "csv"), default="table")
    r.add_argument("--trailing", action="store_true",
                   help="with --format json: add the trailing windows ending on the as-of date")
    c = sub.add_parser("check", help="what each file is read as, and what is dropped")
    common(c, period=False)
    from kpi_tui.cli_customers import add_parsers as customers_parsers

    customers_parsers(sub, common, _date)
    from kpi_tui.watch.commands import add_parsers as watch_parsers

    watch_parsers(sub, common)
    return top


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings.resolve with the options of `args` (those not given are None)."""
    opt = lambda name: getattr(args, name, None)  # noqa: E731
    return Settings.resolve(
        args.dir, args.config, rates_file=args.rates, currency=opt("currency"),
        timezone=opt("timezone"), margin=opt("margin"), as_of=opt("as_of"),
        date_order=opt("date_order"), granularity=opt("period"), locale=opt("locale"),
        marker=opt("marker"), cache=False if args.no_cache else None)


def warn_files(dataset, out=None) -> None:
    out = out or sys.stderr
    from kpi_tui import safe

    for f in dataset.skipped:
        print(f"kpi-tui: skipped {safe.text(f.path)}: {safe.text(f.error)}", file=out)
    for w in dataset.warnings:
        print(f"kpi-tui: warning: {safe.text(w)}", file=out)


def load(args):
    from kpi_tui.ingest.folder import load_folder

    settings = settings_from(args)
    if not args.dir.is_dir():
        raise ConfigError(f"{args.dir}: no such folder")
    return settings, load_folder(args.dir, settings)


def load_ledger(args):
    """(settings, dataset, ledger), from the ledger cache when the folder is unchanged."""
    from kpi_tui import ledger_cache

    settings = settings_from(args)
    if not args.dir.is_dir():
        raise ConfigError(f"{args.dir}: no such folder")
    ds, ledger = ledger_cache.load(args.dir, settings, settings.cache)
    return settings, ds, ledger


def cmd_report(args) -> int:
    from kpi_tui.metrics import report as fmt
    from kpi_tui.metrics.figures import period_figures, window_figures
    from kpi_tui.metrics.ledger import MICROS

    settings, ds, ledger = load_ledger(args)
    warn_files(ds)
    g = settings.granularity
    rows = period_figures(ledger, g, settings.as_of, settings.margin)
    rep = fmt.report_dict(g, ds.currency, ledger.unattributed_micros / MICROS, rows)
    if args.format == "json":
        if args.trailing:
            rep["trailing"] = window_figures(ledger, g, settings.as_of, settings.margin)
        print(fmt.to_json(rep))
    elif args.format == "csv":
        sys.stdout.write(fmt.to_csv(rows))
    else:
        sys.stdout.write(fmt.to_table(rep))
    return 0 if ds.used else 2


def cmd_check(args) -> int:
    from kpi_tui.ingest.check import check_text

    settings, ds = load(args)
    sys.stdout.write(check_text(ds))
    warn_files(ds)
    return 0 if ds.used else 2


def cmd_monitor(args) -> int:
    from kpi_tui.ui.app import run_monitor

    settings = settings_from(args)
    return run_monitor(args.dir, settings, poll=getattr(args, "poll", None))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "monitor")
    args = parser().parse_args(argv)
    handler = {"report": cmd_report, "check": cmd_check, "monitor": cmd_monitor}
    handler.update(extra_commands())
    try:
        return handler[args.command](args)
    except ConfigError as e:
        print(f"kpi-tui: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def extra_commands() -> dict:
    """Commands added by other modules (watch, demo, customers, cohorts)."""
    from kpi_tui.cli_customers import commands as customers_commands

    from kpi_tui.watch.commands import commands as watch_commands

    return {**customers_commands(), **watch_commands()}
