"""`kpi-tui watch --headless` (JSON lines, --on-alert) and the demo's export maker."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sys
import threading
import time

from kpi_tui.alerts.history import AlertHistory
from kpi_tui.cli import main
from kpi_tui.settings import Settings
from kpi_tui.watch import demo
from kpi_tui.watch.headless import run_command, run_headless
from kpi_tui.watch.state import FolderState

HEADER = "order_id,customer_id,created_at,amount,currency,status\n"
GOOD = (HEADER + "1,ann,2026-03-02 10:00:00,10.00,EUR,paid\n"
        "2,bob,2026-04-02 10:00:00,20.00,EUR,paid\n")
NOW = dt.datetime(2026, 4, 2, 12, 0)  # same day as the newest row: no stale-data alert
FAST = dict(debounce=0.1, max_delay=0.5, settle=0.3, check=0.1)


class Lines(io.StringIO):
    def lines(self):
        return [json.loads(x) for x in self.getvalue().splitlines()]


def headless(root, **kw):
    out, err, stop = Lines(), io.StringIO(), threading.Event()
    t = threading.Thread(target=run_headless, args=(root, Settings()), daemon=True, kwargs=dict(
        out=out, err=err, stop=stop, history=AlertHistory(), clock=lambda: NOW,
        monitor_options=FAST, **kw))
    t.start()
    return out, err, stop, t


def wait_for(pred, timeout=4.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_headless_prints_each_alert_once_as_json(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "good.csv").write_text(GOOD)
    got = tmp_path / "alerts.jsonl"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys\nopen({str(got)!r}, 'a').write(sys.stdin.read())\n")
    out, err, stop, t = headless(d, on_alert=f"{sys.executable} {script}")
    time.sleep(0.6)
    assert out.getvalue() == ""  # no alert for fresh, complete-free data
    (d / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 40)
    wait_for(lambda: got.exists() and got.read_text().count("\n") == 1)
    (d / "other.csv").write_text(HEADER + "3,cy,2026-04-01 09:00:00,5.00,EUR,paid\n")
    time.sleep(0.6)  # still the same alert: not printed again
    stop.set()
    t.join(3)
    [line] = out.lines()
    assert line["rule"] == "files_skipped"
    assert line["key"] == "files_skipped:broken.csv"
    assert line["message"].startswith("⚠ 1 file skipped: broken.csv (")
    assert line["granularity"] == "month"
    assert line["folder"] == str(d)
    assert line["started_at"] == "2026-04-02T12:00:00"
    assert json.loads(got.read_text()) == line  # the hook got the same JSON on stdin
    assert err.getvalue() == ""


def test_on_alert_failures_go_to_stderr(tmp_path):
    err = io.StringIO()
    assert not run_command(f"{sys.executable} -c 'import sys; sys.exit(3)'", "{}", 5, err)
    assert "exited with status 3" in err.getvalue()
    err = io.StringIO()
    assert not run_command(f"{sys.executable} -c 'import time; time.sleep(5)'", "{}", 0.3, err)
    assert "timed out after 0.3 s" in err.getvalue()
    err = io.StringIO()
    assert not run_command("/nonexistent/hook", "{}", 5, err)
    assert "could not run: /nonexistent/hook" in err.getvalue()
    assert run_command(f"{sys.executable} -c 'print(42)'", "{}", 5, err)
    assert "--on-alert: 42" in err.getvalue()


def test_watch_once_cli_keeps_history(golden_dir, capsys):
    d = golden_dir
    assert main(["watch", str(d), "--headless", "--once"]) == 0
    first = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [a["rule"] for a in first] == ["stale_data"]  # golden data ends in May 2026
    assert main(["watch", str(d), "--headless", "--once"]) == 0
    assert capsys.readouterr().out == ""  # still firing: not repeated


def test_demo_exports_are_new_orders_on_later_days(golden_dir, tmp_path):
    src = golden_dir
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    folder = demo.copy_sample(src)
    try:
        template = demo.template_file(src)
        assert template.name == "orders-2026-05.csv"
        state = FolderState(folder, Settings())
        state.refresh()
        base = state.snapshot()
        ex = demo.Exporter(template, seed=1)
        name, text = ex.next()
        assert name == "orders-2026-05-demo-0001.csv"
        alone = tmp_path / "alone"
        alone.mkdir()
        demo.drop(alone, name, text)
        demo.drop(folder, name, text)
        st_alone = FolderState(alone, Settings())
        st_alone.refresh()
        added = st_alone.snapshot()
        res = state.refresh()
        assert res.received == [folder / name]
        snap = state.snapshot()
        rev = lambda s: round(sum(p["revenue"] for p in s.figures("day")), 2)  # noqa: E731
        assert rev(added) > 0
        assert rev(snap) == round(rev(base) + rev(added), 2)  # new ids: nothing deduplicated
        last = dt.date.fromisoformat(base.figures("day")[-1]["start"])
        assert snap.as_of == last + dt.timedelta(days=1)
        name2, _ = ex.next()
        assert name2 == "orders-2026-05-demo-0002.csv"
        assert not list(folder.glob(".*"))  # temporary files renamed away
    finally:
        shutil.rmtree(folder)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # source untouched


def test_once_prints_an_alert_again_after_it_ended(golden_dir, capsys):
    d = golden_dir

    def rules():
        assert main(["watch", str(d), "--headless", "--once"]) == 0
        return [json.loads(x)["rule"] for x in capsys.readouterr().out.splitlines()]

    (d / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 40)
    assert rules() == ["stale_data", "files_skipped"]
    (d / "broken.csv").unlink()
    assert rules() == []
    (d / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 40)
    assert rules() == []  # back within the quiet period: the same alert, not a new one
    (d / "broken.csv").unlink()
    assert rules() == []
    _age_history(d, minutes=3)  # ...it has not held for longer than the quiet period
    (d / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 40)
    assert rules() == ["files_skipped"]


def _age_history(root, minutes):
    """Move every 'not held since' time of the folder's headless history back."""
    import datetime as dt

    from kpi_tui.session import headless_history_path

    path = headless_history_path(root)
    data = json.loads(path.read_text())
    for a in data["active"]:
        if a.get("gone_at"):
            t = dt.datetime.fromisoformat(a["gone_at"]) - dt.timedelta(minutes=minutes)
            a["gone_at"] = t.isoformat()
    path.write_text(json.dumps(data))


def test_headless_judges_the_at_risk_jump(golden_dir):
    """The value-at-stake banner fires without a screen too (golden, by quarter: €50 -> €210)."""
    import datetime as dt

    from kpi_tui.session import FolderSource, findings
    from kpi_tui.settings import Settings

    s = Settings(granularity="quarter", cache=False)
    snap = FolderSource(golden_dir, s).snapshot()
    found = {f.rule: f for f in findings(snap, "quarter", dt.datetime(2026, 6, 1))}
    assert "at_risk_jump" in found
    assert "(€210.00 per quarter, was €50.00)" in found["at_risk_jump"].message
