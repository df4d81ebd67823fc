"""PayPal: only payments received and refunds sent are transactions (issue 10 items 3, 4)."""

from pathlib import Path

from kpi_tui.cli import main
from kpi_tui.ingest.layouts import normalize
from kpi_tui.settings import Settings
from test_layouts import FIX, R, load, rows


def test_credits_that_are_not_sales_are_left_out_and_named():
    n = normalize(load(FIX / "paypal-activity-credits.csv"), Settings())
    assert n.layout == "paypal-activity"
    assert rows(n) == [
        R("buyer5@example.com", "2026-02-02", 80.0, "USD", "A1111111111111111"),
        R("buyer5@example.com", "2026-02-11", -80.0, "USD", "B1111111111111111"),
    ]
    assert n.drops == {
        "not a sale or refund: Debit Card Cash Back Bonus": 1,
        "not a sale or refund: General PayPal Debit Card Transaction": 1,
        "not a sale or refund: Non Reference Credit Payment": 1,
        "not a sale or refund: Transfer from PayPal Account": 1,
        "not a sale or refund: Payment Review Release": 1,
        "not a sale or refund: Account Hold for Open Authorization": 1,
        "not a sale or refund: General Currency Conversion": 1,
        "not a sale or refund: General Withdrawal": 1,
    }


def test_short_activity_format():
    n = normalize(load(FIX / "paypal-activity-short.csv"), Settings())
    assert n.layout == "paypal-activity-short"
    assert rows(n) == [
        R("Jane Roe", "2026-01-03", 45.0, "USD", None),
        R("John Doe", "2026-01-05", 20.0, "USD", "1234-5678-9012-3456"),
        R("John Doe", "2026-01-09", -20.0, "USD", None),
    ]
    assert n.drops == {
        "status pending": 1,
        "not a sale or refund: Tax collected by partner": 1,
        "not a sale or refund: Payment Hold": 1,
        "not a sale or refund: Payment Release": 1,
        "not a sale or refund: General Withdrawal - Bank Account": 1,
    }
    assert n.notes == ["the customer is the Name column (no e-mail or id in this export): one name is one "
                       "customer, so namesakes are merged and two spellings of one buyer are two customers"]


def test_check_lists_what_was_left_out(tmp_path, capsys):
    (tmp_path / "Download.CSV").write_bytes((FIX / "paypal-activity-short.csv").read_bytes())
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "layout:   paypal-activity-short" in out
    assert "rows:     8 read, 3 kept, 5 dropped" in out
    assert "1 not a sale or refund: General Withdrawal - Bank Account" in out
    assert "note:     the customer is the Name column" in out
