"""The figures of METRICS.md for a granularity or a trailing window, from a Ledger."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kpi_tui.metrics import periods
from kpi_tui.metrics.ledger import NO_PURCHASE, Ledger, PeriodSums, group_sum, period_sums
from kpi_tui.metrics.movements import series
from kpi_tui.metrics.series import Window, finish, windows  # noqa: F401 (where they were)


def as_of_day(ledger: Ledger, as_of: dt.date | None = None) -> int | None:
    """The as-of date D: given, else the date of the latest transaction."""
    if as_of is not None:
        return periods.to_day(as_of)
    return ledger.last_day


def period_figures(
    ledger: Ledger, g: str, as_of: dt.date | None = None, margin: float = 1.0
) -> list[dict]:
    """One dict per period of the series (METRICS.md fields, in order)."""
    return figures_from_sums(period_sums(ledger, g), ledger, g, as_of, margin)


def figures_from_sums(ps: PeriodSums | None, ledger: Ledger, g: str,
                      as_of: dt.date | None = None, margin: float = 1.0) -> list[dict]:
    """`period_figures` from the period sums of the ledger, already computed."""
    if ps is None:
        return []
    return finish(series(ps, margin), g, as_of_day(ledger, as_of))


def window_pair(ledger: Ledger, a: Window, b: Window, margin: float = 1.0) -> list[dict]:
    """Figures of window `a` and window `b`, the second with movements from `a` to `b`."""
    return series(window_sums(ledger, a, b), margin)


def window_sums(ledger: Ledger, a: Window, b: Window) -> PeriodSums:
    """The sums of `window_pair`: window `a` as period 0, `b` as period 1."""
    a0, a1 = periods.to_day(a.start), periods.to_day(a.end)
    b0, b1 = periods.to_day(b.start), periods.to_day(b.end)
    in_a = (ledger.day >= a0) & (ledger.day <= a1)
    in_b = (ledger.day >= b0) & (ledger.day <= b1)
    # a and b may overlap only when they are the same window (L = 365)
    cust = np.r_[ledger.customer[in_a], ledger.customer[in_b]]
    p = np.r_[np.zeros(in_a.sum(), np.int64), np.ones(in_b.sum(), np.int64)]
    micros = np.r_[ledger.micros[in_a], ledger.micros[in_b]]
    customer, period, v = group_sum(cust, p, micros, 2)
    # first purchase in b: a positive transaction in b, none before it
    pos = ledger.micros > 0
    n = ledger.customers
    before = np.bincount(ledger.customer[pos & (ledger.day < b0)], minlength=n) > 0
    within = np.bincount(ledger.customer[pos & in_b], minlength=n) > 0
    fp = np.where(within & ~before, 1, NO_PURCHASE)
    return PeriodSums(0, 1, customer, period, v, fp, scale=ledger.scale)


def window_figures(
    ledger: Ledger, g: str, as_of: dt.date | None = None, margin: float = 1.0
) -> dict | None:
    """The trailing-window view for granularity `g` (L = 1, 7, 30, 91, 365 days).

    Returns {"length", "current", "previous", "year_ago"} windows (start/end dates) and
    "vs_previous" / "vs_year_ago": the current window's figures with movements from that window,
    and "previous_figures" / "year_ago_figures" for the earlier windows themselves.
    """
    d = as_of_day(ledger, as_of)
    if d is None:
        return None
    ws = windows(d, periods.WINDOW_DAYS[g])
    prev, cur = window_pair(ledger, ws["previous"], ws["current"], margin)
    yago, cur_y = window_pair(ledger, ws["year_ago"], ws["current"], margin)
    return window_view(g, ws, prev, cur, yago, cur_y)


def window_view(g: str, ws: dict[str, Window], prev, cur, yago, cur_y) -> dict:
    """`window_figures`' dict of the two pairs' figures."""
    length = periods.WINDOW_DAYS[g]
    strip = lambda r: {k: v for k, v in r.items() if k != "index"}  # noqa: E731
    return {
        "length": length,
        **{k: {"start": w.start.isoformat(), "end": w.end.isoformat()} for k, w in ws.items()},
        "vs_previous": strip(cur),
        "vs_year_ago": strip(cur_y),
        "previous_figures": strip(prev),
        "year_ago_figures": strip(yago),
    }
