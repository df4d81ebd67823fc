"""End to end in tmux: the monitor on screen, a file dropped in, the figures change."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

HEADER = "order_id,customer_id,created_at,amount,currency,status\n"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


def test_drop_a_file_and_see_the_figures_change(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "a.csv").write_text(HEADER + "1,ann,2026-03-02 10:00:00,10.00,EUR,paid\n"
                             "2,bob,2026-04-02 10:00:00,20.00,EUR,paid\n")
    sock = f"kpi-test-{os.getpid()}"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in
                   ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME") if k in os.environ)
    cmd = f"env -u COLUMNS -u LINES {env} TERM=xterm-256color {shlex.quote(sys.executable)} -m kpi_tui {d}"
    tmux = ["tmux", "-L", sock]
    subprocess.run(tmux + ["new-session", "-d", "-s", "t", "-x", "120", "-y", "40", cmd],
                   check=True)

    def screen() -> str:
        return subprocess.run(tmux + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                              text=True).stdout

    def wait_for(text: str, timeout: float = 20.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = screen()
            if text in s:
                return s
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen:\n{screen()}")

    try:
        s = wait_for("1 file ·")
        assert "€20.00" in s and "€55.00" not in s
        (d / "b.csv").write_text(HEADER + "3,cy,2026-04-03 10:00:00,35.00,EUR,paid\n")
        t0 = time.monotonic()
        wait_for("€55.00")  # April's revenue: 20 + 35
        assert time.monotonic() - t0 < 5
        assert "2 files ·" in screen()
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
