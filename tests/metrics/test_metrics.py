"""The metrics core on hand-made ledgers: golden figures, identities, invariances."""

import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_tui.metrics import periods
from kpi_tui.metrics.figures import period_figures, window_figures
from kpi_tui.metrics.ledger import ledger_from_transactions
from kpi_tui.metrics.movements import FIELDS

from conftest import GOLDEN, golden_rows, table




def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize("g", ["month", "quarter"])
def test_golden_figures(g):
    want = json.load(open(GOLDEN / f"expected-{g}.json"))["periods"]
    got = period_figures(ledger_from_transactions(table(golden_rows())), g)
    assert [list(r) for r in got] == [list(FIELDS)] * len(want)
    for w, r in zip(want, got):
        for k in FIELDS:
            assert same(r[k], w[k]), (w["start"], k, r[k], w[k])


def test_golden_week_hand_checked():
    got = period_figures(ledger_from_transactions(table(golden_rows())), "week")
    assert got[0]["start"] == "2026-01-05"  # ISO week starts on Monday
    assert got[-1]["start"] == "2026-05-11"
    assert len(got) == 19  # every week from the first to the last, empty ones included
    by = {r["start"]: r for r in got}
    # week of 2026-02-02: alice 120, bob 50 (bob's refund falls in the next week)
    assert by["2026-02-02"]["revenue"] == 170.0 and by["2026-02-02"]["active_customers"] == 2
    # week of 2026-02-09: only bob's -50 refund: revenue -50, no active customer
    w = by["2026-02-09"]
    assert (w["revenue"], w["active_customers"], w["acv"]) == (-50.0, 0, None)
    assert w["churned_customers"] == 2 and w["churn_rate"] == 1.0
    assert all(r["complete"] for r in got[:-1]) and not got[-1]["complete"]


def test_unattributed_and_refund_of_inactive_customer():
    rows = [("a", dt.date(2026, 1, 3), 10.0), ("b", dt.date(2026, 1, 4), 30.0),
            ("a", dt.date(2026, 2, 3), 20.0), ("b", dt.date(2026, 2, 9), 10.0),
            ("c", dt.date(2026, 2, 10), -5.0),  # refund of a customer active in neither period
            (None, dt.date(2026, 2, 11), 99.0)]
    ledger = ledger_from_transactions(table(rows))
    assert ledger.unattributed_micros == 99_000_000
    jan, feb = period_figures(ledger, "month")
    assert feb["revenue"] == 25.0 and feb["active_customers"] == 2 and feb["acv"] == 12.5
    assert feb["acv_change"] == 12.5 - 20.0
    assert feb["churn_effect"] == 0.0 and feb["spend_effect"] == 15.0 - 20.0
    assert feb["acquisition_effect"] == 0.0 and feb["other_effect"] == -2.5
    assert feb["contraction"] == -20.0 and feb["expansion"] == 10.0


def test_trailing_windows():
    rows = [("a", dt.date(2026, 5, 1), 10.0), ("b", dt.date(2026, 4, 20), 20.0),
            ("a", dt.date(2025, 5, 1), 40.0), ("c", dt.date(2026, 4, 1), 8.0)]
    w = window_figures(ledger_from_transactions(table(rows)), "month")
    assert w["current"] == {"start": "2026-04-02", "end": "2026-05-01"}
    assert w["previous"] == {"start": "2026-03-03", "end": "2026-04-01"}
    assert w["year_ago"] == {"start": "2025-04-02", "end": "2025-05-01"}
    cur = w["vs_previous"]
    assert (cur["revenue"], cur["active_customers"], cur["acv"]) == (30.0, 2, 15.0)
    assert cur["churned_customers"] == 1 and cur["new_customers"] == 1
    assert cur["reactivated_customers"] == 1  # a bought a year ago
    y = w["vs_year_ago"]
    assert y["retained_customers"] == 1 and y["acv_change"] == 15.0 - 40.0


def test_periods_calendar():
    d = np.array([periods.to_day(dt.date(2026, 1, 1)), periods.to_day(dt.date(2025, 12, 29))])
    wk = periods.period_index(d, "week")
    assert wk[0] == wk[1] and periods.start(int(wk[0]), "week") == dt.date(2025, 12, 29)
    q = periods.period_index(np.array([periods.to_day(dt.date(2026, 5, 31))]), "quarter")[0]
    assert periods.start(int(q), "quarter") == dt.date(2026, 4, 1)
    assert periods.end_day(int(q), "quarter") == periods.to_day(dt.date(2026, 6, 30))
    assert periods.label(int(q), "quarter") == "Q2 2026"


