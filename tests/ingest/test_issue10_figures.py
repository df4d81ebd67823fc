"""Figures of issue 10's cases, as an accountant computes them by hand (report --format json)."""

import json
import shutil
from pathlib import Path

from kpi_tui.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"


def report(capsys, folder):
    code = main(["report", str(folder), "--period", "month", "--format", "json", "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out), err


def test_stripe_payment_intents_are_not_revenue(tmp_path, capsys):
    shutil.copy(FIX / "stripe-unified_payments-intents.csv", tmp_path / "unified_payments.csv")
    got, err = report(capsys, tmp_path)
    (feb,) = got["periods"]
    # py_11 40.00 (cus_K) + ch_15 27.60 converted (cus_L); ch_16 in GBP has no rate: left out
    assert (got["currency"], feb["revenue"], feb["active_customers"], feb["acv"]) == ("EUR", 67.6, 2, 33.8)
    assert "1 rows in GBP left out" in err


def test_paypal_short_format_counts_sales_only(tmp_path, capsys):
    shutil.copy(FIX / "paypal-activity-short.csv", tmp_path / "Download.csv")
    got, _ = report(capsys, tmp_path)
    (jan,) = got["periods"]
    # Jane Roe 45.00; John Doe 20.00 refunded (-20.00): not active; tax, hold, release, withdrawal: nothing
    assert (jan["revenue"], jan["active_customers"], jan["acv"]) == (45.0, 1, 45.0)
    assert got["unattributed_revenue"] == 0.0


def test_paypal_credits_that_are_not_sales(tmp_path, capsys):
    shutil.copy(FIX / "paypal-activity-credits.csv", tmp_path / "Download.csv")
    got, _ = report(capsys, tmp_path)
    (feb,) = got["periods"]
    # one payment of 80.00 refunded in full; cash back, card, credits, transfers...: nothing
    assert (feb["revenue"], feb["active_customers"], got["unattributed_revenue"]) == (0.0, 0, 0.0)
