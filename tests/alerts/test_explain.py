import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from kpi_tui.alerts.explain import cause, effect_label, effect_lines, why_sentence
from kpi_tui.metrics.figures import period_figures
from kpi_tui.metrics.ledger import ledger_from_transactions

HERE = Path(__file__).resolve()
from conftest import GOLDEN  # noqa: E402


@pytest.fixture(scope="module")
def golden_month():
    """Month rows computed from the golden CSVs (read with the csv module, the METRICS.md rules
    applied by hand: failed rows dropped, an id in both files counted from the newer file)."""
    if GOLDEN is None:
        pytest.skip("golden examples not found")
    files = [list(csv.DictReader(open(GOLDEN / n, encoding="utf-8")))
             for n in ("orders-2026-02.csv", "orders-2026-05.csv")]  # fmt: skip
    newer_ids = {r["order_id"] for r in files[1]}
    rows = [r for r in files[0] if r["order_id"] not in newer_ids] + files[1]
    rows = [r for r in rows if r["status"] != "failed"]
    table = pa.table({
        "customer": pa.array([r["customer_id"] or None for r in rows], pa.string()),
        "date": pa.array([dt.date.fromisoformat(r["created_at"][:10]) for r in rows], pa.date32()),
        "amount": pa.array([float(r["amount"]) for r in rows], pa.float64()),
    })  # fmt: skip
    figures = period_figures(ledger_from_transactions(table), "month")
    expected = json.loads((GOLDEN / "expected-month.json").read_text())["periods"]
    assert figures == expected  # the fixture itself is right
    return figures


def sentences(rows, label="the previous month", locale="en"):
    return [
        why_sentence(r, rows[i - 1] if i else None, "EUR", locale, label)
        for i, r in enumerate(rows)
    ]


def test_golden_month_sentences(golden_month):
    assert sentences(golden_month) == [
        "This is the first period of the data: there is nothing to compare it with yet.",
        # Feb: churn +40 and acquisition -40 tie; the tie keeps METRICS.md order
        "2 customers left, who were below-average buyers (+€40.00); "
        "1 new customer joined, spending less than existing customers (-€40.00); "
        "existing customers spent 20% more (+€20.00 per customer).",
        "1 new and 1 returning customers joined, spending more than existing customers "
        "(+€35.00); existing customers spent 25% less (-€20.00 per customer).",
        "Nobody bought in this period: all 4 customers of the previous month stayed away.",
        "Nobody bought in the previous month, so there is no average to compare with.",
    ]


def test_golden_month_french_money(golden_month):
    s = sentences(golden_month, locale="fr")[2]
    assert s.endswith("spent 25\xa0% less (-20,00\xa0€ per customer).")


def test_golden_effect_lines(golden_month):
    feb = golden_month[1]
    lines = effect_lines(feb, "EUR", "en")
    assert [(x.name, x.label, x.value, x.money, x.share_text) for x in lines] == [
        ("churn_effect", "Customers who left", 40.0, "+€40.00", "+66.7%"),
        ("spend_effect", "Existing customers' spending", 20.0, "+€20.00", "+33.3%"),
        ("acquisition_effect", "New and returning customers", -40.0, "-€40.00", "-66.7%"),
        ("other_effect", "Refunds without purchases", 0.0, "€0.00", "0.0%"),
    ]
    assert sum(x.value for x in lines) == feb["acv_change"]
    assert lines[0].share == pytest.approx(40 / 60)
    # null effects: a dash, no share
    apr = effect_lines(golden_month[3], "EUR")
    got = [(x.value, x.money, x.share, x.share_text) for x in apr]
    assert got == [(None, "–", None, "–")] * 4


def test_golden_cause(golden_month):
    assert cause(golden_month[1], "EUR") == (
        "1 new customer joined, spending less than existing customers (-€40.00)"
    )
    assert cause(golden_month[2], "EUR") == "existing customers spent less (-€20.00 per customer)"


