"""Cohort table values on a hand-checked example."""

import datetime as dt
import json

import numpy as np
import pyarrow as pa

from kpi_tui.cli import main
from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import cohorts, shade
from kpi_tui.metrics.ledger import ledger_from_transactions, period_sums


def build(rows, g="month", as_of=None):
    cust, date, amount = zip(*rows)
    L = ledger_from_transactions(pa.table({
        "customer": pa.array(list(cust), pa.string()),
        "date": pa.array(list(date), pa.date32()),
        "amount": pa.array(list(amount), pa.float64()),
    }))
    d = periods.to_day(as_of) if as_of else L.last_day
    return cohorts(period_sums(L, g), g, d)


D = dt.date


def test_hand_checked_cohorts():
    rows = [
        ("a", D(2026, 1, 5), 100.0), ("b", D(2026, 1, 20), 50.0),   # January cohort: a, b
        ("a", D(2026, 2, 3), 30.0), ("b", D(2026, 3, 1), 20.0),
        ("b", D(2026, 3, 9), -70.0),                                 # b net -50 in March
        ("c", D(2026, 1, 2), -10.0), ("c", D(2026, 2, 14), 40.0),   # c: refund before 1st buy
        ("c", D(2026, 3, 14), 40.0),                                 # February cohort: c
        (None, D(2026, 3, 20), 99.0),                                # unattributed: ignored
    ]
    c = build(rows, as_of=D(2026, 3, 20))
    assert c.size.tolist() == [2, 1, 0]
    assert c.active.tolist() == [[2, 1, 0], [1, 1, -1], [0, -1, -1]]
    share = c.share()
    assert share[0].tolist() == [1.0, 0.5, 0.0] and share[1, :2].tolist() == [1.0, 1.0]
    v = c.per_customer()
    assert v[0].tolist() == [75.0, 90.0, 65.0]   # 150/2, +30, -50
    assert v[1, :2].tolist() == [40.0, 80.0]     # c's January refund is before its cohort
    assert np.isnan(v[1, 2])
    rec = c.to_records()
    assert [r["cohort"] for r in rec] == ["2026-01-01", "2026-02-01"]  # empty March left out
    assert rec[0]["periods"][2] == {"offset": 2, "start": "2026-03-01", "active_customers": 0,
                                    "active_share": 0.0, "value_per_customer": 65.0,
                                    "complete": False}
    assert rec[0]["periods"][1]["complete"] is True
    assert len(c.to_rows()) == 5


def test_shade_levels():
    assert [shade(x) for x in (0, 0.1, 0.25, 0.6, 0.75, 1.0, -3, float("nan"))] == [
        " ", "░", "▒", "▓", "█", "█", " ", " "]


def test_cli_cohorts(golden_dir, capsys):
    assert main(["cohorts", str(golden_dir), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    jan = out["cohorts"][0]
    assert (jan["cohort"], jan["customers"]) == ("2026-01-01", 3)
    assert [p["value_per_customer"] for p in jan["periods"]] == [60.0, 100.0, 440 / 3, 440 / 3,
                                                                  530 / 3]
    assert [p["active_customers"] for p in jan["periods"]] == [3, 1, 2, 0, 1]
    assert main(["cohorts", str(golden_dir), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("cohort,customers,offset,start,active_customers,active_share,"
                        "value_per_customer,complete")
    assert lines[1] == "2026-01-01,3,0,2026-01-01,3,1.0,60.0,true"
    assert main(["cohorts", str(golden_dir)]) == 0
    table = capsys.readouterr().out
    assert "Jan 2026          3  █ 100%   ▒ 33%   ▓ 67%      0%   ▒ 33%" in table
