import datetime as dt
import itertools
import math

import pytest

from kpi_tui.alerts import AlertHistory, Finding, evaluate
from kpi_tui.alerts.rules import (
    latest_complete,
    mann_kendall_p_up,
    mann_kendall_s,
    theil_sen_slope,
    year_ago_start,
)
from kpi_tui.settings import Thresholds

NOW = dt.datetime(2026, 5, 13, 2, 0, tzinfo=dt.timezone.utc)


def months(values, first=(2026, 1), complete_last=True, **cols):
    """Crafted month rows: acv from `values`, other columns from lists in `cols`."""
    rows = []
    y, m = first
    for i, v in enumerate(values):
        r = dict(start=dt.date(y, m, 1).isoformat(), acv=v, complete=True, churn_rate=None,
                 acv_change=None, retained_customers=None, churned_customers=None,
                 churn_effect=None, spend_effect=None, acquisition_effect=None,
                 other_effect=None)  # fmt: skip
        for k, vals in cols.items():
            r[k] = vals[i]
        rows.append(r)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    rows[-1]["complete"] = complete_last
    return rows


def rules(findings, rule=None):
    return [f for f in findings if rule is None or f.rule == rule]


def ev(rows, **kw):
    kw.setdefault("currency", "EUR")
    return evaluate(rows, "month", Thresholds(), **kw)


# ---- decline --------------------------------------------------------------------------------


def test_issue_banner_example():
    rows = months([100.0, 80.0])
    rows[1].update(acv_change=-20.0, retained_customers=10, churned_customers=0,
                   retained_revenue=800.0, retained_revenue_prev=1000.0, churn_effect=0.0,
                   spend_effect=-20.0, acquisition_effect=0.0, other_effect=0.0)  # fmt: skip
    (f,) = ev(rows, period_label=lambda s: {"2026-01-01": "January"}.get(s, s))
    assert f == Finding(
        "decline",
        "decline:month:previous:2026-02-01",
        "warning",
        "⚠ Average customer value down 20.0% vs January: "
        "existing customers spent less (-€20.00 per customer)",
        f.detail,
        "2026-02-01",
    )
    assert f.detail.startswith("€80.00 in 2026-02-01, €100.00 in January. Existing customers")


@pytest.mark.parametrize("acv, fires", [(95.0, False), (94.99, True), (95.01, False)])
def test_decline_boundary_vs_previous(acv, fires):
    # exactly 5% does not fire, 5.01% does
    got = rules(ev(months([100.0, acv])), "decline")
    assert len(got) == (1 if fires else 0)
    if fires:
        assert got[0].message == "⚠ Average customer value down 5.0% vs January 2026"


def test_decline_boundary_other_values():
    # float noise must not fire: 0.95 / 1.0 - 1 is -0.050000000000000044
    assert rules(ev(months([1.0, 0.95])), "decline") == []
    assert rules(ev(months([123.45, 123.45 * 0.95])), "decline") == []


def test_in_progress_period_is_never_judged():
    rows = months([100.0, 100.0, 10.0], complete_last=False)
    assert rules(ev(rows), "decline") == []
    rows[-1]["complete"] = True
    assert len(rules(ev(rows), "decline")) == 1
    assert latest_complete(months([1.0, 2.0], complete_last=False)) == 0
    assert latest_complete(months([1.0], complete_last=False)) is None
    assert ev(months([1.0], complete_last=False)) == []


def test_decline_vs_year_ago():
    vals = [120.0] + [100.0] * 12  # Jan 2025 .. Jan 2026
    (f,) = rules(ev(months(vals, first=(2025, 1))), "decline")
    assert f.key == "decline:month:year_ago:2026-01-01"
    assert f.message == (
        "⚠ Average customer value down 16.7% vs January 2025 (€100.00, was €120.00)"
    )
    # 11 months back is not a year back
    assert rules(ev(months(vals[1:] + [100.0], first=(2025, 2))), "decline") == []
    # an explicit year-ago row wins over the look-up
    assert rules(ev(months(vals, first=(2025, 1)), year_ago_row={"start": "2025-01-01",
                                                                 "acv": 104.0}), "decline") == []
    got = rules(ev(months(vals, first=(2025, 1)), year_ago_row={"start": "2025-01-01",
                                                                "acv": 106.0}), "decline")
    assert [f.message for f in got] == [
        "⚠ Average customer value down 5.7% vs January 2025 (€100.00, was €106.00)"
    ]


