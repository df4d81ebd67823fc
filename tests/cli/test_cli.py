"""`kpi-tui report` and `check` end to end, as an analyst runs them."""

import json
import math
import subprocess
import sys

import pytest

from kpi_tui.cli import main
from conftest import GOLDEN


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("g", ["month", "quarter"])
def test_report_json_equals_golden(golden_dir, capsys, g):
    code, out, err = run(capsys, "report", golden_dir, "--period", g, "--format", "json")
    assert code == 0 and err == ""
    got, want = json.loads(out), json.load(open(GOLDEN / f"expected-{g}.json"))
    assert [k for k in got] == ["granularity", "currency", "unattributed_revenue", "periods"]
    assert {k: got[k] for k in ("granularity", "currency", "unattributed_revenue")} == {
        k: want[k] for k in ("granularity", "currency", "unattributed_revenue")}
    assert len(got["periods"]) == len(want["periods"])
    for g_row, w_row in zip(got["periods"], want["periods"]):
        assert list(g_row) == list(w_row)
        for k, v in w_row.items():
            if isinstance(v, float) and not isinstance(v, bool):
                assert math.isclose(g_row[k], v, rel_tol=1e-12), (w_row["start"], k)
            else:
                assert g_row[k] == v, (w_row["start"], k)


def test_report_week_and_trailing(golden_dir, capsys):
    code, out, _ = run(capsys, "report", golden_dir, "--period", "week", "--format", "json",
                       "--trailing")
    rep = json.loads(out)
    assert rep["periods"][0]["start"] == "2026-01-05" and len(rep["periods"]) == 19
    assert rep["trailing"]["current"] == {"start": "2026-05-05", "end": "2026-05-11"}
    assert rep["trailing"]["vs_previous"]["acv"] == 90.0


def test_report_as_of_marks_completeness(golden_dir, capsys):
    code, out, _ = run(capsys, "report", golden_dir, "--format", "json", "--as-of", "2026-05-31")
    assert [(p["start"], p["complete"]) for p in json.loads(out)["periods"]] == [
        ("2026-01-01", True), ("2026-02-01", True), ("2026-03-01", True), ("2026-04-01", True),
        ("2026-05-01", True)]
    code, out, _ = run(capsys, "report", golden_dir, "--format", "json", "--as-of", "2026-05-30")
    assert [p["complete"] for p in json.loads(out)["periods"]] == [True, True, True, True, False]


def test_bad_file_is_named_and_rest_counts(golden_dir, capsys):
    (golden_dir / "junk.csv").write_bytes(bytes(range(256)) * 20)
    code, out, err = run(capsys, "report", golden_dir, "--format", "json")
    assert code == 0
    assert "junk.csv" in err and "skipped" in err
    assert json.loads(out)["periods"][0]["revenue"] == 180.0


def test_no_usable_file_exits_2(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    code, out, err = run(capsys, "report", tmp_path)
    assert code == 2 and "empty.csv" in err


def test_missing_folder(tmp_path, capsys):
    code, _, err = run(capsys, "report", tmp_path / "nope")
    assert code == 2 and "no such folder" in err


def test_csv_output_is_spreadsheet_safe(golden_dir, capsys):
    code, out, _ = run(capsys, "report", golden_dir, "--format", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("start,revenue,active_customers,acv,")
    assert lines[2].startswith("2026-02-01,160.0,2,80.0,1,2,1,0,120.0,100.0,80.0,40.0,0.0,20.0,0.0,")
    from kpi_tui.metrics.report import safe_cell
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("-3.5") == "-3.5"
    assert safe_cell("+33 6 12") == "'+33 6 12" and safe_cell("@SUM(A1)") == "'@SUM(A1)"


def test_check_lists_layout_and_drops(golden_dir, capsys):
    code, out, _ = run(capsys, "check", golden_dir)
    assert code == 0
    assert "1 status failed" in out and "1 id counted from a newer file" in out
    assert "2 of 2 files used; 14 transactions; reporting currency: EUR" in out


def test_table_is_default_and_nothing_written_to_data(golden_dir, capsys):
    before = sorted((p.name, p.stat().st_mtime_ns) for p in golden_dir.iterdir())
    code, out, _ = run(capsys, "report", golden_dir)
    assert "2026-03-01" in out and "95.00" in out and "* in progress" in out
    assert sorted((p.name, p.stat().st_mtime_ns) for p in golden_dir.iterdir()) == before


def test_cache_gives_same_figures_and_lives_outside_data(golden_dir, capsys, tmp_path):
    first = run(capsys, "report", golden_dir, "--format", "json")[1]
    second = run(capsys, "report", golden_dir, "--format", "json")[1]
    nocache = run(capsys, "report", golden_dir, "--format", "json", "--no-cache")[1]
    assert first == second == nocache
    assert sorted(p.name for p in golden_dir.iterdir()) == sorted(
        ["orders-2026-02.csv", "orders-2026-05.csv"])


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "kpi_tui", "--version"], capture_output=True,
                         text=True, check=True).stdout
    from kpi_tui import __version__

    assert out == f"kpi-tui {__version__}\n" and __version__ == "0.1.0"


