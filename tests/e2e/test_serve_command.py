"""`kpi-tui serve` without a browser: the command each tab runs (quoted for the shell), the
token rules, host names without a token, and the read-only monitor it runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kpi_tui.cli import main
from kpi_tui.cli.parser import parser
from kpi_tui.cli.serve import is_loopback, monitor_command, page_url, pick_token

pytest.importorskip("textual_serve", reason="pip install 'kpi-tui[serve]'")
EVIL = "x$(touch PWNED1)`touch PWNED2`'; touch PWNED3 #\"\n"


def _through_shell(cmd: str, cwd: Path) -> str:
    """stderr of cmd run as textual-serve runs it: through the shell."""
    done = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    return done.stderr


def test_the_command_quotes_source_and_options(tmp_path):
    args = parser().parse_args(["serve", str(tmp_path / EVIL), "--as-of", "2026-01-31",
                                "--no-cache", "--locale", "fr; touch PWNED4"])
    cmd = monitor_command(args)
    assert cmd.startswith(f"{sys.executable} -m kpi_tui monitor --read-only --as-of 2026-01-31 "
                          "--no-cache --locale 'fr; touch PWNED4' -- ")
    # each word arrives whole, nothing else runs
    assert _through_shell(cmd, tmp_path) == ("kpi-tui: --locale is not a known locale (e.g. en, "
                                             "fr, de_CH) (got 'fr; touch PWNED4')\n")
    cmd = monitor_command(parser().parse_args(["serve", str(tmp_path / EVIL)]))
    assert _through_shell(cmd, tmp_path) == (f"kpi-tui: {tmp_path / EVIL}: no such folder (give "
                                             "the folder holding your sales exports)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_source_like_an_option_stays_the_source():
    args = parser().parse_args(["serve", "--", "--help"])
    assert monitor_command(args).endswith(" -- --help")
    assert parser().parse_args(["monitor", "--read-only", "--", "--help"]).dir == Path("--help")


def test_allow_changes_drops_read_only():
    args = parser().parse_args(["serve", "data", "--allow-changes"])
    assert monitor_command(args) == f"{sys.executable} -m kpi_tui monitor -- data"


def test_token_required_off_loopback(monkeypatch):
    monkeypatch.delenv("KPI_TUI_SERVE_TOKEN", raising=False)
    local = parser().parse_args(["serve", "data"])
    assert pick_token(local) == (None, False)
    wide = parser().parse_args(["serve", "data", "--host", "0.0.0.0"])
    token, generated = pick_token(wide)
    assert generated and len(token) == 24 and token != pick_token(wide)[0]
    assert pick_token(parser().parse_args(["serve", "data", "--host", "0.0.0.0",
                                           "--token", "abc"])) == ("abc", False)
    monkeypatch.setenv("KPI_TUI_SERVE_TOKEN", "from-env")
    assert pick_token(wide) == ("from-env", False)
    assert page_url("127.0.0.1", 8000, "a b") == "http://127.0.0.1:8000/?token=a b"
    assert page_url("::1", 9, None) == "http://[::1]:9/"


def test_loopback_names():
    assert [is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "localhost", "[::1]", "::1")] \
        == [True] * 5
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "example.com", "10.0.0.1", "")] \
        == [False] * 5


def test_no_such_folder_is_one_line(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == (f"kpi-tui: {tmp_path / 'nope'}: no such folder (give the "
                                       "folder holding your sales exports, or a database URL)\n")


def _get(url: str, host: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host})) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_without_token_only_loopback_names_are_served(tmp_path):
    """DNS rebinding: another site's name pointed at 127.0.0.1 gets 403."""
    proc, port, banner = _serve(tmp_path)
    try:
        assert banner == (f"kpi-tui serve: the monitor on http://127.0.0.1:{port}/ (read-only); "
                          "Ctrl+C to stop\n")
        url = f"http://127.0.0.1:{port}/"
        status, page = _get(url, f"127.0.0.1:{port}")
        assert status == 200 and f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert _get(url, f"localhost:{port}")[0] == 200
        assert _get(url, f"rebound.example:{port}") == (
            403, "403: kpi-tui serve answers to 127.0.0.1 only\n")
    finally:
        proc.terminate()
        proc.wait(10)


def _serve(tmp_path: Path, *options: str) -> tuple[subprocess.Popen, int, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "KPI_TUI_SERVE_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "kpi_tui", "serve", str(tmp_path),
                             "--port", str(port), *options], stdout=subprocess.PIPE, text=True,
                            env=env)
    return proc, port, proc.stdout.readline()


def test_any_address_gets_a_generated_token_printed_once(tmp_path):
    proc, port, banner = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        head = f"kpi-tui serve: the monitor on http://{socket.gethostname()}:{port}/?token="
        assert banner.startswith(head), banner
        token, tail = banner[len(head):].split(" ", 1)
        assert len(token) == 24 and tail == ("(read-only); Ctrl+C to stop (a new token: keep "
                                             "the URL)\n")
        url = f"http://127.0.0.1:{port}/"
        assert _get(url, f"127.0.0.1:{port}")[0] == 403
        assert _get(f"{url}?token={token[:-1]}", f"127.0.0.1:{port}")[0] == 403
        status, page = _get(f"{url}?token={token}", f"tv.local:{port}")  # any name, with it
        assert status == 200 and f'"ws://tv.local:{port}/ws"' in page  # as the TV reached us
    finally:
        proc.terminate()
        proc.wait(10)
    assert token not in proc.stdout.read()  # printed once


async def test_the_number_of_open_monitors_is_capped():
    from aiohttp import web

    from kpi_tui.cli.web import MonitorServer

    server = MonitorServer("true", host="127.0.0.1", port=1, token=None, loopback_only=True,
                           banner="", max_tabs=2)
    server.tabs = 2  # each tab is a monitor process
    with pytest.raises(web.HTTPServiceUnavailable) as refused:
        await server.handle_websocket(None)
    assert refused.value.text == "503: kpi-tui serve: 2 monitors open already\n"
    assert server.tabs == 2


def test_a_taken_port_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "kpi_tui", "serve", str(tmp_path), "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"kpi-tui: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_settings_are_checked_before_serving(tmp_path):
    (tmp_path / "kpi-tui.toml").write_text('margin = "lots"\n')
    done = subprocess.run([sys.executable, "-m", "kpi_tui", "serve", str(tmp_path), "--port",
                           "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("kpi-tui: ") and "margin" in done.stderr
    assert done.stderr.count("\n") == 1


def test_an_unreachable_database_is_one_line_before_serving():
    """Checked once before serving (else each tab would show only "Session ended"): one line,
    exit 2, the password left out."""
    done = subprocess.run([sys.executable, "-m", "kpi_tui", "serve",
                           "postgresql://bob:s3cr3t@127.0.0.1:1/test", "--table", "orders",
                           "--port", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("kpi-tui: postgresql://bob@127.0.0.1:1/test: cannot connect: ")
    assert done.stderr.count("\n") == 1 and "s3cr3t" not in done.stderr
