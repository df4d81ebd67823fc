"""At-risk customers computed in the database: the rule of `kpi_tui.metrics.at_risk` (purchase
days, median gap per customer, the shop's percentile of first-to-second gaps, value at stake)
as Ibis window functions and group-bys. Medians are exact (the middle one or two gaps by
row_number); the percentile uses numpy's linear interpolation on the two order statistics it
needs, found from one row per distinct gap length.
"""

from __future__ import annotations

import math

import numpy as np

import ibis

from kpi_tui.database.customers import _date, _run, attributed, epoch_days, period_of, span
from kpi_tui.database.figures import by_parts, in_part
from kpi_tui.metrics import periods
from kpi_tui.metrics.at_risk import AtRisk
from kpi_tui.metrics.groups import AtRiskTotals
from kpi_tui.metrics.series import MICROS


def purchase_gaps(t, d: int, net: bool = True):
    """Purchase days (a positive amount, on or before day d) per customer key: day, date, the
    gap to the previous one (null for the first), the day's rank `i` (0 = first) and the
    customer's net amount on or before d (`net`; False: only key, day, gap and i). Windows,
    not joins: MariaDB joins derived tables slowly."""
    a = attributed(t)
    a = a.filter(a.date <= _date(d))
    daily = a.group_by(["k", "date"]).aggregate(v=a.micros.sum().cast("int64"),
                                                pos=ibis.ifelse(a.micros > 0, 1, 0).max())
    if net:
        daily = daily.mutate(net=daily.v.sum().over(ibis.window(group_by="k")).cast("int64"))
        days = daily.filter(daily.pos == 1).select("k", "date", "net", day=epoch_days(daily.date))
    else:
        days = daily.filter(daily.pos == 1).select("k", day=epoch_days(daily.date))
    w = ibis.window(group_by="k", order_by="day")
    return days.mutate(gap=days.day - days.day.lag().over(w), i=ibis.row_number().over(w))


def linear_percentile(values: list[int], counts: list[int], q: float) -> float | None:
    """np.percentile(x, q) (linear) of the x holding each value `counts` times, from the two
    order statistics it interpolates (numpy's own formula, so the result is bit for bit)."""
    n = int(sum(counts))
    if n == 0:
        return None
    vi = (n - 1) * np.true_divide(np.float64(q), 100)
    lo = int(np.floor(vi))
    if vi >= n - 1:
        lo = hi = n - 1
    else:
        lo, hi = max(lo, 0), max(lo, 0) + 1
    ends = np.cumsum(counts)
    a, b = (np.int64(values[int(np.searchsorted(ends, x, "right"))]) for x in (lo, hi))
    gamma = vi - (lo if vi < n - 1 else -1)  # numpy's gamma (index -1 above the bounds)
    diff = b - a
    return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)


def one_time_gap(t, d: int, rule: AtRisk, run=None, parts: int = 1) -> float | None:
    """The shop's percentile of first-to-second purchase-day gaps on or before day d (`parts`:
    the customers' gap counts one part at a time, added)."""
    return one_time_gaps(t, [d], rule, run, parts)[0]


def one_time_gaps(t, days: list[int], rule: AtRisk, run=None,
                  parts: int = 1) -> list[float | None]:
    """`one_time_gap` on each of `days`, from one query: a customer's first two purchase days
    are the same on every day after the second, so each day counts the gaps whose second day
    is on or before it (the at-risk card's D and the end of the period before: one query
    less, 12 of 54 s on PostgreSQL at 10M rows)."""
    def counts(part):
        gaps = purchase_gaps(in_part(t, part), max(days), net=False)
        first = gaps.filter(gaps.i == 1)
        return first.group_by("gap").aggregate(
            **{f"n{j}": first.count(where=first.day <= d) for j, d in enumerate(days)})

    n = [dict() for _ in days]
    for r in by_parts(lambda e: _run(e, run), counts, parts):
        for j, got in enumerate(n):
            if r[f"n{j}"]:
                got[r["gap"]] = got.get(r["gap"], 0) + int(r[f"n{j}"])
    out = []
    for got in n:
        gaps = sorted(got)
        out.append(linear_percentile(gaps, [got[x] for x in gaps], rule.percentile))
    return out


