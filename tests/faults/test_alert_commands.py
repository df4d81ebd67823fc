"""Issue 13, items 10 and 11: --on-alert in its own process group, killed whole on timeout;
--once exits 1 when every alert command failed; an unsavable history is said once."""

import datetime as dt
import io
import os
import time

from faultkit import folder

from kpi_tui.alerts.history import AlertHistory
from kpi_tui.settings import Settings
from kpi_tui.watch.headless import run_command, run_headless


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie awaiting its parent is dead too
        return f.read().split(") ")[1][0] != "Z"


def test_timeout_kills_the_whole_group(tmp_path):
    pids = tmp_path / "pids"
    err = io.StringIO()
    cmd = f"sh -c 'sleep 1000 & sleep 1000 & echo $! > {pids}; wait'"
    start = time.monotonic()
    assert run_command(cmd, "{}", 1.0, err) is False
    assert time.monotonic() - start < 10
    assert err.getvalue() == f"kpi-tui: --on-alert command timed out after 1 s: {cmd}\n"
    pid = int(pids.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)  # the grandchild went with the group: no orphan left


def test_once_exits_1_when_every_alert_command_failed(tmp_path):
    d = folder(tmp_path, {})  # newest row 2026-02-03: stale data fires at once
    err = io.StringIO()
    code = run_headless(d, Settings(), once=True, on_alert="false", out=io.StringIO(), err=err,
                        history=AlertHistory(), clock=lambda: dt.datetime(2026, 6, 1))
    assert code == 1
    assert "kpi-tui: --on-alert command exited with status 1: false\n" in err.getvalue()
    code = run_headless(d, Settings(), once=True, on_alert="true", out=io.StringIO(),
                        err=io.StringIO(), history=AlertHistory(),
                        clock=lambda: dt.datetime(2026, 6, 1))
    assert code == 0


def test_unsavable_history_is_said_once(tmp_path):
    d = folder(tmp_path, {})
    ro = tmp_path / "ro"
    ro.mkdir()
    blocker = ro / "file"
    blocker.write_text("")
    hist = AlertHistory(path=blocker / "history.json")  # a file where a folder must be
    err = io.StringIO()
    code = run_headless(d, Settings(), once=True, out=io.StringIO(), err=err, history=hist,
                        clock=lambda: dt.datetime(2026, 6, 1))
    assert code == 0
    assert err.getvalue().count("kpi-tui: cannot save the alert history to ") == 1
    assert hist.active("month")  # still known in memory for the run
