"""`kpi-tui watch DIR --headless`: the watcher and the alert rules without a screen.

Each alert that starts firing is printed as one JSON line on stdout (nothing else goes to
stdout); `--on-alert CMD` also runs CMD (split like a shell would, never run by a shell) with
that JSON on stdin. Watcher problems and command failures go to stderr. The alert history is
kept in the user state folder, so a restart (or `--once` from cron) does not repeat alerts that
are still firing.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from kpi_tui import safe
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.session import Snapshot, findings, headless_history_path

REEVALUATE = 60.0  # seconds: stale-data alerts fire without new data
NO_FIGURES = ("watcher error", "figures could not be computed", "cannot read",
              "source unreachable", "query cancelled")  # monitor errors


def alert_json(alert, root: Path, granularity: str = "") -> str:
    """One JSON line; `granularity`: the one evaluated (for alerts that hold for all)."""
    f = alert.finding
    return safe.json_text(json.dumps({  # C1, bidi and undecodable bytes escaped: same values
        "rule": f.rule, "key": f.key, "severity": f.severity, "message": f.message,
        "detail": f.detail, "period": f.period, "granularity": alert.scope or granularity,
        **({"source": root} if isinstance(root, str) else {"folder": str(root)}),
        "started_at": alert.started_at.isoformat(timespec="seconds"),
    }, ensure_ascii=False))  # fmt: skip


def run_command(cmd: str, payload: str, timeout: float, err: TextIO) -> bool:
    """Run `cmd` with `payload` on stdin; failures are reported on `err`, never raised."""
    try:
        argv = shlex.split(cmd)
    except ValueError as e:
        print(f"kpi-tui: --on-alert: cannot split the command: {e}", file=err)
        return False
    if not argv:
        return False
    try:  # its own process group (session): a timeout kills the command and its children
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, errors="replace",
                             start_new_session=True)
    except OSError as e:
        print(f"kpi-tui: --on-alert command could not run: {safe.text(argv[0])}: "
              f"{e.strerror or e}", file=err)
        return False
    try:
        stdout, stderr = p.communicate(payload + "\n", timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p)
        print(f"kpi-tui: --on-alert command timed out after {timeout:g} s: {safe.text(cmd)}",
              file=err)
        return False
    for line in (stdout + stderr).splitlines()[-20:]:
        print(f"kpi-tui: --on-alert: {safe.text(line)}", file=err)
    if p.returncode != 0:
        print(f"kpi-tui: --on-alert command exited with status {p.returncode}: {cmd}", file=err)
        return False
    return True


def _kill_group(p: subprocess.Popen) -> None:
    """SIGKILL the command's whole process group, reap it, close its pipes (never read them:
    a child that left the group may hold them open)."""
    import os
    import signal

    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    p.wait()
    for f in (p.stdin, p.stdout, p.stderr):
        try:
            f.close()
        except OSError:
            pass


def run_headless(root: Path, settings, *, poll: float | None = None, on_alert: str | None = None,
                 alert_timeout: float = 30.0, once: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None, stop: threading.Event | None = None,
                 history: AlertHistory | None = None, clock=dt.datetime.now,
                 monitor_options: dict | None = None, source=None) -> int:
    """Watch `root` until `stop` is set (or after the first figures with `once`); with
    `source` (an opened DatabaseSource), poll that database instead (watch.database)."""
    from kpi_tui.watch.monitor import FolderMonitor

    out = out or sys.stdout
    err = err or sys.stderr
    stop = stop or threading.Event()
    if source is not None:  # alerts and history name the URL without its password
        from kpi_tui.watch.database import DatabaseMonitor, history_path

        root = source.label
        if history is None:
            history = AlertHistory.load(history_path(root, "headless"))
    else:
        root = Path(root).absolute()
    if history is None:
        history = AlertHistory.load(headless_history_path(root))
    snaps: queue.Queue[Snapshot] = queue.Queue()

    failed: list[str] = []  # --once: an error that leaves no figures ends the run (exit 1)
    ran: list[bool] = []  # --on-alert results
    unsaved: list[bool] = []  # the history could not be saved (said once)

    def on_error(msg: str) -> None:
        print(f"kpi-tui: {safe.text(msg)}", file=err, flush=True)
        if msg.startswith(NO_FIGURES):
            failed.append(msg)

    if source is not None:
        mon = DatabaseMonitor(source.url, settings, snaps.put, None, on_error, poll,
                              source=source, clock=clock, **(monitor_options or {}))
    else:
        mon = FolderMonitor(root, settings, snaps.put, None, on_error, poll,
                            **(monitor_options or {}))
    mon.start()
    latest: Snapshot | None = None
    last_eval = 0.0
    try:
        while not stop.is_set():
            try:
                item = snaps.get(timeout=0.2)
            except queue.Empty:
                item = None
                if once and latest is None and failed:
                    print("kpi-tui: --once: no figures could be computed", file=err, flush=True)
                    return 1
            if item is not None:
                latest = item
                while not snaps.empty():  # only the newest figures matter
                    latest = snaps.get_nowait()
            elif latest is None or time.monotonic() - last_eval < REEVALUATE:
                continue
            last_eval = time.monotonic()
            now = clock()
            scope = settings.granularity
            before = {a.key for a in history.active(scope)}
            found = findings(latest, scope, now) + getattr(mon, "findings", list)()
            started = history.update(found, now, scope)
            for alert in started:
                line = alert_json(alert, root, scope)
                print(line, file=out, flush=True)
                if on_alert:
                    ran.append(run_command(on_alert, line, alert_timeout, err))
            if once or {a.key for a in history.active(scope)} != before:
                # also when alerts ended: a restart must not miss their return
                if not history.save() and not unsaved:
                    unsaved.append(True)  # said once; the history stays in memory for this run
                    print(f"kpi-tui: cannot save the alert history to "
                          f"{safe.text(history.path or 'the state folder')}: "
                          "alerts may be sent again after a restart", file=err, flush=True)
            if once:
                break
    finally:
        mon.stop()
    return 1 if once and ran and not any(ran) else 0  # every --on-alert command failed