def test_decline_both_and_nulls():
    vals = [120.0] + [110.0] * 11 + [100.0]
    got = rules(ev(months(vals, first=(2025, 1))), "decline")
    assert [f.key for f in got] == ["decline:month:previous:2026-01-01",
                                    "decline:month:year_ago:2026-01-01"]  # fmt: skip
    assert rules(ev(months([None, 50.0])), "decline") == []
    assert rules(ev(months([100.0, None])), "decline") == []


def test_year_ago_start():
    assert year_ago_start(dt.date(2026, 3, 1), "month") == dt.date(2025, 3, 1)
    assert year_ago_start(dt.date(2026, 4, 1), "quarter") == dt.date(2025, 4, 1)
    assert year_ago_start(dt.date(2026, 1, 1), "year") == dt.date(2025, 1, 1)
    assert year_ago_start(dt.date(2026, 5, 11), "week") == dt.date(2025, 5, 12)  # both Mondays
    assert year_ago_start(dt.date(2028, 2, 29), "day") == dt.date(2027, 2, 28)
    assert year_ago_start(dt.date(2026, 5, 11), "day") == dt.date(2025, 5, 11)


# ---- flattening -----------------------------------------------------------------------------


def flat(values, n=4):
    return rules(evaluate(months(values), "month", Thresholds(flat_periods=n)), "flattening")


def test_statistics():
    assert theil_sen_slope([100, 100.5, 100, 100.5]) == pytest.approx(0.5 / 6)
    assert theil_sen_slope([1, 2, 3, 10]) == 2.0  # median of 1, 1, 1, 3, 4, 7
    assert theil_sen_slope([5]) == 0.0
    assert mann_kendall_s([1, 2, 3, 4]) == 6
    assert mann_kendall_s([1, 2, 2, 1]) == 0
    assert mann_kendall_p_up([1, 2, 3, 4]) == 1 / 24
    assert mann_kendall_p_up([1, 2, 4, 3]) == 4 / 24
    assert mann_kendall_p_up([1, 2, 2, 3]) == 1 / 12  # ties: 12 distinct orderings
    assert mann_kendall_p_up([7, 7, 7, 7]) == 1.0
    # normal approximation beyond 10 values: S = 66, var = 12*11*29/18
    z = 65 / math.sqrt(12 * 11 * 29 / 18)
    assert mann_kendall_p_up(range(12)) == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))


@pytest.mark.parametrize("y", [[3, 1, 2, 2, 5, 4], [1, 1, 2, 3, 3, 0], [4, 3, 2, 1, 9, 8, 7]])
def test_exact_mann_kendall_matches_brute_force(y):
    s = mann_kendall_s(y)
    perms = list(itertools.permutations(y))
    expected = sum(mann_kendall_s(p) >= s for p in perms) / len(perms)
    assert mann_kendall_p_up(y) == pytest.approx(expected, abs=1e-12)


def test_flattening_flat_series_fires():
    (f,) = flat([100.0, 100.5, 100.0, 100.5])
    assert f.key == "flattening:month"
    assert f.severity == "notice"
    assert f.message == (
        "⚠ Average customer value flat over the last 4 months (January 2026 to April 2026): "
        "trend +0.1% per month"
    )


def test_flattening_rising_series_does_not_fire():
    assert flat([100.0, 105.0, 110.0, 115.0]) == []  # MK p = 1/24 < 0.05, slope 4.7%


def test_flattening_slope_boundary():
    assert len(flat([98.5, 99.5, 100.5, 101.5])) == 1  # slope exactly 1% of the mean: flat
    assert flat([98.485, 99.495, 100.505, 101.515]) == []  # 1.01%


def test_flattening_no_upward_trend_fires():
    (f,) = flat([100.0, 110.0, 105.0, 120.0])  # slope 5.3% but one step down: p = 4/24
    assert f.message.startswith("⚠ Average customer value not growing over the last 4 months")
    assert f.message.endswith("trend +5.4% per month")  # 5.83 / 108.75
    assert "p = 0.167 (no upward trend)" in f.detail
    assert len(flat([120.0, 110.0, 100.0, 90.0])) == 1  # falling


