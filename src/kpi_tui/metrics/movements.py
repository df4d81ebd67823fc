"""Per-period figures, movements between P-1 and P, and why the average moved (METRICS.md)."""

from __future__ import annotations

import numpy as np

from kpi_tui.metrics.ledger import PeriodSums, exact_sums
from kpi_tui.metrics.series import (AGGREGATES, EFFECTS, FIELDS, MICROS,  # noqa: F401
                                    MOVEMENT_FIELDS, _div, _money, clv, series_from_aggregates)


def neighbours(ps: PeriodSums) -> tuple[np.ndarray, np.ndarray]:
    """For each (c,P) row: v(c,P-1) (0 if none) and whether c is active in P+1."""
    if len(ps.v) == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    n = ps.last - ps.first + 3
    key = ps.customer * n + (ps.period - ps.first + 1)  # sorted, with a gap between customers
    # distinct and sorted: (c,P-1), when there, is the row just before (c,P); (c,P+1) just after
    follows = key[1:] == key[:-1] + 1  # row i+1 is the period after row i, same customer
    v_prev = np.zeros(len(key), np.int64)
    v_prev[1:][follows] = ps.v[:-1][follows]
    next_active = np.zeros(len(key), bool)
    next_active[:-1] = follows & (ps.v[1:] > 0)
    return v_prev, next_active


def aggregates(ps: PeriodSums) -> dict[str, np.ndarray]:
    """The AGGREGATES of every period from ps.first to ps.last (int64 arrays)."""
    n = ps.last - ps.first + 1
    p = ps.period - ps.first
    v = ps.v
    v_prev, next_active = neighbours(ps)
    active = v > 0
    was_active = v_prev > 0

    def count(mask):
        return np.bincount(p[mask], minlength=n).astype(np.int64)

    def total(mask, values):
        return exact_sums(p[mask], values[mask], n)

    kept = active & was_active
    joined = active & ~was_active
    is_new = joined & (ps.first_purchase[ps.customer] == ps.period)
    is_react = joined & ~is_new
    diff = v - v_prev
    # churned in P: active in P-1, not active in P (counted on their P-1 row)
    left = active & ~next_active
    churn_n = np.r_[0, count(left)[:-1]] if n else count(left)
    churn_prev = np.r_[0, total(left, v)[:-1]] if n else total(left, v)
    return {
        "revenue": total(np.ones(len(v), bool), v), "active_n": count(active),
        "active_sum": total(active, v), "retained_n": count(kept),
        "retained_rev": total(kept, v), "retained_prev": total(kept, v_prev),
        "expansion": total(kept, np.maximum(diff, 0)),
        "contraction": total(kept, np.minimum(diff, 0)), "new_n": count(is_new),
        "new_rev": total(is_new, v), "react_n": count(is_react), "react_rev": total(is_react, v),
        "churn_n": churn_n, "churn_prev": churn_prev,
    }


def series(ps: PeriodSums, margin: float = 1.0) -> list[dict]:
    """Figures for every period from ps.first to ps.last, without `start` and `complete`.

    Each dict holds the period `index` and every field of FIELDS but those two; money in units.
    """
    return series_from_aggregates(ps.first, ps.last, aggregates(ps), margin, ps.scale)
