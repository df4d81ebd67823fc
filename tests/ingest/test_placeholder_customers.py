"""Placeholder customer values count as missing (METRICS.md, Customer; issue 10 item 5)."""

import pytest

from kpi_tui.ingest.layouts import normalize
from kpi_tui.settings import Settings
from test_layouts import R, raw_from_rows, rows

PLACEHOLDERS = ["(blank)", "(BLANK)", "N/A", "n/a", "none", "None", "NULL", "null", "-", "0",
                "Guest", "GUEST", "unknown", "Unknown", "  ", " n/a "]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholder_id_falls_back_to_email(value):
    raw = raw_from_rows("p.csv", ["Customer ID", "Email", "Date", "Total"], [
        [value, "Ann@Example.com", "2026-01-05", "10.00"],
        [value, value, "2026-01-06", "7.00"],
        ["K1", value, "2026-01-07", "5.00"],
    ])
    assert rows(normalize(raw, Settings())) == [
        R("ann@example.com", "2026-01-05", 10.0, None, None),
        R(None, "2026-01-06", 7.0, None, None),  # neither: unattributed
        R("K1", "2026-01-07", 5.0, None, None),
    ]


def test_placeholders_in_every_layout_with_customers(tmp_path):
    # Shopify: e-mail only; Stripe: Customer ID else Customer Email; WooCommerce: 0 = guest
    shop = raw_from_rows("orders_export.csv", ["Name", "Email", "Financial Status", "Total", "Created at"], [
        ["#1", "(blank)", "paid", "10.00", "2026-01-05 10:00:00 +0100"],
        ["#2", "unknown", "paid", "11.00", "2026-01-05 10:00:00 +0100"],
    ])
    assert [r[0] for r in rows(normalize(shop, Settings()))] == [None, None]
    stripe = raw_from_rows("unified_payments.csv", ["id", "Created date (UTC)", "Amount", "Currency",
                                                    "Customer ID", "Customer Email", "Status"], [
        ["ch_1", "2026-01-05 10:00:00", "10.00", "usd", "null", "N/A", "Paid"],
        ["ch_2", "2026-01-05 10:00:00", "10.00", "usd", "guest", "b@x.com", "Paid"],
    ])
    assert [r[0] for r in rows(normalize(stripe, Settings()))] == [None, "b@x.com"]


def test_values_that_only_contain_a_placeholder_word_are_kept():
    raw = raw_from_rows("k.csv", ["Customer ID", "Date", "Total"], [
        ["guest-7", "2026-01-05", "1.00"], ["00", "2026-01-05", "1.00"], ["Nonet", "2026-01-05", "1.00"],
        ["10", "2026-01-05", "1.00"],
    ])
    assert [r[0] for r in rows(normalize(raw, Settings()))] == ["guest-7", "00", "Nonet", "10"]


def test_check_counts_rows_left_unattributed_by_a_placeholder(tmp_path, capsys):
    from kpi_tui.cli import main

    (tmp_path / "pivot.csv").write_text("Customer ID,Email,Date,Total\n(blank),,2026-01-05,10.00\n"
                                        "GUEST,n/a,2026-01-06,7.00\n,,2026-01-07,1.00\nK1,,2026-01-08,2.00\n")
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert ("note:     2 rows with a placeholder for the customer ((blank), N/A, none, null, -, 0, guest, "
            "unknown): unattributed") in out
