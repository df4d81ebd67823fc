"""An export with no customer id and no e-mail says so in `check`, report's stderr and the
screen's warnings, and names a column to map as the customer; mapped, it counts customers
(issue 10 item 15)."""

import datetime as dt
import json

from kpi_tui.cli import main
from kpi_tui.session import findings, open_source
from kpi_tui.settings import Settings

SQUARE = ("Date,Time,Time Zone,Gross Sales,Net Total,Total Collected,Transaction ID,Event Type,"
          "Customer Name,Phone\n"
          "2026-01-05,10:00:00,UTC,10.00,10.00,10.00,T1,Payment,Anna Berg,+46 70 111\n"
          "2026-01-06,10:00:00,UTC,5.00,5.00,5.00,T2,Payment, Anna Berg ,+46 70 111\n"
          "2026-02-06,10:00:00,UTC,7.00,7.00,7.00,T3,Payment,Bo Ek,+46 70 222\n"
          "2026-02-07,10:00:00,UTC,4.00,4.00,4.00,T4,Payment,,+46 70 333\n")
NOTE = ("no customer id or e-mail in any row: its rows count as unattributed revenue, not as "
        "customers. To count customers by a name or phone column, put in kpi-tui.toml: "
        'mapping = { customer = "Customer Name" }')


def test_no_customer_is_said_with_what_to_set(tmp_path, capsys):
    (tmp_path / "square.csv").write_text(SQUARE)
    assert main(["check", str(tmp_path), "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert f"    note:     {NOTE}\n" in out
    warning = f"square.csv (4 rows): {NOTE}"
    assert out.endswith(f"warning: {warning}\n") and err == f"kpi-tui: warning: {warning}\n"
    assert main(["report", str(tmp_path), "--format", "json", "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert err == f"kpi-tui: warning: {warning}\n"
    assert json.loads(out)["unattributed_revenue"] == 26.0
    snap = open_source(tmp_path, Settings(cache=False)).snapshot()
    assert f"⚠ {warning}" in [f.message for f in findings(snap, "month", dt.datetime(2026, 2, 28))]


def test_the_suggested_mapping_counts_customers(tmp_path, capsys):
    (tmp_path / "square.csv").write_text(SQUARE)
    (tmp_path / "kpi-tui.toml").write_text(NOTE.split("kpi-tui.toml: ")[1] + "\n")
    assert main(["report", str(tmp_path), "--format", "json", "--no-cache"]) == 0
    out, err = capsys.readouterr()
    got = json.loads(out)
    assert err == "" and got["unattributed_revenue"] == 4.0
    assert [(p["revenue"], p["active_customers"]) for p in got["periods"]] == [(15.0, 1), (7.0, 1)]
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "customer ← Customer Name ([mapping]), date ← Date," in out and "note:" not in out


def test_a_full_mapping_without_customer_is_told_to_add_one(tmp_path, capsys):
    (tmp_path / "k.csv").write_text("Tag,Summe,Name\n2026-01-03,5,Ann\n")
    (tmp_path / "kpi-tui.toml").write_text('[mapping]\ndate = "Tag"\namount = "Summe"\n')
    main(["check", str(tmp_path), "--no-cache"])
    assert capsys.readouterr().err == (
        "kpi-tui: warning: k.csv (1 row): no customer id or e-mail in any row: its rows count as "
        "unattributed revenue, not as customers. To count customers by a name or phone column, add "
        'to the [mapping] of kpi-tui.toml: customer = "Name"\n')


def test_mapping_a_phone_keeps_the_e_mail_where_there_is_one(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("Order ID,Date,Total,Email,Phone\n"
                                         "1,2026-01-05,10,ann@x.se,+46 1\n2,2026-01-06,5,,+46 1\n"
                                         "3,2026-01-07,8,bo@x.se,\n")
    (tmp_path / "kpi-tui.toml").write_text('mapping = { customer = "Phone" }\n')
    assert main(["report", str(tmp_path), "--format", "json", "--no-cache"]) == 0
    p = json.loads(capsys.readouterr().out)["periods"][0]
    assert (p["revenue"], p["active_customers"]) == (23.0, 2)  # +46 1 (with ann@x.se), bo@x.se
