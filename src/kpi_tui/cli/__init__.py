"""Command line: `kpi-tui [DIR]` opens the monitor; `report`, `check` and friends print.

The top of the layers: nothing imports this package. Each command opens its source through
kpi_tui.session and hands the snapshot to a printer, the screen or the watcher.
"""

from __future__ import annotations

import importlib
import os
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


# commands that print and end: run as the program, they leave without the interpreter's teardown
PRINTERS = ("report", "check", "customers", "cohorts")


def main(argv: list[str] | None = None) -> int:
    """Run a command; `argv` None: the program's own (then a printing command exits here)."""
    code = _main(argv)
    if argv is None and _ends(sys.argv[1:]):
        leave(code)
    _saved()
    return code


def _saved() -> None:
    """Wait for the ledger a command may be saving for the next run (kpi_tui.ledger_cache
    saves it beside the figures)."""
    saving = sys.modules.get("kpi_tui.ledger_cache")
    if saving is not None:
        saving.wait_saved()
    spill = sys.modules.get("kpi_tui.spill")
    if spill is not None:  # the parts of a run without the cache
        spill.cleanup()


def _ends(argv: list[str]) -> bool:
    """A printing command, or `watch --once` (cron's): a run that ends by itself."""
    cmd = next((a for a in argv if not a.startswith("-")), None)
    return cmd in PRINTERS or (cmd == "watch" and "--once" in argv)


def leave(code: int) -> None:
    """Flush and exit at once (os._exit), without the interpreter's finalisation (issue 10).
    pyarrow's threaded CSV reader can drop its last reference on a pool thread just after
    read_csv returned; that frees our Python invalid-row handler, which takes the GIL; during
    finalisation taking the GIL ends the thread (pthread_exit), whose unwinding through C++
    aborts: "terminate called without an active exception", exit 134, after the output was
    printed, about once in a hundred runs of `check` on a header-only file (seen in a core
    dump). Nothing of a command that ends needs the finalisation, but the ledger it may be
    saving for the next run (kpi_tui.ledger_cache, saved beside the figures)."""
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError):  # a closed pipe: the output is gone anyway
            pass
    _saved()  # (after the output: it is not kept waiting)
    os._exit(code)


def _main(argv: list[str] | None = None) -> int:
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
