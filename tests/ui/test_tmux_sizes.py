"""The real `kpi-tui` in tmux at 80x24 and 240x70, and in a 16-colour terminal."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

import test_ui_e2e_tmux as e2e
from test_ui_app import golden_copy
from test_ui_e2e_tmux import EXE, TMUX, wait_for

SOCKET = f"kpi-sizes-{uuid.uuid4().hex[:8]}"  # a tmux server of its own (others come and go)


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, "-L", SOCKET, *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(autouse=True)
def own_server(monkeypatch):
    global SOCKET
    SOCKET = f"kpi-sizes-{uuid.uuid4().hex[:8]}"  # one per test: no server half gone
    monkeypatch.setattr(e2e, "tmux", tmux)  # wait_for reads the screen through it
    yield
    subprocess.run([TMUX, "-L", SOCKET, "kill-server"], capture_output=True)

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(not EXE.exists(), reason=f"{EXE} not installed (pip install -e .)"),
]


def start(tmp_path, w: int, h: int, term: str = "xterm-256color", extra: str = "") -> str:
    folder = golden_copy(tmp_path / "data")
    session = f"kpi-size-{uuid.uuid4().hex[:8]}"
    env = (f"XDG_CACHE_HOME={tmp_path}/cache XDG_STATE_HOME={tmp_path}/state TERM={term} "
           f"LANG=C.UTF-8 COLORTERM= {extra}")
    tmux("new-session", "-d", "-s", session, "-x", str(w), "-y", str(h),
         f"env -u COLUMNS -u LINES {env} {EXE} {folder}; sleep 5")
    return session


def stop(session: str) -> None:
    tmux("send-keys", "-t", session, "C-q")
    time.sleep(0.5)
    subprocess.run([TMUX, "-L", SOCKET, "kill-session", "-t", session], capture_output=True)


def test_80x24_every_panel_reachable(tmp_path):
    s = start(tmp_path, 80, 24)
    try:
        wait_for(s, "as of 2026-05-11")
        tmux("send-keys", "-t", s, "Left")  # March: all four effects defined
        screen = wait_for(s, "March 2026 · average customer value")
        lines = screen.splitlines()
        assert len(lines) == 24
        for text in ("Why it moved", "Customers who left",
                     "Existing customers' spending", "New and returning customers",
                     "Refunds without purchases",
                     "? help  ctrl+q quit  1-4 who  k risk  c cohorts  a alerts  r reload  p pause"):
            assert text in screen, text
        assert lines[-1].startswith(" as of 2026-05-11 · 2 files · ")
        assert "…" not in lines[-1]  # the status line: whole parts only
        tmux("send-keys", "-t", s, "b")  # the lower panels
        screen = wait_for(s, "Revenue bridge")
        assert "Recent periods" in screen or "Revenue change" in screen
        assert lines[-1] == screen.splitlines()[-1]  # the status line stays
    finally:
        stop(s)


def test_240x70_uses_the_room(tmp_path):
    s = start(tmp_path, 240, 70)
    try:
        wait_for(s, "as of 2026-05-11")
        tmux("send-keys", "-t", s, "Left")
        wait_for(s, "March 2026 · complete")
        end = time.monotonic() + 20  # the panels repaint one after the other: wait for all
        while True:
            screen = tmux("capture-pane", "-p", "-t", s)
            lines = screen.splitlines()
            big = [ln for ln in lines if "████" in ln and "│" not in ln]  # not the effect bars
            chart = [ln for ln in lines if "┤" in ln or "│" in ln and "┌" not in ln]
            done = (len(big) == 10 and len(chart) >= 20
                    and "Recent periods" in screen and "Revenue bridge" in screen)
            if done or time.monotonic() > end:
                break
            time.sleep(0.2)
        assert len(big) == 10, screen  # the big number, twice the 5-row font
        assert len(chart) >= 20, screen
        assert max(ln.rfind("┘") for ln in lines) > 130  # the chart is wide
        assert "Recent periods" in screen and "Revenue bridge" in screen
    finally:
        stop(s)


def test_16_colours_keep_direction_and_banners(tmp_path):
    s = start(tmp_path, 100, 30, term="xterm")
    try:
        wait_for(s, "as of 2026-05-11")
        tmux("send-keys", "-t", s, "Left")  # March: up
        wait_for(s, "▲ +€15.00 (+18.8%) vs February 2026")
        coloured = tmux("capture-pane", "-e", "-p", "-t", s).splitlines()
        up = [ln for ln in coloured if "▲ +€15.00" in ln]
        assert up and ("\x1b[32m▲" in up[0] or "\x1b[92m▲" in up[0]), up  # green, not white
        banner = coloured[0]
        assert "\x1b[103m" in banner or "\x1b[43m" in banner, banner  # yellow, not grey
    finally:
        stop(s)
