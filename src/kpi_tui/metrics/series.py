"""The derived figures of every period from its per-period aggregates, and their order in
METRICS.md: the arithmetic every engine shares (the folder's ledger, a database's rows, a
replayed DuckDB statement), in plain Python (no numpy: a replayed report imports none)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpi_tui.metrics import periods

MICROS = 1_000_000  # ledger units per currency unit (metrics.ledger)

FIELDS = (
    "start", "revenue", "active_customers", "acv", "retained_customers", "churned_customers",
    "new_customers", "reactivated_customers", "retained_revenue", "retained_revenue_prev",
    "churned_revenue_prev", "new_revenue", "reactivated_revenue", "expansion", "contraction",
    "churn_rate", "acv_change", "churn_effect", "spend_effect", "acquisition_effect",
    "other_effect", "clv", "complete",
)  # fmt: skip
MOVEMENT_FIELDS = FIELDS[4:16]
EFFECTS = ("churn_effect", "spend_effect", "acquisition_effect", "other_effect")

# per-period sums every figure is derived from (money in micros, counts of customers); the
# database engine computes the same arrays with one GROUP BY period
AGGREGATES = (
    "revenue", "active_n", "active_sum", "retained_n", "retained_rev", "retained_prev",
    "expansion", "contraction", "new_n", "new_rev", "react_n", "react_rev", "churn_n",
    "churn_prev",
)  # fmt: skip


def _money(x, scale: int = MICROS) -> float:
    """An int64 sum in units of `scale`, as a float of currency units (one rounding: exact
    whenever the amount is a float)."""
    return int(x) / scale


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def series_from_aggregates(first: int, last: int, aggs: dict, margin: float = 1.0,
                           scale: int = MICROS) -> list[dict]:
    """`series` from the per-period AGGREGATES (index 0 = period `first`, money in units of
    `scale`): every derived figure (acv, movements, churn rate, effects, clv), shared by every
    engine."""
    a = {k: [int(x) for x in aggs[k]] for k in AGGREGATES}  # Python ints: no numpy needed

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
            # as numpy divided int64 sums: each converted to a double first
            m0 = float(active_sum[i - 1]) / prev_active / scale
            m1 = float(retained_prev[i]) / k_n / scale
            m2 = float(retained_rev[i]) / k_n / scale
            m3 = float(active_sum[i]) / a_n / scale
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


def finish(rows: list[dict], g: str, d: int | None) -> list[dict]:
    """Add `start` and `complete`, and order the fields as METRICS.md lists them."""
    out = []
    for r in rows:
        r = dict(r)
        r["start"] = periods.start(r["index"], g).isoformat()
        r["complete"] = d is not None and d >= periods.end_day(r["index"], g)
        out.append({k: r[k] for k in FIELDS})
    return out


@dataclass
class Window:
    start: dt.date  # first day included
    end: dt.date  # last day included


def windows(d: int, length: int) -> dict[str, Window]:
    """current (D-L, D], previous (D-2L, D-L], year_ago (D-365-L, D-365]."""
    def w(end: int) -> Window:
        return Window(periods.from_day(end - length + 1), periods.from_day(end))

    return {"current": w(d), "previous": w(d - length), "year_ago": w(d - 365)}
