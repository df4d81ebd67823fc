"""End to end: the real `kpi-tui` program in a detached tmux session, read with capture-pane."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from test_ui_app import golden_copy

TMUX = shutil.which("tmux")
EXE = Path(sys.executable).with_name("kpi-tui")

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install -y tmux)"),
    pytest.mark.skipif(not EXE.exists(), reason=f"{EXE} not installed (pip install -e .)"),
]


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], check=True, capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 40.0) -> str:
    end = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < end:
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{screen}")


def test_real_app_in_tmux(tmp_path):
    folder = golden_copy(tmp_path / "data")
    session = f"kpi-e2e-{uuid.uuid4().hex[:8]}"
    env = f"XDG_CACHE_HOME={tmp_path}/cache XDG_STATE_HOME={tmp_path}/state TERM=xterm-256color"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
         f"env -u COLUMNS -u LINES {env} {EXE} {folder}; sleep 5")  # not pytest's 80x24
    try:
        screen = wait_for(session, "as of 2026-05-11")
        assert "April 2026 · complete" in screen
        assert "as of 2026-05-11" in screen
        tmux("send-keys", "-t", session, "q")
        screen = wait_for(session, "Q1 2026 · complete")
        assert "Average customer value €144.00" in screen
        assert "€720.00" in screen  # revenue
        assert " 5\n" in screen or " 5 " in screen  # active customers
        tmux("send-keys", "-t", session, "C-c")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if "Average customer value" not in tmux("capture-pane", "-p", "-t", session):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("ctrl+c did not quit")
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
