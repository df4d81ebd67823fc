"""An orders export and a payment provider's download of the same sales in one folder: the
overlap is found and named in `check`, report's stderr and the screen's warnings (issue 10
item 13); unrelated sales of both kinds say nothing."""

import datetime as dt
import os

from kpi_tui.cli import main
from kpi_tui.session import findings, open_source
from kpi_tui.settings import Settings
from kpi_tui.watch.state import FolderState

ORDERS = """Name,Email,Financial Status,Currency,Total,Created at
#1001,anna@example.com,paid,EUR,62.90,2026-01-05 10:00:00 +0100
#1002,bob@example.com,paid,EUR,35.00,2026-01-06 00:30:00 +0100
#1003,cleo@example.com,paid,EUR,48.50,2026-01-09 15:00:00 +0100
#1004,anna@example.com,paid,EUR,19.90,2026-02-02 12:00:00 +0100
#1005,dan@example.com,paid,EUR,120.00,2026-02-10 09:00:00 +0100
#1006,eve@example.com,paid,EUR,15.00,2026-02-11 09:00:00 +0100
"""
# the same sales paid by card, dated in UTC (#1002 the day before), one card not in the shop
PAYMENTS = """id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Status,Customer ID,Customer Email
ch_1,2026-01-05 09:00:01,62.90,0.00,eur,true,Paid,cus_a,anna@example.com
ch_2,2026-01-05 23:30:02,35.00,0.00,eur,true,Paid,cus_b,bob@example.com
ch_3,2026-01-09 14:00:03,48.50,0.00,eur,true,Paid,cus_c,cleo@example.com
ch_4,2026-02-02 11:00:04,19.90,0.00,eur,true,Paid,cus_a2,anna@example.com
ch_5,2026-02-10 08:00:05,120.00,0.00,eur,true,Paid,cus_d,dan@example.com
ch_6,2026-02-12 08:00:05,77.00,0.00,eur,true,Paid,cus_f,fay@example.com
"""
WARNING = ("orders_export.csv and unified_payments.csv look like the same sales: 5 of the 6 payments "
           "have an order of the same amount within a day; 4 e-mail addresses are in both. Both are "
           "counted, so these sales count twice: keep one source per data folder (move the "
           "stripe-payments files, or the shopify-orders files, to a folder of their own).")


def _folder(tmp_path, payments=PAYMENTS):
    (tmp_path / "orders_export.csv").write_text(ORDERS)
    (tmp_path / "unified_payments.csv").write_text(payments)
    return tmp_path


def test_overlap_is_named_in_check_report_and_on_screen(tmp_path, capsys):
    d = _folder(tmp_path)
    assert main(["check", str(d), "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("2 of 2 files used; 12 transactions; reporting currency: EUR\n"
                        f"warning: {WARNING}\n")
    assert err == f"kpi-tui: warning: {WARNING}\n"
    assert main(["report", str(d), "--format", "csv", "--no-cache"]) == 0
    assert capsys.readouterr().err == f"kpi-tui: warning: {WARNING}\n"
    snap = open_source(d, Settings(cache=False)).snapshot()
    shown = [f.message for f in findings(snap, "month", dt.datetime(2026, 2, 28))]
    assert f"⚠ {WARNING}" in shown


def test_overlap_found_when_the_watcher_adds_the_payments(tmp_path):
    (tmp_path / "orders_export.csv").write_text(ORDERS)
    os.utime(tmp_path / "orders_export.csv", (1_000_000, 1_000_000))
    state = FolderState(tmp_path, Settings(cache=False))
    state.refresh()
    assert state.snapshot().warnings == []
    (tmp_path / "unified_payments.csv").write_text(PAYMENTS)
    os.utime(tmp_path / "unified_payments.csv", (1_000_001, 1_000_001))
    state.refresh()
    assert state.snapshot().warnings == [WARNING]


def test_unrelated_payments_say_nothing(tmp_path, capsys):
    other = PAYMENTS.replace(",62.90,", ",61.00,").replace(",35.00,", ",36.00,").replace(
        ",48.50,", ",47.50,").replace(",120.00,", ",99.00,")
    d = _folder(tmp_path, other)  # 1 of 6 payments alike (19.90 on 2026-02-02): chance
    assert main(["check", str(d), "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in out and err == ""
