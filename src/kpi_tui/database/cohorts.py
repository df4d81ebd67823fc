"""Cohorts computed in the database: one row per (cohort, period) cell comes back, and the
cumulative values are summed along each cohort here, as `kpi_tui.metrics.cohorts` does."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np

from kpi_tui.database.customers import _run, attributed, period_of, span
from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import Cohorts


def cohorts(t, g: str, as_of: dt.date | None = None, run=None, s=None) -> Cohorts | None:
    s = s or span(t, g, as_of, run)
    if s is None:
        return None
    a = attributed(t)
    a = a.mutate(period=period_of(a.date, g))
    ps = a.group_by(["k", "period"]).aggregate(v=a.micros.sum().cast("int64"),
                                               bought=(a.micros > 0).any())
    # cohort: the period of the customer's first purchase, over the customer's periods (a
    # window, not a join: MariaDB joins derived tables slowly)
    ps = ps.mutate(cohort=ps.period.min(where=ps.bought).over(ibis.window(group_by="k")))
    ps = ps.filter(ps.cohort.notnull() & (ps.period >= ps.cohort))
    cells = _run(ps.group_by(["cohort", "period"]).aggregate(
        active=ibis.ifelse(ps.v > 0, 1, 0).sum().cast("int64"),
        value=ps.v.sum().cast("int64"),
        size=ibis.ifelse(ps.period == ps.cohort, 1, 0).sum().cast("int64")), run).to_pydict()
    n = s.last - s.first + 1
    size = np.zeros(n, np.int64)
    active = np.zeros((n, n), np.int64)
    value = np.zeros((n, n))
    row = np.asarray(cells["cohort"], np.int64) - s.first
    off = np.asarray(cells["period"], np.int64) - np.asarray(cells["cohort"], np.int64)
    size[row[off == 0]] = np.asarray(cells["size"], np.int64)[off == 0]
    active[row, off] = cells["active"]
    value[row, off] = np.asarray(cells["value"], np.int64)
    value = np.cumsum(value, axis=1)
    past = np.arange(n)[:, None] + np.arange(n)[None, :] >= n  # beyond the last period
    active[past] = -1
    value[past] = np.nan
    p = periods.period_of(s.d, g)
    return Cohorts(g, s.first, size, active, value, p if periods.end_day(p, g) <= s.d else p - 1)
