"""METRICS.md, Input: rows that are not sales or refunds to a customer (transfers, withdrawals,
holds and releases, fees, currency conversions, cash-back bonuses) are not transactions, in a
generic export's type column too (it was read, and every row counted)."""

import pytest

from kpi_tui.ingest.layouts import normalize
from kpi_tui.ingest.plain import not_sale
from kpi_tui.settings import Mapping, Settings
from test_layouts import raw_from_rows

HEADER = ["Customer", "Date", "Amount", "Transaction Type"]
ROWS = [
    ["a", "2026-01-05", "100.00", "Sale"],
    ["a", "2026-01-06", "-20.00", "Refund"],
    ["b", "2026-01-07", "500.00", "Transfer"],
    ["b", "2026-01-08", "-3.00", "Stripe fee"],
    ["c", "2026-01-09", "40.00", "Payment"],
    ["c", "2026-01-10", "7.00", "General Currency Conversion"],
    ["d", "2026-01-11", "5.00", "Cash Back Bonus"],
    ["e", "2026-01-12", "60.00", "Withdraw Funds to Bank Account"],
    ["f", "2026-01-13", "30.00", ""],
    ["f", "2026-01-14", "9.00", "Virement"],
    ["g", "2026-01-15", "11.00", "Payment Hold"],
]
KEPT = [("a", 100.0), ("a", -20.0), ("c", 40.0), ("f", 30.0)]


def test_generic_type_column():
    n = normalize(raw_from_rows("ledger.csv", HEADER, ROWS), Settings())
    assert n.layout == "generic"
    assert [(r["customer"], r["amount"]) for r in n.table.to_pylist()] == KEPT
    assert n.mapping["type"] == "Transaction Type"
    assert n.drops == {f"not a sale or refund: {t}": 1 for t in (
        "Transfer", "Stripe fee", "General Currency Conversion", "Cash Back Bonus",
        "Withdraw Funds to Bank Account", "Virement", "Payment Hold")}


def test_mapping_type_column():
    header = ["who", "when", "how much", "kind"]
    m = Mapping(customer="who", date="when", amount="how much", type="kind")
    n = normalize(raw_from_rows("x.csv", header, ROWS), Settings(mapping=m))
    assert n.layout == "mapping"
    assert [(r["customer"], r["amount"]) for r in n.table.to_pylist()] == KEPT


@pytest.mark.parametrize("kind, out", [
    ("Sale", False), ("Refund", False), ("Payment", False), ("Charge", False),
    ("Coffee", False), ("Invoice", False), ("Express Checkout Payment", False),
    ("transfer", True), ("stripe_fee", True), ("Payout", True), ("Gebühr", True),
    ("Währungsumrechnung", True), ("Comisión", True), ("Frais", True), ("Retrait", True),
    ("cashback", True), ("Payment Release", True), ("Payment Hold", True), ("Hold", True),
    ("Release of funds", True), ("Retenue sur le solde", True),
    ("New Release", False), ("Pre-release", False), ("Hold music CD", False),
])
def test_not_sale_words(kind, out):
    assert not_sale(kind) is out
