"""`kpi-tui serve SOURCE`: the same monitor as a web page (textual-serve), for a TV whose only
input is a browser.

Each browser tab gets its own monitor process, `kpi-tui monitor --read-only SOURCE`, built with
shlex (nothing from SOURCE reaches a shell unquoted). On 127.0.0.1 (the default) a token is
optional and only loopback host names are served (no DNS rebinding); on any other address a
token is required: given (--token or KPI_TUI_SERVE_TOKEN) or generated and printed once. The
URL carries it (`?token=`), a cookie keeps it for the page's websocket; anything else gets 403.
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from kpi_tui.settings import ConfigError

TOKEN_ENV = "KPI_TUI_SERVE_TOKEN"
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
# monitor options passed on to each tab's process as given (flag: value, or True for a switch)
PASSED = ("--period", "--config", "--as-of", "--timezone", "--currency", "--rates", "--margin",
          "--date-order", "--no-cache", "--table", "--sql", "--locale", "--marker", "--poll")


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def monitor_command(args) -> str:
    """The shell command textual-serve runs for each tab (every word quoted)."""
    argv = [sys.executable, "-m", "kpi_tui", "monitor"]
    if not args.allow_changes:
        argv.append("--read-only")
    for flag in PASSED:
        value = getattr(args, flag[2:].replace("-", "_"), None)
        if value is True:
            argv.append(flag)
        elif value not in (None, False):
            argv += [flag, value.isoformat() if hasattr(value, "isoformat") else str(value)]
    argv += ["--", str(args.dir)]  # `--`: a SOURCE starting with '-' is not an option
    return shlex.join(argv)


def pick_token(args) -> tuple[str | None, bool]:
    """(token, generated): required off loopback; a generated one is printed once."""
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(args.host):
        return secrets.token_urlsafe(18), True
    return token, False


def page_url(host: str, port: int, token: str | None) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/" + (f"?token={token}" if token else "")


def cmd_serve(args) -> int:
    check_source(args)
    try:
        from kpi_tui.cli.web import MonitorServer
    except ImportError as e:
        raise ConfigError(f"serve needs textual-serve: pip install 'kpi-tui[serve]' ({e})")
    token, generated = pick_token(args)
    url = page_url(args.host, args.port, token)
    mode = "read-only" if not args.allow_changes else "settings may be changed"
    server = MonitorServer(monitor_command(args), host=args.host, port=args.port, token=token,
                           loopback_only=token is None,
                           banner=f"kpi-tui serve: the monitor on {url} ({mode}); "
                           "Ctrl+C to stop" + (" (a new token: keep the URL)" if generated
                                               else ""))
    try:
        server.serve()  # no access log: request lines carry the token
    except OSError as e:  # the port is taken, the address is not this machine's...
        why = os.strerror(e.errno) if e.errno else str(e)
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {why}") from None
    return 0


def check_source(args) -> None:
    """What each tab would stop on, said once here: the settings, a missing folder, a database
    that cannot be reached (or lacks the table). A database going away later is each tab's
    banner (the served monitor waits for it: cli.watch)."""
    from kpi_tui.cli.parser import settings

    resolved = copy.copy(args)  # the tabs resolve [source] themselves (no URL in `ps`)
    s = settings(resolved)
    if isinstance(resolved.dir, str):
        from kpi_tui.cli.report import db_options
        from kpi_tui.session import open_source

        source = open_source(resolved.dir, s, **db_options(resolved))  # SourceError: one line
        try:
            source.conn.backend.disconnect()
        except Exception:  # noqa: BLE001 - the tabs open their own
            pass
    elif not Path(resolved.dir).is_dir():
        raise ConfigError(f"{resolved.dir}: no such folder (give the folder holding your sales "
                          "exports, or a database URL)")


def check_token(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def same_origin(origin: str | None, host: str) -> bool:
    """A websocket opened by a page of this server (another site's page is refused)."""
    return origin is None or urlsplit(origin).netloc.lower() == host.lower()
