"""At-risk customers: those whose silence is well past their own buying rhythm.

Rule (as of the as-of date D, counting purchase days: days with a transaction of positive
amount, on or before D):
- `days_since = D - last purchase day`.
- A customer with two or more purchase days is at risk when `days_since > k × median gap`
  between its consecutive purchase days (default k = 2).
- A one-time buyer is at risk when `days_since` is more than the shop's `percentile`-th
  percentile (default 80, linear interpolation) of the gap between first and second purchase
  day, over the customers who have a second one. With no such customer, no one-time buyer is
  flagged.
- Value at stake: the customer's average spend per period = its net amount (all transactions
  on or before D) / the number of periods of the granularity from the period of its first
  purchase to the period holding D, both included; never below 0. At-risk customers are ranked
  by it, largest first.

Settings: `[at_risk]` in kpi-tui.toml: `k`, `percentile`, and `max_days` (default 0: no limit;
when set, customers silent for more than that many days count as lost, not at risk, so that
long-gone customers do not fill the list).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpi_tui.metrics.periods import period_index, period_of
from kpi_tui.settings import AtRisk  # the rule's settings, typed and checked there


@dataclass
class Assessment:
    """Every customer with a purchase day on or before D, by customer code (length = customers)."""

    purchases: np.ndarray  # int64 number of distinct purchase days (0: none)
    last_day: np.ndarray  # int64 last purchase day (meaningless where purchases == 0)
    days_since: np.ndarray  # int64 D - last_day
    usual_gap: np.ndarray  # float64 median gap, or the shop percentile for one-time buyers (nan: none)
    at_risk: np.ndarray  # bool
    value_at_stake: np.ndarray  # float64 micros per period, >= 0
    one_time_gap: float | None  # the shop's percentile of first-to-second gaps

    def stake(self) -> float:
        """Value at stake of all the at-risk customers together, micros per period."""
        return float(self.value_at_stake[self.at_risk].sum())

    def ranked(self) -> np.ndarray:
        """Codes of the at-risk customers, largest value at stake first (ties: by code)."""
        codes = np.flatnonzero(self.at_risk)
        return codes[np.lexsort((codes, -self.value_at_stake[codes]))]


def distinct_days(codes: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (code, day) pairs without repeats; input sorted by code then day."""
    if len(codes) == 0:
        return codes, days
    keep = np.r_[True, (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])]
    return codes[keep], days[keep]


def medians(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of `values` per group code (nan for a group without values)."""
    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    counts = np.diff(np.r_[starts, len(g)])
    lo = v[starts + (counts - 1) // 2]
    hi = v[starts + counts // 2]
    out[g[starts]] = (lo + hi) / 2
    return out


def assess(codes: np.ndarray, days: np.ndarray, n_customers: int, d: int,
           net_micros: np.ndarray, first_purchase_day: np.ndarray, g: str,
           rule: AtRisk = AtRisk()) -> Assessment:
    """`codes`/`days`: positive transactions on or before `d`, sorted by code then day.
    `net_micros`: per customer, net amount of all its transactions on or before `d`."""
    codes, days = distinct_days(np.asarray(codes, np.int64), np.asarray(days, np.int64))
    purchases = np.bincount(codes, minlength=n_customers).astype(np.int64)
    last_day = np.zeros(n_customers, np.int64)
    if len(codes):
        ends = np.r_[codes[1:] != codes[:-1], True]
        last_day[codes[ends]] = days[ends]
    same = codes[1:] == codes[:-1]
    gaps = (days[1:] - days[:-1])[same]
    gap_codes = codes[1:][same]
    median_gap = medians(gap_codes, gaps.astype(np.float64), n_customers)
    # first-to-second gaps: the first gap of each customer that has one
    first_gap = np.r_[True, gap_codes[1:] != gap_codes[:-1]] if len(gap_codes) else np.zeros(0, bool)
    second = gaps[first_gap]
    one_time_gap = float(np.percentile(second, rule.percentile)) if len(second) else None
    days_since = d - last_day
    usual = np.where(purchases >= 2, median_gap, np.nan)
    limit = np.where(purchases >= 2, rule.k * median_gap, np.inf)
    if one_time_gap is not None:
        usual = np.where(purchases == 1, one_time_gap, usual)
        limit = np.where(purchases == 1, one_time_gap, limit)
    flagged = (purchases > 0) & (days_since > limit)
    if rule.max_days > 0:
        flagged &= days_since <= rule.max_days
    # value at stake: net amount / periods from the first purchase's period to D's, both in
    has = purchases > 0
    periods_n = np.ones(n_customers, np.int64)
    d_period = period_of(d, g)
    periods_n[has] = d_period - period_index(first_purchase_day[has], g) + 1
    stake = np.where(has, np.maximum(net_micros, 0) / np.maximum(periods_n, 1), 0.0)
    return Assessment(purchases, last_day, days_since, usual, flagged, stake, one_time_gap)
