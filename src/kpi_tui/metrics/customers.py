"""Who is behind a movement: the customers of each group of METRICS.md for a period P.

Groups (the same tests as `movements.series`, so each list adds up to its figure):
- `churned`: active in P-1, not in P. Σ previous = churned_revenue_prev.
- `retained`: active in both. Σ current = retained_revenue, Σ previous = retained_revenue_prev;
  `contracted` (current < previous, Σ change = contraction) and `expanded` (Σ change = expansion).
- `new`: active in P, not in P-1, first purchase in P. Σ current = new_revenue.
- `reactivated`: active in P, not in P-1, first purchase before P. Σ current = reactivated_revenue.
- `refunded`: a negative net amount in P or P-1 (what other_effect is made of):
  Σ min(current, 0) and Σ min(previous, 0) are the net amounts of the non-active customers.
- `at-risk`: see `kpi_tui.metrics.at_risk`.

Row fields: `customer`; `previous` = v(c,P-1) and `current` = v(c,P); `change` = current -
previous; `first_purchase`: date of the earliest transaction with a positive amount;
`last_purchase`: the latest transaction with a positive amount on or before the last day of P
(for at-risk customers: on or before the as-of date, which the rule judges); `orders`: number of
transactions with a positive amount in P (for churned customers: in P-1, the period they left;
for at-risk customers, silent by definition: all of them up to the as-of date).

Ranking: churned by previous, new / reactivated by current (largest first); retained and
contracted by change (largest drop first); expanded by change (largest rise first); refunded by
their negative amount (largest first); at-risk by value at stake. Ties: by customer name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.metrics import periods
from kpi_tui.metrics.at_risk import AtRisk, Assessment, assess
from kpi_tui.metrics.figures import as_of_day
from kpi_tui.metrics.groups import (AT_RISK_COLUMNS, COLUMNS, EFFECT_GROUPS,  # noqa: F401
                                    FIGURE_OF, GROUPS, TITLES, AtRiskTotals)
from kpi_tui.metrics.ledger import MICROS, NO_PURCHASE, Ledger, PeriodSums, period_sums


@dataclass
class CustomerIndex:
    """Per-customer aggregates of one granularity, computed once (off the UI thread)."""

    ledger: Ledger
    g: str
    d: int | None  # as-of day
    ps: PeriodSums | None
    row_key: np.ndarray  # per ps row: customer * stride + (period - first + 1), sorted
    v_prev: np.ndarray  # per ps row: v(c,P-1), 0 if none
    v_next: np.ndarray  # per ps row: v(c,P+1), 0 if none
    pos_key: np.ndarray  # positive transactions: customer * day_stride + (day - first_day), sorted
    day_stride: int
    fp_day: np.ndarray  # per customer: first purchase day
    name_rank: np.ndarray  # per customer: rank of its name
    rule: AtRisk = field(default_factory=AtRisk)
    _assessment: Assessment | None = None

    @property
    def stride(self) -> int:
        return 0 if self.ps is None else self.ps.last - self.ps.first + 3

    def assessment(self, day: int | None = None) -> Assessment | None:
        """The at-risk rule as of the as-of day (kept), or as of another `day`."""
        if day is not None and day != self.d:
            return self._assess(day)
        if self._assessment is None and self.d is not None:
            self._assessment = self._assess(self.d)
        return self._assessment

    def _assess(self, d: int) -> Assessment:
        L = self.ledger
        f = L.first_day or 0
        pos = self.pos_key % self.day_stride <= d - f
        codes = self.pos_key[pos] // self.day_stride
        days = self.pos_key[pos] % self.day_stride + f
        upto = L.day <= d
        net = np.bincount(L.customer[upto], weights=L.micros[upto], minlength=L.customers)
        return assess(codes, days, L.customers, d, net, self.fp_day, self.g, self.rule)

    # -- lookups for a set of customer codes -------------------------------------------
    def v_at(self, codes: np.ndarray, p: int) -> np.ndarray:
        """v(c,p) in micros for each code (0 where the customer has no transaction in p)."""
        if self.ps is None or len(self.row_key) == 0 or len(codes) == 0:
            return np.zeros(len(codes), np.int64)
        if not self.ps.first <= p <= self.ps.last:
            return np.zeros(len(codes), np.int64)
        order = np.argsort(codes, kind="stable")
        key = codes[order].astype(np.int64) * self.stride + (p - self.ps.first + 1)
        i = np.minimum(np.searchsorted(self.row_key, key), len(self.row_key) - 1)
        out = np.empty(len(codes), np.int64)
        out[order] = np.where(self.row_key[i] == key, self.ps.v[i], 0)
        return out

    def _pos(self, codes: np.ndarray, day: int, side: str) -> np.ndarray:
        f = self.ledger.first_day or 0
        off = min(max(day - f, -1), self.day_stride - 1)
        return np.searchsorted(self.pos_key, codes.astype(np.int64) * self.day_stride + off, side)

    def orders(self, codes: np.ndarray, first: int, last: int) -> np.ndarray:
        """Number of positive transactions of each code with first <= day <= last."""
        if last < first:
            return np.zeros(len(codes), np.int64)
        f = self.ledger.first_day or 0
        lo = self._pos(codes, max(first, f), "left")
        return (self._pos(codes, last, "right") - lo).astype(np.int64)

    def last_purchase(self, codes: np.ndarray, day: int) -> np.ndarray:
        """Latest positive transaction day of each code on or before `day` (NO_PURCHASE: none)."""
        out = np.full(len(codes), NO_PURCHASE, np.int64)
        if len(self.pos_key) == 0 or len(codes) == 0:
            return out
        i = self._pos(codes, day, "right") - 1
        ok = i >= 0
        j = np.maximum(i, 0)
        ok &= self.pos_key[j] // self.day_stride == codes
        f = self.ledger.first_day or 0
        out[ok] = self.pos_key[j[ok]] % self.day_stride + f
        return out


def at_risk_totals(index: CustomerIndex) -> AtRiskTotals | None:
    a = index.assessment()
    if a is None:
        return None
    d, g = index.d, index.g
    since = periods.end_day(periods.period_of(d, g) - 1, g)
    b = index.assessment(since)
    u = index.ledger.scale
    return AtRiskTotals(g, periods.from_day(d), int(a.at_risk.sum()), a.stake() / u,
                        periods.from_day(since), int(b.at_risk.sum()), b.stake() / u)


def build_index(ledger: Ledger, g: str, as_of: dt.date | None = None,
                rule: AtRisk | None = None) -> CustomerIndex:
    ps = period_sums(ledger, g)
    d = as_of_day(ledger, as_of)
    if ps is None:
        e = np.zeros(0, np.int64)
        return CustomerIndex(ledger, g, d, None, e, e, e, e, 1, e, e, rule or AtRisk())
    n = ps.last - ps.first + 3
    key = ps.customer * n + (ps.period - ps.first + 1)
    last = len(key) - 1
    prev_i = np.minimum(np.searchsorted(key, key - 1), last)
    v_prev = np.where(key[prev_i] == key - 1, ps.v[prev_i], 0)
    next_i = np.minimum(np.searchsorted(key, key + 1), last)
    v_next = np.where(key[next_i] == key + 1, ps.v[next_i], 0)
    f = ledger.first_day
    day_stride = ledger.last_day - f + 2
    pos = ledger.micros > 0
    pos_key = np.sort(ledger.customer[pos].astype(np.int64) * day_stride + (ledger.day[pos] - f))
    ranks = np.empty(ledger.customers, np.int64)
    ranks[arrow.to_numpy(pc.array_sort_indices(arrow.strings(ledger.names)))] = np.arange(
        ledger.customers)
    return CustomerIndex(ledger, g, d, ps, key, v_prev, v_next, pos_key, day_stride,
                         ledger.first_purchase_day(), ranks, rule or AtRisk())


@dataclass
class Drill:
    """The customers of one group for period P, ranked; money in micros."""

    group: str
    g: str
    period: int
    code: np.ndarray
    previous: np.ndarray
    current: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    orders: np.ndarray
    names: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # at-risk columns
    as_of: int | None = None
    scale: int = MICROS  # units of the money columns per currency unit

    def __len__(self) -> int:
        return len(self.code)

    @property
    def change(self) -> np.ndarray:
        return self.current - self.previous

    def title(self) -> str:
        cur = periods.label(self.period, self.g)
        prev = periods.label(self.period - 1, self.g)
        asof = "" if self.as_of is None else periods.from_day(self.as_of).isoformat()
        return TITLES[self.group].format(cur=cur, prev=prev, asof=asof)

    def columns(self) -> tuple[str, ...]:
        return COLUMNS + (AT_RISK_COLUMNS if self.group == "at-risk" else ())

    def totals(self) -> dict:
        """Sums in units: customers, previous, current, change (and value at stake)."""
        u = self.scale
        out = {"customers": len(self), "previous": _units(self.previous.sum(), u),
               "current": _units(self.current.sum(), u), "change": _units(self.change.sum(), u)}
        if self.group == "refunded":
            out["previous"] = _units(np.minimum(self.previous, 0).sum(), u)
            out["current"] = _units(np.minimum(self.current, 0).sum(), u)
            out["change"] = out["current"] - out["previous"]
        if "value_at_stake" in self.extra:
            out["value_at_stake"] = float(self.extra["value_at_stake"].sum()) / u
        return out

    def rows(self, limit: int | None = None, take: np.ndarray | None = None) -> list[dict]:
        """The list as dicts, money in units: the first `limit` rows, or rows `take`."""
        t = np.arange(len(self) if limit is None else min(limit, len(self))) if take is None \
            else np.asarray(take, np.int64)
        cols = {
            "customer": self.names[t].tolist(),
            "previous": (self.previous[t] / self.scale).tolist(),
            "current": (self.current[t] / self.scale).tolist(),
            "change": ((self.current[t] - self.previous[t]) / self.scale).tolist(),
            "first_purchase": _iso_days(self.first_day[t]),
            "last_purchase": _iso_days(self.last_day[t]),
            "orders": self.orders[t].tolist(),
        }
        if self.extra:
            gap = np.round(self.extra["usual_gap"][t], 2)
            cols["days_since"] = self.extra["days_since"][t].tolist()
            cols["usual_gap"] = [None if x != x else x for x in gap.tolist()]
            cols["value_at_stake"] = (self.extra["value_at_stake"][t] / self.scale).tolist()
        keys = tuple(cols)
        return [dict(zip(keys, values)) for values in zip(*cols.values())]


def _units(micros, scale: int = MICROS) -> float:
    return int(micros) / scale


def _iso_days(days: np.ndarray) -> list[str | None]:
    ok = days != NO_PURCHASE
    s = np.where(ok, days, 0).astype("datetime64[D]").astype(str)
    return [x if k else None for x, k in zip(s.tolist(), ok.tolist())]


def period_at(index: CustomerIndex, at: dt.date | None) -> int | None:
    """The period holding `at`; default: the latest complete period (else the last one)."""
    ps = index.ps
    if ps is None:
        return None
    if at is not None:
        return periods.period_of(periods.to_day(at), index.g)
    p = ps.last
    while p > ps.first and (index.d is None or periods.end_day(p, index.g) > index.d):
        p -= 1
    if index.d is not None and periods.end_day(p, index.g) > index.d:
        return ps.last  # no complete period yet
    return p


def drill(index: CustomerIndex, p: int, group: str) -> Drill:
    """The customers of `group` in period `p` (an index of index.g), ranked."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; one of {', '.join(GROUPS)}")
    ps = index.ps
    e = np.zeros(0, np.int64)
    if ps is None:
        return _finish(index, p, group, e, e, e, e)
    if group == "at-risk":
        a = index.assessment()
        codes = e if a is None else a.ranked()
        if len(codes):  # ties: by name, as every list (codes follow the files' order)
            codes = codes[np.lexsort((index.name_rank[codes], -a.value_at_stake[codes]))]
        prev, cur = index.v_at(codes, p - 1), index.v_at(codes, p)
        extra = {} if a is None else {"days_since": a.days_since[codes],
                                      "usual_gap": a.usual_gap[codes],
                                      "value_at_stake": a.value_at_stake[codes]}
        return _finish(index, p, group, codes, prev, cur, e, extra=extra, ranked=True)
    if p <= ps.first or p > ps.last:  # no movement for the first period of the series
        return _finish(index, p, group, e, e, e, e)
    if group == "churned":
        i = np.flatnonzero((ps.period == p - 1) & (ps.v > 0) & ~(index.v_next > 0))
        return _finish(index, p, group, ps.customer[i], ps.v[i], index.v_next[i], -ps.v[i])
    if group == "refunded":
        codes = np.unique(ps.customer[((ps.period == p) | (ps.period == p - 1)) & (ps.v < 0)])
        prev, cur = index.v_at(codes, p - 1), index.v_at(codes, p)
        worst = np.minimum(np.minimum(prev, 0), np.minimum(cur, 0))
        return _finish(index, p, group, codes, prev, cur, worst)
    i = np.flatnonzero(ps.period == p)
    v, vp, c = ps.v[i], index.v_prev[i], ps.customer[i]
    active, was = v > 0, vp > 0
    if group in ("retained", "contracted", "expanded"):
        keep = active & was
        if group == "contracted":
            keep &= v < vp
        elif group == "expanded":
            keep &= v > vp
        rank = (v - vp) if group != "expanded" else (vp - v)
    else:
        first_here = ps.first_purchase[c] == p
        keep = active & ~was & (first_here if group == "new" else ~first_here)
        rank = -v
    return _finish(index, p, group, c[keep], vp[keep], v[keep], rank[keep])


def _finish(index: CustomerIndex, p: int, group: str, codes, prev, cur, rank,
            extra: dict | None = None, ranked: bool = False) -> Drill:
    codes = np.asarray(codes, np.int64)
    if not ranked and len(codes):
        order = np.lexsort((index.name_rank[codes], rank))
        codes, prev, cur = codes[order], prev[order], cur[order]
    g = index.g
    # look up in code order (searchsorted is much faster on sorted keys), then put back
    order = np.argsort(codes, kind="stable")
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    sc = codes[order]
    q = p - 1 if group == "churned" else p
    upto = index.d if group == "at-risk" and index.d is not None else periods.end_day(p, g)
    since = index.ledger.first_day or 0 if group == "at-risk" else periods.start_day(q, g)
    orders = index.orders(sc, since, upto if group == "at-risk" else periods.end_day(q, g))[back]
    last = index.last_purchase(sc, upto)[back]
    fp = index.fp_day[codes] if len(index.fp_day) else np.zeros(0, np.int64)
    return Drill(group, g, p, codes, np.asarray(prev, np.int64), np.asarray(cur, np.int64), fp,
                 last, orders, index.ledger.names[codes], extra or {}, index.d, index.ledger.scale)
