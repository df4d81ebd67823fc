"""Per-period figures, movements between P-1 and P, and why the average moved (METRICS.md)."""

from __future__ import annotations

import numpy as np

from kpi_tui.metrics.ledger import MICROS, PeriodSums, exact_sums

FIELDS = (
    "start", "revenue", "active_customers", "acv", "retained_customers", "churned_customers",
    "new_customers", "reactivated_customers", "retained_revenue", "retained_revenue_prev",
    "churned_revenue_prev", "new_revenue", "reactivated_revenue", "expansion", "contraction",
    "churn_rate", "acv_change", "churn_effect", "spend_effect", "acquisition_effect",
    "other_effect", "clv", "complete",
)  # fmt: skip
MOVEMENT_FIELDS = FIELDS[4:16]
EFFECTS = ("churn_effect", "spend_effect", "acquisition_effect", "other_effect")


def _money(x, scale: int = MICROS) -> float:
    """An int64 sum in units of `scale`, as a float of currency units (one rounding: exact
    whenever the amount is a float)."""
    return int(x) / scale


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


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


# per-period sums every figure is derived from (money in micros, counts of customers); the
# database engine computes the same arrays with one GROUP BY period
AGGREGATES = (
    "revenue", "active_n", "active_sum", "retained_n", "retained_rev", "retained_prev",
    "expansion", "contraction", "new_n", "new_rev", "react_n", "react_rev", "churn_n",
    "churn_prev",
)  # fmt: skip


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


def series_from_aggregates(first: int, last: int, aggs: dict, margin: float = 1.0,
                           scale: int = MICROS) -> list[dict]:
    """`series` from the per-period AGGREGATES (index 0 = period `first`, money in units of
    `scale`): every derived figure (acv, movements, churn rate, effects, clv), shared by every
    engine."""
    a = {k: np.asarray(aggs[k], dtype=np.int64) for k in AGGREGATES}

    def money(x) -> float:
        return _money(x, scale)

    revenue, active_n, active_sum = a["revenue"], a["active_n"], a["active_sum"]
    retained_n, retained_rev, retained_prev = a["retained_n"], a["retained_rev"], a["retained_prev"]
    out = []
    for i in range(last - first + 1):
        row: dict = {"index": first + i}
        a_n = int(active_n[i])
        row["revenue"] = money(revenue[i])
        row["active_customers"] = a_n
        row["acv"] = _div(int(revenue[i]), a_n * scale)
        if i == 0:
            row.update({k: None for k in MOVEMENT_FIELDS})
            row.update({k: None for k in ("acv_change", *EFFECTS, "clv")})
            out.append(row)
            continue
        prev_active = int(active_n[i - 1])
        churn_n = int(a["churn_n"][i])
        row.update(
            retained_customers=int(retained_n[i]),
            churned_customers=churn_n,
            new_customers=int(a["new_n"][i]),
            reactivated_customers=int(a["react_n"][i]),
            retained_revenue=money(retained_rev[i]),
            retained_revenue_prev=money(retained_prev[i]),
            churned_revenue_prev=money(a["churn_prev"][i]),
            new_revenue=money(a["new_rev"][i]),
            reactivated_revenue=money(a["react_rev"][i]),
            expansion=money(a["expansion"][i]),
            contraction=money(a["contraction"][i]),
            churn_rate=_div(churn_n, prev_active),
        )
        acv_prev = out[-1]["acv"]
        row["acv_change"] = None if row["acv"] is None or acv_prev is None else row["acv"] - acv_prev
        k_n = int(retained_n[i])
        if prev_active and a_n and k_n:
            m0 = active_sum[i - 1] / prev_active / scale
            m1 = retained_prev[i] / k_n / scale
            m2 = retained_rev[i] / k_n / scale
            m3 = active_sum[i] / a_n / scale
            row["churn_effect"] = m1 - m0
            row["spend_effect"] = m2 - m1
            row["acquisition_effect"] = m3 - m2
            row["other_effect"] = row["acv_change"] - (m3 - m0)
        else:
            row.update({k: None for k in EFFECTS})
        row["clv"] = clv(row["acv"], row["churn_rate"], margin)
        out.append(row)
    return out


def clv(acv: float | None, churn_rate: float | None, margin: float) -> float | None:
    if acv is None or churn_rate is None or churn_rate == 0:
        return None
    return acv * margin / churn_rate
