"""The at-risk rule on crafted histories."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from kpi_tui.metrics.at_risk import AtRisk, medians
from kpi_tui.metrics.customers import build_index, drill
from kpi_tui.metrics.ledger import ledger_from_transactions

D = dt.date(2026, 6, 30)


def ledger(rows):
    cust, date, amount = zip(*rows)
    return ledger_from_transactions(pa.table({
        "customer": pa.array(list(cust), pa.string()),
        "date": pa.array(list(date), pa.date32()),
        "amount": pa.array(list(amount), pa.float64()),
    }))


def day(s):
    return dt.date.fromisoformat(s)


def at_risk(rows, as_of=D, rule=None, g="month"):
    d = drill(build_index(ledger(rows), g, as_of, rule), 0, "at-risk")
    return {r["customer"]: r for r in d.rows()}


def test_own_rhythm_k_times_median_gap():
    # weekly buyer: gaps 7, 7, 14 -> median 7; last purchase 06-01: 29 days > 2 x 7
    weekly = [("w", day(s), 10.0) for s in ("2026-05-04", "2026-05-11", "2026-05-18", "2026-06-01")]
    # monthly buyer: gaps 30, 31 -> median 30.5; last 05-31: 30 days < 61
    monthly = [("m", day(s), 50.0) for s in ("2026-03-31", "2026-04-30", "2026-05-31")]
    got = at_risk(weekly + monthly)
    assert list(got) == ["w"]
    w = got["w"]
    assert (w["days_since"], w["usual_gap"], w["last_purchase"]) == (29, 7.0, "2026-06-01")
    # value at stake: 40 over the periods May and June -> 20 per month
    assert w["value_at_stake"] == 20.0


def test_exactly_k_times_is_not_at_risk():
    rows = [("a", day("2026-06-10"), 5.0), ("a", day("2026-06-20"), 5.0)]
    assert at_risk(rows, as_of=day("2026-07-10")) == {}  # 20 days = 2 x 10: not more
    assert list(at_risk(rows, as_of=day("2026-07-11"))) == ["a"]
    assert at_risk(rows, as_of=day("2026-07-20"), rule=AtRisk(k=3.0)) == {}


def test_one_time_buyers_use_shop_percentile():
    # first-to-second gaps of repeat buyers: 10, 20, 30, 40, 50 -> 80th percentile 42
    rows = []
    for i, gap in enumerate((10, 20, 30, 40, 50)):
        first = day("2026-06-20") - dt.timedelta(days=gap)
        rows += [(f"r{i}", first, 10.0), (f"r{i}", day("2026-06-20"), 10.0)]
    rows += [("once-old", day("2026-05-18"), 90.0),   # 43 days before D: past 42
             ("once-new", day("2026-05-19"), 90.0),   # 42 days: not more than 42
             ("refund-only", day("2026-01-05"), -10.0)]
    got = at_risk(rows)
    assert list(got) == ["once-old"]
    assert got["once-old"]["usual_gap"] == 42.0 and got["once-old"]["days_since"] == 43
    got = at_risk(rows, rule=AtRisk(percentile=50.0))  # median: 30
    assert sorted(got) == ["once-new", "once-old"]


def test_no_repeat_buyer_means_no_one_time_threshold():
    rows = [("a", day("2025-01-01"), 10.0), ("b", day("2025-02-01"), 10.0)]
    assert at_risk(rows) == {}


def test_same_day_purchases_count_once_and_refunds_are_not_purchases():
    rows = [("a", day("2026-01-01"), 10.0), ("a", day("2026-01-01"), 10.0),
            ("a", day("2026-01-11"), 10.0), ("a", day("2026-06-25"), -30.0)]
    got = at_risk(rows)
    assert got["a"]["usual_gap"] == 10.0 and got["a"]["last_purchase"] == "2026-01-11"
    assert got["a"]["value_at_stake"] == 0.0  # net 0: nothing at stake


def test_ranked_by_value_at_stake_and_as_of_cuts_history():
    rows = [("small", day("2026-01-01"), 10.0), ("small", day("2026-01-08"), 10.0),
            ("big", day("2026-02-01"), 500.0), ("big", day("2026-02-08"), 100.0),
            ("big", day("2026-06-29"), 100.0)]
    assert list(at_risk(rows, as_of=day("2026-03-31"))) == ["big", "small"]
    assert list(at_risk(rows)) == ["small"]  # big's June purchase counts from D = 06-30


def test_max_days_leaves_out_long_gone_customers():
    rows = [("gone", day("2024-01-01"), 10.0), ("gone", day("2024-01-08"), 10.0),
            ("late", day("2026-06-01"), 10.0), ("late", day("2026-06-08"), 10.0)]
    assert sorted(at_risk(rows)) == ["gone", "late"]
    assert list(at_risk(rows, rule=AtRisk(max_days=365))) == ["late"]


def test_medians():
    g = np.array([0, 0, 0, 2, 2, 2, 2])
    v = np.array([5.0, 1.0, 3.0, 4.0, 1.0, 2.0, 9.0])
    m = medians(g, v, 4)
    assert m[0] == 3.0 and m[2] == 3.0 and np.isnan(m[1]) and np.isnan(m[3])


def test_rule_from_settings():
    assert AtRisk.from_config({"k": 3, "percentile": 90}) == AtRisk(k=3.0, percentile=90.0)
    assert AtRisk.from_config(None) == AtRisk()
    with pytest.raises(ValueError):
        AtRisk.from_config({"kay": 2})
