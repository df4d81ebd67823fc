"""Per-period figures computed in the engine: one query per granularity returns one row per
period (the AGGREGATES of metrics.movements); the derived figures come from the same
`series_from_aggregates` the folder engine uses."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np

from kpi_tui.metrics import periods
from kpi_tui.metrics.figures import finish, windows
from kpi_tui.metrics.movements import AGGREGATES, series_from_aggregates

_K = 100_000  # shifts week numbers positive so that integer division floors (dates after 1049)


def period_index(date, g: str):
    """The engine's twin of metrics.periods.period_index (int64, same numbers)."""
    if g == "day":
        return date.epoch_days().cast("int64")
    if g == "week":  # (days - 4) // 7, 1970-01-05 being a Monday
        return ((date.epoch_days().cast("int64") + (7 * _K - 4)) // 7 - _K).cast("int64")
    y, m = date.year().cast("int64") - 1970, date.month().cast("int64") - 1
    if g == "month":
        return y * 12 + m
    if g == "quarter":
        return y * 4 + m // 3
    if g == "year":
        return y
    raise ValueError(f"unknown granularity {g!r}")


def summary(txn):
    """One row: rows, first_day, last_day (over every row, attributed or not), unattributed."""
    days = txn.date.epoch_days().cast("int64")
    return txn.aggregate(
        rows=txn.count(),
        first_day=days.min(),
        last_day=days.max(),
        unattributed=txn.micros.sum(where=txn.customer.isnull()),
    )


def _movements(sums, fp, lo: int, hi: int):
    """Per (k, p): the AGGREGATES, from v(c,P) `sums` (k, customer, p, v) and the first
    purchase period `fp` (customer[, k], fp). Periods lo..hi only."""
    zero = ibis.literal(0, "int64")
    cur = sums.select("k", "customer", "p", v=sums.v, vp=zero)
    nxt = sums.select("k", "customer", p=sums.p + 1, v=zero, vp=sums.v)  # v(c,P-1) on P's key
    u = cur.union(nxt, distinct=False)
    u = u.group_by("k", "customer", "p").aggregate(v=u.v.sum(), vp=u.vp.sum())
    u = u.filter((u.p >= lo) & (u.p <= hi))
    keys = [u.customer == fp.customer] + ([u.k == fp.k] if "k" in fp.columns else [])
    j = u.left_join(fp, keys)
    active, was = j.v > 0, j.vp > 0
    kept, joined = active & was, active & ~was
    new = joined & (j.fp == j.p).fill_null(False)
    react = joined & ~new
    left = was & ~active
    diff = j.v - j.vp

    def n(mask):
        return j.customer.count(where=mask)

    def total(x, mask=None):
        return x.sum(where=mask)

    return j.group_by("k", "p").aggregate(
        revenue=total(j.v), active_n=n(active), active_sum=total(j.v, active),
        retained_n=n(kept), retained_rev=total(j.v, kept), retained_prev=total(j.vp, kept),
        expansion=total(ibis.greatest(diff, zero), kept),
        contraction=total(ibis.least(diff, zero), kept),
        new_n=n(new), new_rev=total(j.v, new), react_n=n(react), react_rev=total(j.v, react),
        churn_n=n(left), churn_prev=total(j.vp, left),
    )


def period_query(txn, g: str, first: int, last: int):
    """The AGGREGATES of every period of granularity g holding data (one row per period)."""
    x = txn.filter(txn.customer.notnull())
    x = x.select(k=ibis.literal(0, "int64"), customer=x.customer, p=period_index(x.date, g),
                 micros=x.micros)
    sums = x.group_by("k", "customer", "p").aggregate(
        v=x.micros.sum(), bought=ibis.ifelse(x.micros > 0, 1, 0).max())
    bought = sums.filter(sums.bought > 0)
    fp = bought.group_by(bought.customer).aggregate(fp=bought.p.min())
    return _movements(sums.drop("bought"), fp, first, last)


def window_query(txn, d: int, length: int):
    """AGGREGATES of the trailing windows ending on day d: k=0 previous (p=0) -> current (p=1),
    k=1 year_ago (p=0) -> current (p=1)."""
    x = txn.filter(txn.customer.notnull())
    x = x.select("customer", "micros", day=x.date.epoch_days().cast("int64"))
    ws = windows(d, length)
    span = {k: (periods.to_day(w.start), periods.to_day(w.end)) for k, w in ws.items()}

    def part(k: int, p: int, name: str):
        a, b = span[name]
        s = x.filter((x.day >= a) & (x.day <= b))
        return s.select(k=ibis.literal(k, "int64"), customer=s.customer,
                        p=ibis.literal(p, "int64"), micros=s.micros)

    parts = [part(0, 0, "previous"), part(0, 1, "current"), part(1, 0, "year_ago"),
             part(1, 1, "current")]
    u = parts[0].union(*parts[1:], distinct=False)
    sums = u.group_by("k", "customer", "p").aggregate(v=u.micros.sum())
    # first purchase in the current window: a positive transaction in it, none before it
    b0, b1 = span["current"]
    pos = x.filter(x.micros > 0)
    first = pos.group_by(pos.customer).aggregate(day=pos.day.min())
    fp = first.filter((first.day >= b0) & (first.day <= b1)).select(
        "customer", fp=ibis.literal(1, "int64"))
    return _movements(sums, fp, 0, 1)


def fill(table, first: int, last: int, k: int = 0) -> dict[str, np.ndarray]:
    """The AGGREGATES of one query result as arrays over periods first..last (0 where none)."""
    n = last - first + 1
    rows = table.to_pylist()
    out = {a: np.zeros(n, np.int64) for a in AGGREGATES}
    for r in rows:
        if r["k"] != k:
            continue
        i = int(r["p"]) - first
        for a in AGGREGATES:
            out[a][i] = int(r[a] or 0)
    return out


def period_figures(run, txn, g: str, first_day: int, last_day: int,
                   as_of: dt.date | None = None, margin: float = 1.0) -> list[dict]:
    """metrics.figures.period_figures, computed in the engine (`run` executes a query)."""
    idx = periods.period_index(np.array([first_day, last_day]), g)
    first, last = int(idx[0]), int(idx[1])
    aggs = fill(run(period_query(txn, g, first, last)), first, last)
    d = periods.to_day(as_of) if as_of is not None else last_day
    return finish(series_from_aggregates(first, last, aggs, margin), g, d)


def window_figures(run, txn, g: str, last_day: int | None, as_of: dt.date | None = None,
                   margin: float = 1.0) -> dict | None:
    """metrics.figures.window_figures, computed in the engine."""
    d = periods.to_day(as_of) if as_of is not None else last_day
    if d is None:
        return None
    length = periods.WINDOW_DAYS[g]
    ws = windows(d, length)
    got = run(window_query(txn, d, length))
    prev, cur = series_from_aggregates(0, 1, fill(got, 0, 1, 0), margin)
    yago, cur_y = series_from_aggregates(0, 1, fill(got, 0, 1, 1), margin)
    strip = lambda r: {k: v for k, v in r.items() if k != "index"}  # noqa: E731
    return {
        "length": length,
        **{k: {"start": w.start.isoformat(), "end": w.end.isoformat()} for k, w in ws.items()},
        "vs_previous": strip(cur),
        "vs_year_ago": strip(cur_y),
        "previous_figures": strip(prev),
        "year_ago_figures": strip(yago),
    }