def test_flattening_needs_the_window():
    assert flat([100.0, 100.0, 100.0]) == []  # only 3 periods
    assert flat([100.0, None, 100.0, 100.0]) == []
    # only the last n complete periods count; the in-progress one is ignored
    rows = months([50.0, 100.0, 110.0, 120.0, 130.0, 100.0], complete_last=False)
    assert rules(evaluate(rows, "month", Thresholds()), "flattening") == []
    # a longer window: 6 strictly rising periods, p = 1/720
    assert flat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], n=6) == []


# ---- churn spike ----------------------------------------------------------------------------


def churn(rates, left=15, kept=85):
    rows = months([100.0] * len(rates), churn_rate=rates,
                  churned_customers=[left] * len(rates), retained_customers=[kept] * len(rates))
    return rules(ev(rows), "churn_spike")  # fmt: skip


def test_churn_spike_boundary():
    assert churn([None] + [0.10] * 6 + [0.15]) == []  # exactly 5 points
    (f,) = churn([None] + [0.10] * 6 + [0.1501])
    assert f.message == (
        "⚠ Churn rate 15.0% in August 2026, 5.0 points above its recent mean of 10.0%: "
        "15 of 100 customers left"
    )
    assert f.key == "churn_spike:month:2026-08-01"


def test_churn_spike_uses_only_the_previous_six():
    # an old high churn rate (0.9) falls outside the window of 6
    assert len(churn([0.9] + [0.10] * 6 + [0.20])) == 1
    assert churn([0.9] + [0.10] * 5 + [0.20]) == []  # 0.9 inside: mean 0.233


def test_churn_spike_needs_history():
    assert churn([None, 0.1, 0.1, 0.5]) == []  # 2 earlier rates only
    assert len(churn([None, 0.1, 0.1, 0.1, 0.5])) == 1
    assert churn([0.1] * 6 + [None]) == []


# ---- stale data, files, warnings --------------------------------------------------------------


def stale(**kw):
    kw.setdefault("now", NOW)
    return rules(ev([], **kw), "stale_data")


def test_stale_transaction_boundary():
    # a date counts as the end of its day: 11 May ends 12 May 00:00, 26 h before NOW
    assert stale(newest_txn=dt.date(2026, 5, 11)) == []
    (f,) = stale(newest_txn=dt.date(2026, 5, 11), now=NOW + dt.timedelta(minutes=1))
    assert f.message == (
        "⚠ Data may be stale: newest transaction on Mon 11 May 2026 (day ended 26 h ago)"
    )
    (f,) = stale(newest_txn=dt.date(2026, 5, 1))
    assert f.message.endswith("(day ended 11 days ago)")


def test_stale_file_boundary():
    t = NOW.timestamp()
    assert stale(newest_file_mtime=t - 26 * 3600) == []
    (f,) = stale(newest_file_mtime=t - 26 * 3600 - 60)
    assert f.message == "⚠ Data may be stale: newest file changed 26 h ago"
    assert stale(newest_txn=None, newest_file_mtime=None) == []
    assert rules(ev([], newest_txn=dt.date(2000, 1, 1)), "stale_data") == []  # no clock


def test_naive_now():
    naive = dt.datetime(2026, 5, 13, 2, 0)
    assert rules(ev([], now=naive, newest_txn=dt.date(2026, 5, 11)), "stale_data") == []
    assert len(rules(ev([], now=naive, newest_txn=dt.date(2026, 5, 10)), "stale_data")) == 1


def test_files_skipped_and_warnings():
    got = ev([], skipped=[("b.csv", "Not a sales export: no amount column."),
                          ("a.xlsx", "cannot be read")],
             warnings=["12 rows in USD left out: no rate to EUR (give one with --rates)",
                       "something else"])  # fmt: skip
    assert [(f.rule, f.message) for f in got] == [
        ("files_skipped",
         "⚠ 2 files skipped: b.csv (Not a sales export: no amount column); "
         "a.xlsx (cannot be read)"),
        ("currency_left_out", "⚠ 12 rows in USD left out: no rate to EUR (give one with --rates)"),
        ("data_warning", "⚠ something else"),
    ]  # fmt: skip
    assert got[0].key == "files_skipped:a.xlsx|b.csv"
    assert all(f.message.startswith("⚠ ") for f in got)


# ---- history --------------------------------------------------------------------------------


def F(key, msg="⚠ x"):
    return Finding(key.split(":")[0], key, "warning", msg)