def assessment(t, g: str, d: int, rule: AtRisk | None = None, run=None, otg=...):
    """One row per customer key with a purchase day on or before d: purchases, last (day),
    days_since, usual_gap, at_risk, net (micros on or before d), periods_n, value_at_stake
    (micros per period, float). `otg`: the one-time-buyer gap, if already known."""
    rule = rule or AtRisk()
    if otg is ...:
        otg = one_time_gap(t, d, rule, run)
    gaps = purchase_gaps(t, d)
    # the median gap: the middle one or two of the customer's n = purchases - 1 gaps
    # (the first day, without a gap, ranks last)
    w = ibis.window(group_by="k", order_by=gaps.gap.fill_null(2**62))
    gaps = gaps.mutate(r=ibis.row_number().over(w),
                       n=gaps.gap.count().over(ibis.window(group_by="k")))
    mid = (gaps.r == (gaps.n - 1) // 2) | (gaps.r == gaps.n // 2)
    s = gaps.group_by("k").aggregate(
        purchases=gaps.count(), last=gaps.day.max(), fp=gaps.date.min(), net=gaps.net.max(),
        median=(gaps.gap.min(where=mid).cast("float64")
                + gaps.gap.max(where=mid).cast("float64")) / 2)
    many = s.purchases >= 2
    usual = ibis.ifelse(many, s.median, ibis.null("float64"))
    limit = ibis.ifelse(many, s.median * rule.k, ibis.null("float64"))
    if otg is not None:
        usual = ibis.ifelse(s.purchases == 1, ibis.literal(otg, "float64"), usual)
        limit = ibis.ifelse(s.purchases == 1, ibis.literal(otg, "float64"), limit)
    days_since = d - s.last
    flagged = (days_since > limit).fill_null(False)
    if rule.max_days > 0:
        flagged &= days_since <= rule.max_days
    # periods from the first purchase's period to D's, both included
    first_p = period_of(s.fp, g)
    d_p = periods.period_of(d, g)
    periods_n = (d_p - first_p + 1).cast("int64")
    stake = ibis.greatest(s.net, 0).cast("float64") / periods_n.cast("float64")
    return s.mutate(days_since=days_since.cast("int64"), usual_gap=usual, at_risk=flagged,
                    periods_n=periods_n, value_at_stake=stake)


def row_fields(r: dict) -> dict:
    """The at-risk columns of a row, as Drill.rows() gives them (money in units). Plain floats
    (per row, numpy's scalars took half the time of a streamed list's rows): the same IEEE
    operations as numpy's: a division of doubles, and np.round(x, 2), which is rint(x * 100)
    / 100 (Python's round of a float is half to even too)."""
    gap = r["usual_gap"]
    stake = float(max(int(r["net"]), 0)) / float(max(int(r["periods_n"]), 1))
    return {"days_since": int(r["days_since"]),
            "usual_gap": None if gap is None else _round2(float(gap)),
            "value_at_stake": stake / MICROS}


def _round2(x: float) -> float:
    """np.round(x, 2) of a finite double (gaps: days, not negative)."""
    return math.copysign(round(x * 100.0) / 100.0, x)


def _count(t, g, d, rule, run, parts: int, otg: float | None) -> tuple[int, float]:
    """At-risk customers on day d and their value at stake (`otg`: `one_time_gap` of d)."""
    rule = rule or AtRisk()

    def total(part):
        a = assessment(in_part(t, part), g, d, rule, run, otg)
        a = a.filter(a.at_risk)
        return a.aggregate(n=a.count(), stake=a.value_at_stake.sum())

    got = by_parts(lambda e: _run(e, run), total, parts)
    return (sum(int(r["n"]) for r in got),
            sum(float(r["stake"] or 0.0) for r in got) / MICROS)


def at_risk_totals(t, g: str, as_of=None, rule: AtRisk | None = None, run=None,
                   s=None, parts: int = 1) -> AtRiskTotals | None:
    """As metrics.customers.at_risk_totals: at risk on D and on the last day of the period
    before D's. `parts`: one query per part of the customers (`figures.by_parts`), a large
    DuckDB table's."""
    s = s or span(t, g, as_of, run)
    if s is None:
        return None
    since = periods.end_day(periods.period_of(s.d, g) - 1, g)
    otg, otg0 = one_time_gaps(t, [s.d, since], rule or AtRisk(), run, parts)
    n, stake = _count(t, g, s.d, rule, run, parts, otg)
    n0, stake0 = _count(t, g, since, rule, run, parts, otg0)
    return AtRiskTotals(g, periods.from_day(s.d), n, stake, periods.from_day(since), n0, stake0)
