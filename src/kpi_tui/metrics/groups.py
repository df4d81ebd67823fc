"""The customer lists' groups, titles and columns, and the at-risk totals
(kpi_tui.metrics.customers), without numpy or pyarrow: a database's lists are computed in the
engine and need only these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GROUPS = ("churned", "contracted", "expanded", "new", "reactivated", "retained", "refunded",
          "at-risk")
# the drill-down of each effect of "why the average moved"
EFFECT_GROUPS = {
    "churn_effect": ("churned",),
    "spend_effect": ("retained", "contracted", "expanded"),
    "acquisition_effect": ("new", "reactivated"),
    "other_effect": ("refunded",),
}
TITLES = {
    "churned": "Churned: active in {prev}, not in {cur}",
    "contracted": "Contracted: retained customers who spent less in {cur} than in {prev}",
    "expanded": "Expanded: retained customers who spent more in {cur} than in {prev}",
    "new": "New: first purchase in {cur}",
    "reactivated": "Reactivated: back in {cur} after a pause",
    "retained": "Retained: active in {prev} and {cur}",
    "refunded": "Refunded: a negative net amount in {prev} or {cur}",
    "at-risk": "At risk on {asof}: silent for much longer than usual",
}
# what each list adds up to on the main screen: (total, METRICS.md field)
FIGURE_OF = {
    "churned": (("customers", "churned_customers"), ("previous", "churned_revenue_prev")),
    "retained": (("customers", "retained_customers"), ("previous", "retained_revenue_prev"),
                 ("current", "retained_revenue")),
    "contracted": (("change", "contraction"),),
    "expanded": (("change", "expansion"),),
    "new": (("customers", "new_customers"), ("current", "new_revenue")),
    "reactivated": (("customers", "reactivated_customers"), ("current", "reactivated_revenue")),
}
COLUMNS = ("customer", "previous", "current", "change", "first_purchase", "last_purchase",
           "orders")
AT_RISK_COLUMNS = ("days_since", "usual_gap", "value_at_stake")


@dataclass(frozen=True)
class AtRiskTotals:
    """How many customers are at risk and their value at stake (units per period of `g`), as
    of the as-of date and as of `since`, the last day of the period before the as-of date's."""

    g: str
    as_of: dt.date
    customers: int
    stake: float
    since: dt.date
    since_customers: int
    since_stake: float
