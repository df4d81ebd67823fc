"""Command line: `kpi-tui [DIR]` opens the monitor; `report`, `check` and friends print.

The top of the layers: nothing imports this package. Each command opens its source through
kpi_tui.session and hands the snapshot to a printer, the screen or the watcher.
"""

from __future__ import annotations

import importlib
import sys

from kpi_tui import safe
from kpi_tui.cli.parser import COMMANDS, parser
from kpi_tui.database.url import SourceError
from kpi_tui.settings import ConfigError

# command -> "module:function" of kpi_tui.cli, imported when the command runs (fast --help)
HANDLERS = {
    "report": "report:cmd_report", "check": "report:cmd_check",
    "customers": "customers:cmd_customers", "cohorts": "customers:cmd_cohorts",
    "monitor": "watch:cmd_monitor", "watch": "watch:cmd_watch", "demo": "watch:cmd_demo",
    "serve": "serve:cmd_serve",
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "monitor")
    args = parser().parse_args(argv)
    module, name = HANDLERS[args.command].split(":")
    handler = getattr(importlib.import_module(f"kpi_tui.cli.{module}"), name)
    try:
        return handler(args)
    except (ConfigError, SourceError) as e:  # one line, no traceback (no password either)
        print(f"kpi-tui: {safe.text(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