def test_history_start_stay_end():
    h = AlertHistory()
    t = [dt.datetime(2026, 5, 1, 10, i) for i in range(4)]
    assert [a.key for a in h.update([F("decline:a")], t[0])] == ["decline:a"]
    assert h.update([F("decline:a", "⚠ y"), F("stale_data")], t[1])[0].key == "stale_data"
    (a, b) = h.active()
    assert (a.key, a.started_at, a.finding.message) == ("decline:a", t[0], "⚠ y")
    assert h.past() == []
    h.update([F("stale_data")], t[2])
    assert [x.key for x in h.active()] == ["stale_data"]
    (p,) = h.past()
    assert (p.key, p.started_at, p.ended_at) == ("decline:a", t[0], t[2])
    h.update([], t[3])
    assert h.active() == []
    assert [(x.key, x.ended_at) for x in h.past()] == [("stale_data", t[3]), ("decline:a", t[2])]
    # firing again later is a new alert
    h.update([F("decline:a")], t[3])
    assert h.active()[0].started_at == t[3]


def test_history_scopes_and_bound():
    h = AlertHistory(max_past=3)
    t0 = dt.datetime(2026, 1, 1)
    h.update([F("flattening:month")], t0, scope="month")
    h.update([], t0, scope="week")  # another scope does not end it
    assert [a.key for a in h.active("month")] == ["flattening:month"]
    for i in range(5):
        h.update([F(f"k:{i}")], t0 + dt.timedelta(hours=i), scope="week")
    h.update([], t0 + dt.timedelta(hours=9), scope="week")
    assert [a.key for a in h.past()] == ["k:4", "k:3", "k:2"]


def test_history_persistence(tmp_path):
    path = tmp_path / "state" / "alert-history.json"
    h = AlertHistory(path=path)
    t0 = dt.datetime(2026, 1, 1, 8, 0)
    h.update([F("a"), F("b", "⚠ Churn – 5 €")], t0)
    h.update([F("b", "⚠ Churn – 5 €")], t0 + dt.timedelta(hours=1))
    assert h.save()
    g = AlertHistory.load(path)
    assert [(a.key, a.started_at, a.finding.message) for a in g.active()] == [
        ("b", t0, "⚠ Churn – 5 €")
    ]
    assert [(a.key, a.ended_at) for a in g.past()] == [("a", t0 + dt.timedelta(hours=1))]
    path.write_text("{broken")
    assert AlertHistory.load(path).active() == []
    assert AlertHistory.load(tmp_path / "missing.json").past() == []


def test_history_quiet_period_stops_flapping(tmp_path):
    """Issue 13 item 12: a rule that flaps while exports arrive fires once; it fires again
    only after it stopped holding for a full quiet period (kept across runs, for --once)."""
    q = dt.timedelta(minutes=2)
    h = AlertHistory(path=tmp_path / "h.json", quiet=q)
    t0 = dt.datetime(2026, 5, 1, 10, 0)
    sec = lambda n: t0 + dt.timedelta(seconds=n)  # noqa: E731
    assert len(h.update([F("decline:m")], sec(0))) == 1
    assert h.update([], sec(5)) == []  # a burst: not held for 5 s...
    assert h.update([F("decline:m")], sec(9)) == []  # ...held again: the same alert goes on
    assert [a.started_at for a in h.active()] == [t0] and h.past() == []
    h.update([], sec(20))  # stops holding at 20 s
    assert h.save()
    g = AlertHistory.load(tmp_path / "h.json", quiet=q)  # the next --once run
    g.update([], sec(20 + 119))
    assert [a.key for a in g.active()] == ["decline:m"]
    g.update([], sec(20 + 120))
    assert g.active() == [] and [(a.key, a.ended_at) for a in g.past()] == [("decline:m", sec(20))]
    assert len(g.update([F("decline:m")], sec(200))) == 1  # a new alert after the quiet period
    # reported again after the quiet period without a look in between: ended, then new
    h2 = AlertHistory(quiet=q)
    h2.update([F("x")], sec(0))
    h2.update([], sec(10))
    assert len(h2.update([F("x")], sec(10 + 121))) == 1
    assert [(a.key, a.ended_at) for a in h2.past()] == [("x", sec(10))]


def test_history_default_path_is_the_state_dir(tmp_path):
    from kpi_tui.alerts.history import default_path

    p = default_path()
    assert p.name == "alert-history.json"
    assert "kpi-tui" in p.parts