customers = st.sampled_from(["a", "b", "c", "d", "e", "f", None])
amounts = st.integers(-5000, 20000).map(lambda c: c / 100)
days = st.integers(0, 400).map(lambda n: dt.date(2025, 1, 1) + dt.timedelta(days=n))
txns = st.lists(st.tuples(customers, days, amounts), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(txns, st.sampled_from(periods.GRANULARITIES[1:]))
def test_bridge_and_effects_add_up(rows, g):
    ledger = ledger_from_transactions(table(rows))
    rows_out = period_figures(ledger, g)
    v = {}  # independent per-customer sums
    for c, d, a in rows:
        if c is not None:
            p = int(periods.period_index(np.array([periods.to_day(d)]), g)[0])
            v[(c, p)] = v.get((c, p), 0) + round(a * 100)
    for prev, cur in zip(rows_out, rows_out[1:]):
        p = int(periods.period_index(np.array([periods.to_day(
            dt.date.fromisoformat(cur["start"]))]), g)[0])
        o = lambda q: sum(x for (c, pp), x in v.items() if pp == q and x <= 0) / 100  # noqa: E731
        bridge = (cur["new_revenue"] + cur["reactivated_revenue"] + cur["expansion"]
                  + cur["contraction"] - cur["churned_revenue_prev"] + o(p) - o(p - 1))
        assert math.isclose(cur["revenue"] - prev["revenue"], bridge, abs_tol=1e-6)
        if cur["churn_effect"] is not None:
            total = (cur["churn_effect"] + cur["spend_effect"] + cur["acquisition_effect"]
                     + cur["other_effect"])
            assert math.isclose(total, cur["acv_change"], abs_tol=1e-9)
        assert cur["retained_customers"] + cur["churned_customers"] == prev["active_customers"]
        assert (cur["retained_customers"] + cur["new_customers"]
                + cur["reactivated_customers"]) == cur["active_customers"]


@settings(max_examples=60, deadline=None)
@given(txns, st.randoms())
def test_row_order_changes_nothing(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a = period_figures(ledger_from_transactions(table(rows)), "month")
    b = period_figures(ledger_from_transactions(table(shuffled)), "month")
    assert a == b


def test_repo_copy_of_golden_matches_contract():
    """tests/fixtures/golden is a copy of shared/examples/golden for checkouts without shared/."""
    from pathlib import Path

    here = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
    if GOLDEN == here:
        pytest.skip("shared/ is not beside this checkout")
    for f in GOLDEN.iterdir():
        assert (here / f.name).read_bytes() == f.read_bytes(), f.name


@settings(max_examples=150, deadline=None)
@given(txns, txns, st.sampled_from(periods.GRANULARITIES))
def test_adding_transactions_equals_summing_again(old_rows, new_rows, g):
    """The watcher's shortcut (append the new rows, merge their sums) gives the same figures
    as everything summed again, or declines (None) when the new rows start earlier."""
    from kpi_tui.metrics.figures import figures_from_sums
    from kpi_tui.metrics.ledger import append_ledger, merge_sums, period_sums

    old = ledger_from_transactions(table(old_rows))
    new = ledger_from_transactions(table(new_rows))
    both, index, recoded = append_ledger(old, new)
    assert sorted(index, key=index.get) == list(both.names)
    merged = merge_sums(period_sums(old, g), recoded, both.customers, g)
    want = period_figures(ledger_from_transactions(table(old_rows + new_rows)), g)
    if merged is None:
        assert min(d for _, d, _ in new_rows) < dt.date.fromisoformat(want[0]["start"]) or \
            periods.period_index(np.array([periods.to_day(min(d for _, d, _ in new_rows))]),
                                 g)[0] < periods.period_index(np.array([old.first_day]), g)[0]
        return
    got = figures_from_sums(merged, both, g)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        for k in FIELDS:
            assert same(a[k], b[k]), (g, a["start"], k, a[k], b[k])



def test_one_days_period_in_plain_python_equals_numpys():
    """periods.period_of / start_day compute one period without numpy (a replayed report
    imports none): the same numbers as the array path, years 0 to 10000."""
    import numpy as np

    from kpi_tui.metrics import periods

    days = np.arange(-720_000, 2_940_000, 997)
    for g in ("day", "week", "month", "quarter", "year"):
        want = periods.period_index(days, g)
        assert [periods.period_of(d, g) for d in days.tolist()] == want.tolist(), g
        for i in np.unique(want).tolist():
            if g in ("month", "quarter", "year"):
                m = {"month": 1, "quarter": 3, "year": 12}[g] * i
                ref = int(np.datetime64(m, "M").astype("datetime64[D]").astype(np.int64))
                assert periods.start_day(i, g) == ref, (g, i)
