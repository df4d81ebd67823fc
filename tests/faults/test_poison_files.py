"""Issue 13, item 1: one poison file never stops anything; the good file still counts."""

import threading

from faultkit import folder, revenue, run

from kpi_tui.settings import Settings

GOOD_REVENUE = [("2026-01-01", 10.0), ("2026-02-01", 20.0)]


def test_json_nested_100000_levels_is_refused(tmp_path, capsys):
    d = folder(tmp_path, {"deep.json": "[" * 100_000 + "]" * 100_000})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert code == 0 and revenue(out) == GOOD_REVENUE
    assert err == f"kpi-tui: skipped {d}/deep.json: deep.json is JSON nested too deeply to be a table.\n"


def test_json_lines_nested_100000_levels_is_refused(tmp_path, capsys):
    d = folder(tmp_path, {"deep.jsonl": '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n"})
    code, out, err = run(capsys, "check", d)
    assert code == 0
    assert "✗ deep.jsonl\n    deep.jsonl is JSON nested too deeply to be a table.\n" in out


def test_record_nested_deeper_than_64_levels_is_a_malformed_row(tmp_path, capsys):
    deep = '{"x":' * 70 + "1" + "}" * 70
    rows = '{"customer":"c","date":"2026-01-09","amount":5}\n' + '{"customer":"d","date":"2026-01-09","amount":7,"n":' + deep + "}\n"
    d = folder(tmp_path, {"x.jsonl": rows})
    code, out, _ = run(capsys, "check", d)
    assert "rows:     2 read, 1 kept, 1 dropped\n              1 malformed line\n" in out


def test_row_dated_year_zero_is_left_out_and_named(tmp_path, capsys):
    d = folder(tmp_path, {"zero.csv": "customer,date,amount\nd,0000-01-01,5\ne,2026-01-09,1\n"})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert code == 0 and revenue(out) == [("2026-01-01", 11.0), ("2026-02-01", 20.0)]
    assert err == "kpi-tui: warning: 1 row dated 0000-01-01 left out: zero.csv\n"


def test_not_utf8_file_name_is_read_with_and_without_cache(tmp_path, capsys):
    d = folder(tmp_path, {b"Ums\xe4tze.csv": "customer,date,amount\nc,2026-01-07,5\n"})
    for extra in ((), ("--no-cache",), ()):  # cold, uncached, then from the cache
        code, out, err = run(capsys, "report", d, "--format", "json", *extra)
        assert (code, err) == (0, "")
        assert revenue(out) == [("2026-01-01", 15.0), ("2026-02-01", 20.0)]
    code, out, _ = run(capsys, "check", d)
    assert out.startswith("✓ Ums\\xe4tze.csv\n")


def test_any_error_inside_a_reader_skips_only_that_file(tmp_path, capsys, monkeypatch):
    import kpi_tui.ingest.folder as folder_mod
    import kpi_tui.ingest.grouped as grouped_mod

    real = folder_mod.normalize

    def poison(raw, settings):  # a bug in one layout, on one file's rows (read alone or grouped)
        if "z" in raw.table.column(0).to_pylist():
            raise ZeroDivisionError("division by zero")
        return real(raw, settings)

    monkeypatch.setattr(folder_mod, "normalize", poison)
    monkeypatch.setattr(grouped_mod, "normalize", poison)
    d = folder(tmp_path, {"bad.csv": "customer,date,amount\nz,2026-01-01,1\n"})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert code == 0 and revenue(out) == GOOD_REVENUE
    assert err == (f"kpi-tui: skipped {d}/bad.csv: bad.csv could not be read "
                   "(ZeroDivisionError: division by zero).\n")


def test_watch_once_exits_with_poison_files(tmp_path, capsys):
    d = folder(tmp_path, {"deep.json": "[" * 100_000 + "]" * 100_000,
                          "zero.csv": "customer,date,amount\nd,0000-01-01,5\n",
                          b"Ums\xe4tze.csv": "customer,date,amount\nc,2026-01-07,5\n"})
    done = []
    t = threading.Thread(target=lambda: done.append(run(capsys, "watch", d, "--headless", "--once")))
    t.start()
    t.join(60)
    assert not t.is_alive() and done[0][0] == 0


def test_watch_once_exits_1_when_no_figures_can_be_computed(tmp_path, monkeypatch):
    import io

    from kpi_tui.watch.headless import run_headless
    from kpi_tui.watch.state import FolderState

    def broken(self, eager=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(FolderState, "snapshot", broken)
    d = folder(tmp_path, {})
    err = io.StringIO()
    code = run_headless(d, Settings(), once=True, out=io.StringIO(), err=err)
    assert code == 1
    assert err.getvalue() == ("kpi-tui: figures could not be computed: RuntimeError: boom\n"
                              "kpi-tui: --once: no figures could be computed\n")


def test_as_of_never_after_tomorrow(tmp_path, capsys):
    d = folder(tmp_path, {"typo.csv": "customer,date,amount\nq,9999-12-31,5\n"})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert revenue(out) == GOOD_REVENUE
    assert err == "kpi-tui: warning: 1 row dated 9999-12-31 left out: typo.csv\n"
    assert run(capsys, "check", d)[1].count("              1 dated 9999-12-31\n") == 1
