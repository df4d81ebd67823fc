"""Drill-down lists: each group adds up to its figure of METRICS.md."""

import datetime as dt
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_tui.cli import main
from kpi_tui.metrics import periods
from kpi_tui.metrics.customers import GROUPS, build_index, drill, period_at
from kpi_tui.metrics.figures import period_figures
from kpi_tui.metrics.ledger import ledger_from_transactions

from conftest import golden_rows, table




def pidx(d: str, g: str = "month") -> int:
    return int(periods.period_index(np.array([periods.to_day(dt.date.fromisoformat(d))]), g)[0])


@pytest.fixture(scope="module")
def golden_index():
    return build_index(ledger_from_transactions(table(golden_rows())), "month")


def names(d):
    return [r["customer"] for r in d.rows()]


def test_golden_march(golden_index):
    p = pidx("2026-03-01")
    ret = drill(golden_index, p, "retained")
    assert names(ret) == ["alice", "dave"]  # largest drop first
    assert ret.totals() == {"customers": 2, "previous": 160.0, "current": 120.0, "change": -40.0}
    con = drill(golden_index, p, "contracted")
    assert [(r["customer"], r["previous"], r["current"], r["change"]) for r in con.rows()] == [
        ("alice", 120.0, 80.0, -40.0)]
    assert len(drill(golden_index, p, "expanded")) == 0
    new = drill(golden_index, p, "new").rows()
    assert new == [{"customer": "erin", "previous": 0.0, "current": 200.0, "change": 200.0,
                    "first_purchase": "2026-03-21", "last_purchase": "2026-03-21", "orders": 1}]
    back = drill(golden_index, p, "reactivated").rows()
    assert [(r["customer"], r["current"], r["first_purchase"], r["last_purchase"])
            for r in back] == [("carol", 60.0, "2026-01-12", "2026-03-07")]
    assert len(drill(golden_index, p, "churned")) == 0


def test_golden_february(golden_index):
    p = pidx("2026-02-01")
    churned = drill(golden_index, p, "churned")
    rows = churned.rows()
    assert [(r["customer"], r["previous"], r["current"]) for r in rows] == [
        ("bob", 50.0, 0.0), ("carol", 30.0, 0.0)]  # ranked by what they brought in January
    assert churned.totals()["previous"] == 80.0
    # bob bought 50 on 02-03 and was refunded 50 on 02-10: net 0, so churned; the purchase
    # still counts as his last purchase; orders are counted in January for churned customers
    assert rows[0]["last_purchase"] == "2026-02-03" and rows[0]["orders"] == 1
    assert rows[1]["last_purchase"] == "2026-01-28" and rows[1]["orders"] == 2
    exp = drill(golden_index, p, "expanded").rows()
    assert [(r["customer"], r["change"]) for r in exp] == [("alice", 20.0)]
    assert names(drill(golden_index, p, "new")) == ["dave"]


def test_golden_april_everybody_left(golden_index):
    d = drill(golden_index, pidx("2026-04-01"), "churned")
    assert names(d) == ["erin", "alice", "carol", "dave"]
    assert d.totals()["previous"] == 380.0


def test_first_period_has_no_movement(golden_index):
    assert all(len(drill(golden_index, pidx("2026-01-01"), g)) == 0 for g in GROUPS[:-1])


def test_default_period_is_latest_complete(golden_index):
    assert period_at(golden_index, None) == pidx("2026-04-01")  # as-of 2026-05-11
    assert period_at(golden_index, dt.date(2026, 3, 17)) == pidx("2026-03-01")


def check_totals(ledger, g):
    fig = {r["start"]: r for r in period_figures(ledger, g)}
    index = build_index(ledger, g)
    if index.ps is None:
        return
    for p in range(index.ps.first + 1, index.ps.last + 1):
        f = fig[periods.start(p, g).isoformat()]
        t = {grp: drill(index, p, grp).totals() for grp in GROUPS[:-1]}
        close = lambda a, b: math.isclose(a, b, abs_tol=1e-6)  # noqa: E731
        assert close(t["churned"]["previous"], f["churned_revenue_prev"])
        assert t["churned"]["customers"] == f["churned_customers"]
        assert close(t["retained"]["current"], f["retained_revenue"])
        assert close(t["retained"]["previous"], f["retained_revenue_prev"])
        assert t["retained"]["customers"] == f["retained_customers"]
        assert close(t["contracted"]["change"], f["contraction"])
        assert close(t["expanded"]["change"], f["expansion"])
        assert close(t["new"]["current"], f["new_revenue"])
        assert t["new"]["customers"] == f["new_customers"]
        assert close(t["reactivated"]["current"], f["reactivated_revenue"])
        assert t["reactivated"]["customers"] == f["reactivated_customers"]
        # refunded: the net amounts of non-active customers, o_P and o_{P-1}
        o = f["revenue"] - f["retained_revenue"] - f["new_revenue"] - f["reactivated_revenue"]
        assert close(t["refunded"]["current"], o)


def test_generated_case_totals_match_series():
    rnd = random.Random(7)
    start = dt.date(2024, 1, 1)
    rows = []
    for _ in range(3000):
        c = f"c{rnd.randrange(300)}" if rnd.random() > 0.02 else None
        amount = round(rnd.uniform(-40, 200), 2) if rnd.random() < 0.1 else round(
            rnd.uniform(1, 300), 2)
        rows.append((c, start + dt.timedelta(days=rnd.randrange(700)), amount))
    ledger = ledger_from_transactions(table(rows))
    for g in ("week", "month", "quarter"):
        check_totals(ledger, g)


customers = st.sampled_from(["a", "b", "c", "d", "e", None])
amounts = st.integers(-5000, 20000).map(lambda c: c / 100)
days = st.integers(0, 200).map(lambda n: dt.date(2025, 1, 1) + dt.timedelta(days=n))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(customers, days, amounts), min_size=1, max_size=40),
       st.sampled_from(["week", "month"]))
def test_totals_match_series_property(rows, g):
    check_totals(ledger_from_transactions(table(rows)), g)


def test_cli_customers_json_csv(golden_dir, capsys):
    assert main(["customers", str(golden_dir), "--period", "month", "--at", "2026-03-01",
                 "--group", "retained", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["customer"], r["previous"], r["current"]) for r in rows] == [
        ("alice", 120.0, 80.0), ("dave", 40.0, 40.0)]
    assert {"customer", "previous", "current", "first_purchase", "last_purchase"} <= set(rows[0])
    assert main(["customers", str(golden_dir), "--at", "2026-02-01", "--group", "churned",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "customer,previous,current,change,first_purchase,last_purchase,orders"
    assert out[1:] == ["bob,50.0,0.0,-50.0,2026-01-09,2026-02-03,1",
                       "carol,30.0,0.0,-30.0,2026-01-12,2026-01-28,2"]


def test_cli_customers_table_default_period(golden_dir, capsys):
    assert main(["customers", str(golden_dir), "--group", "churned"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Churned: active in Mar 2026, not in Apr 2026 (EUR): 4 customers")
    assert out.splitlines()[-1].split() == ["total", "380.00", "0.00", "-380.00"]


def test_cli_csv_is_spreadsheet_safe(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,created_at,amount\n"
        "1,=HYPERLINK(1),2026-01-05,10.00\n2,=HYPERLINK(1),2026-02-05,5.00\n")
    assert main(["customers", str(tmp_path), "--at", "2026-02-01", "--group", "contracted",
                 "--format", "csv"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("'=HYPERLINK(1),10.0,5.0,-5.0,")
