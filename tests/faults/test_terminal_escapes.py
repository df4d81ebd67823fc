"""Issue 13, item 7: control characters and markup from the data never reach the terminal raw."""

import json
import re

from faultkit import folder, run

from kpi_tui import safe

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # anything but a newline
TITLE = "\x1b]0;pwned\x07F.csv"
FORGED = "x.csv\nkpi-tui: skipped everything.csv"


def test_file_names_in_check_and_report_stderr(tmp_path, capsys):
    d = folder(tmp_path, {TITLE: "customer,date,amount\nq,2026-01-09,5\n", FORGED: b"\x00\x01\x02" * 50})
    code, out, err = run(capsys, "check", d)
    assert not RAW.search(out + err)
    assert "✓ \\x1b]0;pwned\\x07F.csv\n" in out
    assert "✗ x.csv\\nkpi-tui: skipped everything.csv\n" in out
    code, out, err = run(capsys, "report", d)
    assert not RAW.search(out + err)
    assert err.splitlines() == [
        f"kpi-tui: skipped {d}/x.csv\\nkpi-tui: skipped everything.csv: x.csv\\nkpi-tui: skipped "
        "everything.csv is not a text table (it holds binary data)."]


def test_customer_ids_in_customers_table_csv_and_json(tmp_path, capsys):
    ids = ["\x1b[2Jwipe", "\x1b]0;t\x07", "c\x9b31m"]
    rows = "".join(f"{c},2026-01-0{i + 1},10\n" for i, c in enumerate(ids))
    rows += "".join(f"filler{i},2026-02-0{1 + i % 9},1\n" for i in range(60))  # text, not binary
    d = folder(tmp_path, {"ids.csv": "customer,date,amount\n" + rows})
    for fmt in ("table", "csv", "json"):
        code, out, err = run(capsys, "customers", d, "--at", "2026-02-01", "--format", fmt)
        assert code == 0 and not RAW.search(out + err), fmt
    got = json.loads(run(capsys, "customers", d, "--at", "2026-02-01", "--format", "json")[1])
    assert sorted(r["customer"] for r in got) == sorted(ids + ["a"])  # JSON: escaped, same values
    table = run(capsys, "customers", d, "--at", "2026-02-01")[1]
    assert "\\x1b[2Jwipe" in table and "c\\x9b31m" in table


def test_markup_in_a_file_name_shows_literally():
    from textual.content import Content

    from kpi_tui.ui.screens.alerts import history_text

    class F:
        message = "⚠ 1 file skipped: [$text on $error]SPOOF.csv"
        detail = "[b]x[/b] \x1b]0;t\x07"

    class A:
        finding, scope, ended_at = F(), "month", None
        started_at = None

    plain = Content.from_markup(history_text([A()])).plain
    assert "⚠ 1 file skipped: [$text on $error]SPOOF.csv" in plain
    assert "[b]x[/b] \\x1b]0;t\\x07" in plain
    assert Content.from_markup(safe.markup("a\\[b]c")).plain == "a\\[b]c"


def test_safe_text_escapes():
    assert safe.text("a\nb\tc\x1b\x9b\u202e") == "a\\nb\\tc\\x1b\\x9b\\u202e"
    assert safe.text(b"Ums\xe4tze.csv") == "Ums\\xe4tze.csv"
    assert safe.json_text(json.dumps("\x9b\u2028", ensure_ascii=False)) == '"\\u009b\\u2028"'


def test_currency_code_with_escapes_is_printable_everywhere(tmp_path, capsys):
    rows = "a,2026-01-05,10,EUR\n" + "".join(f"f{i},2026-01-0{1 + i % 9},1,EUR\n" for i in range(60))
    rows += "z,2026-01-06,5,\x1b[2J\n"
    d = folder(tmp_path, {"cur.csv": "customer,date,amount,currency\n" + rows})
    code, out, err = run(capsys, "report", d)
    assert not RAW.search(out + err)
    assert err.endswith("kpi-tui: warning: 1 rows in \\x1b[2J left out: no rate to EUR "
                        "(give one with --rates)\n")


def test_headless_alert_json_with_c1_and_undecodable_names(tmp_path):
    import datetime as dt
    import io
    import os

    from kpi_tui.alerts.history import AlertHistory
    from kpi_tui.settings import Settings
    from kpi_tui.watch.headless import run_headless

    root = os.path.join(os.fsencode(tmp_path), b"d\xe4ta\xc2\x9b")
    os.mkdir(root)
    with open(os.path.join(root, b"s.csv"), "w") as f:
        f.write("customer,date,amount\na,2026-01-05,10\n")
    out = io.StringIO()
    code = run_headless(os.fsdecode(root), Settings(), once=True, out=out, err=io.StringIO(),
                        history=AlertHistory(), clock=lambda: dt.datetime(2026, 6, 1))
    assert code == 0
    line = out.getvalue().splitlines()[0]
    assert not RAW.search(line) and line.encode("utf-8")  # printable, encodable
    assert json.loads(line)["folder"] == os.fsdecode(root)  # the same value


def test_database_check_escapes_values(tmp_path, capsys):
    import duckdb

    db = tmp_path / "t.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table sales(customer varchar, date date, amount double, currency varchar)")
    con.execute("insert into sales values ('a', '2026-01-05', 10, 'EUR'), "
                "('b', '2026-01-06', 5, chr(27) || '[2J'), ('c', '2026-01-07', 5, chr(27) || '[2J')")
    con.close()
    code, out, err = run(capsys, "check", f"duckdb:///{db}", "--table", "sales")
    assert code == 0 and not RAW.search(out + err)
    assert "Currency: \\x1b[2J\n" in out
