"""Cohorts computed in the database: one row per (cohort, period) cell comes back, and the
cumulative values are summed along each cohort here, as `kpi_tui.metrics.cohorts` does."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kpi_tui.database.customers import _run, attributed, period_of, span
from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import Cohorts


def cohorts(t, g: str, as_of: dt.date | None = None, run=None, s=None) -> Cohorts | None:
    s = s or span(t, g, as_of, run)
    if s is None:
        return None
    a = attributed(t)
    first = a.filter(a.micros > 0).group_by("k").aggregate(fp=a.date.min())
    first = first.mutate(cohort=period_of(first.fp, g)).drop("fp")
    ps = a.mutate(period=period_of(a.date, g)).group_by(["k", "period"]).aggregate(
        v=a.micros.sum().cast("int64"))
    j = ps.join(first, "k")
    j = j.filter(j.period >= j.cohort)
    cells = j.group_by(["cohort", "period"]).aggregate(
        active=(j.v > 0).ifelse(1, 0).sum().cast("int64"), value=j.v.sum().cast("int64"))
    sizes = _run(first.group_by("cohort").aggregate(n=first.count()), run).to_pydict()
    cells = _run(cells, run).to_pydict()
    n = s.last - s.first + 1
    size = np.zeros(n, np.int64)
    size[np.asarray(sizes["cohort"], np.int64) - s.first] = sizes["n"]
    active = np.zeros((n, n), np.int64)
    value = np.zeros((n, n))
    row = np.asarray(cells["cohort"], np.int64) - s.first
    off = np.asarray(cells["period"], np.int64) - np.asarray(cells["cohort"], np.int64)
    active[row, off] = cells["active"]
    value[row, off] = np.asarray(cells["value"], np.int64)
    value = np.cumsum(value, axis=1)
    past = np.arange(n)[:, None] + np.arange(n)[None, :] >= n  # beyond the last period
    active[past] = -1
    value[past] = np.nan
    p = int(periods.period_index([s.d], g)[0])
    return Cohorts(g, s.first, size, active, value, p if periods.end_day(p, g) <= s.d else p - 1)