def row(**kw):
    base = dict(acv=100.0, acv_change=0.0, active_customers=10, retained_customers=5,
                churned_customers=0, new_customers=0, reactivated_customers=0,
                retained_revenue=500.0, retained_revenue_prev=500.0, churn_effect=0.0,
                spend_effect=0.0, acquisition_effect=0.0, other_effect=0.0)  # fmt: skip
    base.update(kw)
    return base


PREV = {"acv": 100.0}


def test_issue_example_sentence():
    r = row(
        churned_customers=132, retained_revenue=910.0, retained_revenue_prev=1000.0,
        spend_effect=-3.10, churn_effect=0.50, acquisition_effect=0.04, acv_change=-2.56,
    )  # fmt: skip
    assert why_sentence(r, PREV, "EUR", "en") == (
        "Existing customers spent 9% less (-€3.10 per customer); "
        "132 customers left, who were below-average buyers (+€0.50)."
    )


def test_significance_threshold_is_a_tenth_of_the_biggest():
    r = row(spend_effect=-3.10, churn_effect=0.31, churned_customers=1, retained_revenue=450.0)
    assert why_sentence(r, PREV, "EUR") == (
        "Existing customers spent 10% less (-€3.10 per customer); "
        "1 customer left, who was a below-average buyer (+€0.31)."
    )
    r["churn_effect"] = -0.31
    assert why_sentence(r, PREV, "EUR").endswith("who was an above-average buyer (-€0.31).")
    r["churn_effect"] = 0.30
    assert why_sentence(r, PREV, "EUR") == (
        "Existing customers spent 10% less (-€3.10 per customer)."
    )


def test_other_phrases():
    r = row(other_effect=-2.0, churn_effect=-1.0, churned_customers=3, reactivated_customers=2,
            acquisition_effect=0.5)  # fmt: skip
    assert why_sentence(r, PREV, "USD") == (
        "Refunds from customers with no purchase weighed on the average (-$2.00); "
        "3 customers left, who were above-average buyers (-$1.00); "
        "2 returning customers came back, spending more than existing customers (+$0.50)."
    )
    assert why_sentence(row(), PREV, "EUR", "en", "March 2026") == (
        "Average customer value is unchanged from March 2026."
    )
    # spend effect without a meaningful % (no retained revenue before)
    assert why_sentence(row(spend_effect=4.0, retained_revenue_prev=0.0), PREV, "EUR") == (
        "Existing customers spent more (+€4.00 per customer)."
    )


def test_null_sentences():
    first = row(retained_customers=None)
    assert why_sentence(first, None, "EUR").startswith("This is the first period")
    one_left = row(acv=None, active_customers=0, retained_customers=0, churned_customers=1)
    assert why_sentence(one_left, PREV, "EUR", "en", "May") == (
        "Nobody bought in this period: the only customer of May stayed away."
    )
    none = row(acv=None, active_customers=0, retained_customers=0, churned_customers=0)
    assert why_sentence(none, {"acv": None}, "EUR") == (
        "Nobody bought in this period or the one before: there is no average to explain."
    )
    swapped = row(retained_customers=0, active_customers=3, acv_change=12.5, churn_effect=None,
                  spend_effect=None, acquisition_effect=None, other_effect=None)  # fmt: skip
    assert why_sentence(swapped, PREV, "EUR", "en", "May") == (
        "None of the customers of May bought again: the 3 customers of this period are all new "
        "or returning, so the change (+€12.50) is a change of customers, not of spending."
    )
    assert cause(swapped | {"churned_customers": 4}, "EUR") == (
        "none of the previous customers bought again"
    )
    assert cause(row(spend_effect=1.0), "EUR") is None


def test_labels():
    assert effect_label("spend_effect") == "Existing customers' spending"
    assert effect_label("churn_effect", short=True) == "Left"
    assert effect_label("mystery_effect") == "Mystery effect"
