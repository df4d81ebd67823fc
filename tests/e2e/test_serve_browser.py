"""`kpi-tui serve` in a real headless Chromium (Debian's, driven by Playwright): the page shows
the sample's figure, a key switches to quarters, a wrong token gets 403, a new export appears.

The screen is read from the page's own terminal (xterm.js's buffer): an init script keeps a
reference to textual-serve's terminal object when its constructor runs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kpi_tui.watch.demo import Exporter, drop, template_file

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SAMPLE = Path(__file__).resolve().parents[2] / "data"
TOKEN = "t0ken-for-the-test"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HOOK = """Object.defineProperty(Object.prototype, 'websocket_url', {configurable: true,
  set(v) { window.__textual = this;
    Object.defineProperty(this, 'websocket_url',
                          {value: v, writable: true, configurable: true, enumerable: true}); }});"""
SCREEN = """() => { const t = window.__textual && window.__textual.terminal;
  if (!t) return ''; const b = t.buffer.active, out = [];
  for (let y = 0; y < t.rows; y++) {
    const l = b.getLine(b.viewportY + y); out.push(l ? l.translateToString(true) : ''); }
  return out.join('\\n'); }"""

playwright = pytest.importorskip("playwright.sync_api", reason="pip install 'kpi-tui[test]'")
pytest.importorskip("textual_serve", reason="pip install 'kpi-tui[serve]'")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(folder, base URL) of `kpi-tui serve` on a copy of the sample, with a token."""
    base = tmp_path_factory.mktemp("serve")
    folder = base / "sample"
    shutil.copytree(SAMPLE, folder)
    port = free_port()
    env = dict(os.environ, XDG_CACHE_HOME=str(base / "cache"), XDG_STATE_HOME=str(base / "st"),
               XDG_CONFIG_HOME=str(base / "cfg"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpi_tui", "serve", str(folder), "--port", str(port),
         "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith(f"kpi-tui serve: the monitor on http://127.0.0.1:{port}/?token="), line
    yield folder, f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def wait_for(page, *texts: str, timeout: float = 60.0) -> str:
    """The page's screen once it holds every one of texts."""
    end = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < end:
        screen = page.evaluate(SCREEN)
        if all(t in screen for t in texts):
            return screen
        time.sleep(0.25)
    raise AssertionError(f"{texts} not on the page after {timeout:g} s:\n{screen}")


def test_page_figure_quarters_and_a_new_export(served, browser):
    folder, url = served
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.add_init_script(HOOK)
    assert page.goto(f"{url}?token={TOKEN}").status == 200
    # (the status line is drawn in a refresh of its own: once, on a loaded CI machine, the
    # page was read between the two, its status line still the loading one)
    screen = wait_for(page, "Average customer value €66.06",
                      "as of 2026-11-25 · 33 files · 6,595 rows")
    assert "October 2026 · complete" in screen
    assert "as of 2026-11-25 · 33 files · 6,595 rows" in screen

    page.focus(".xterm-helper-textarea")  # the terminal takes the keys, as after a click
    page.keyboard.press("q")  # q: quarters (as in the terminal)
    screen = wait_for(page, "Average customer value €148.39")
    assert "Q3 2026 · complete" in screen

    name, text = Exporter(template_file(folder)).next()
    drop(folder, name, text)
    screen = wait_for(page, "34 files", f"last file {name}")
    assert "as of 2026-11-25" not in screen  # the export's day is the new as-of date
    page.close()


def test_wrong_or_missing_token_gets_403(served, browser):
    _, url = served
    page = browser.new_page()
    for query in ("?token=wrong", ""):
        response = page.goto(f"{url}{query}")
        assert response.status == 403
        assert "wrong or missing token" in page.inner_text("body")
    page.close()


def _status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_websocket_needs_the_token_and_this_origin(served):
    _, url = served
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    ws = f"{url}ws"
    assert _status(ws, upgrade) == 403  # no token, no cookie
    assert _status(ws, upgrade | {"Cookie": "kpi_tui_token_1=" + TOKEN}) == 403  # another port's
    other_site = upgrade | {"Origin": "http://evil.example", "Cookie": _cookie(url)}
    assert _status(ws, other_site) == 403
    assert _status(f"{url}static/js/textual.js", {}) == 200  # no data there


def _cookie(url: str) -> str:
    port = url.rsplit(":", 1)[1].strip("/")
    return f"kpi_tui_token_{port}={TOKEN}"