def test_order_cancelled_in_newer_export_does_not_count(tmp_path, capsys):
    """METRICS.md: an id in several files counts only from the newest file, all of its rows
    there: paid in the old export, cancelled in the new one -> not counted."""
    import os
    old, new = tmp_path / "a.csv", tmp_path / "b.csv"
    old.write_text("order_id,customer_id,created_at,amount,status\n"
                   "1,ann,2026-01-05,100.00,paid\n2,bob,2026-01-06,40.00,paid\n")
    new.write_text("order_id,customer_id,created_at,amount,status\n"
                   "1,ann,2026-01-05,100.00,cancelled\n3,cy,2026-01-07,10.00,paid\n")
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    for extra in ([], ["--no-cache"], []):  # cold, uncached, warm from the cache
        code, out, _ = run(capsys, "report", tmp_path, "--format", "json", *extra)
        (jan,) = json.loads(out)["periods"]
        assert (jan["revenue"], jan["active_customers"]) == (50.0, 2)


def test_ledger_cache_follows_the_folder(golden_dir, capsys, tmp_path):
    """A restart on an unchanged folder reuses the cached ledger; any change of a file, a new
    file or another setting does not."""
    import os

    first = json.loads(run(capsys, "report", golden_dir, "--format", "json")[1])
    again = json.loads(run(capsys, "report", golden_dir, "--format", "json")[1])
    assert again == first
    f = golden_dir / "orders-2026-05.csv"
    f.write_text(f.read_text().replace("1014,alice,2026-05-11 10:30:00,90.00",
                                       "1014,alice,2026-05-11 10:30:00,30.00"))
    os.utime(f, (f.stat().st_mtime + 10, f.stat().st_mtime + 10))
    changed = json.loads(run(capsys, "report", golden_dir, "--format", "json")[1])
    assert changed["periods"][-1]["revenue"] == 30.0
    (golden_dir / "more.csv").write_text("order_id,customer_id,created_at,amount\n"
                                         "9001,zed,2026-05-12,5.00\n")
    more = json.loads(run(capsys, "report", golden_dir, "--format", "json")[1])
    assert more["periods"][-1]["revenue"] == 35.0
    usd = json.loads(run(capsys, "report", golden_dir, "--format", "json", "--currency",
                         "USD")[1])
    assert usd["currency"] == "USD" and usd["periods"][-1]["revenue"] == 5.0
    cache = os.environ["XDG_CACHE_HOME"]
    assert list(__import__("pathlib").Path(cache).rglob("meta.json"))  # the ledger cache


def test_ledger_saved_beside_the_figures(golden_dir, monkeypatch):
    """report saves the new ledger in a thread while it computes the figures; the command does
    not end before it is saved (the next run's restart is a hit, not a parse)."""
    from kpi_tui import ledger_cache
    from kpi_tui.cli import main
    from kpi_tui.settings import Settings

    started = []
    put = ledger_cache._put
    monkeypatch.setattr(ledger_cache, "_put", lambda *a: (started.append(1), __import__(
        "time").sleep(0.3), put(*a)))
    assert main(["report", str(golden_dir), "--format", "json"]) == 0
    assert started and not ledger_cache._saving  # waited for
    key = ledger_cache.folder_key(golden_dir, Settings())
    assert ledger_cache.lookup(golden_dir, key) is not None
