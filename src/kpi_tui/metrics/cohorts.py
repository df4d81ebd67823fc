"""Cohorts: customers grouped by the period of their first purchase (earliest transaction with
a positive amount), followed period by period.

For cohort `C` (the period of the first purchase) with `n` customers and offset `j` (period
`C + j`, from 0 to the last period of the series):
- `active_customers`: customers of the cohort with `v(c, C+j) > 0`; `active_share` = that / n;
- `value_per_customer`: Σ over the cohort of the net amounts of periods C..C+j, / n: the
  realised value of a customer of that cohort after j periods (amounts before C, refunds booked
  before the first purchase, are left out);
- `complete`: whether period C+j is complete on the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpi_tui.metrics import periods
from kpi_tui.metrics.ledger import MICROS, NO_PURCHASE, PeriodSums, exact_sums


@dataclass
class Cohorts:
    g: str
    first: int  # period index of the first cohort (row 0)
    size: np.ndarray  # customers per cohort (rows; 0 for a period where nobody started)
    active: np.ndarray  # [cohort, offset] active customers (int64), -1 past the last period
    value: np.ndarray  # [cohort, offset] cumulative net micros of the cohort, nan past the end
    complete_until: int | None  # last complete period index (None: none)
    scale: int = MICROS  # units of `value` per currency unit

    def __len__(self) -> int:
        return len(self.size)

    def share(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = self.active / self.size[:, None]
        return np.where(self.active < 0, np.nan, s)

    def per_customer(self) -> np.ndarray:
        """Cumulative value per customer in units (nan past the end or for an empty cohort)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.value / self.size[:, None] / self.scale

    def complete(self, period: int) -> bool:
        return self.complete_until is not None and period <= self.complete_until

    def to_records(self) -> list[dict]:
        """JSON shape: one object per cohort that has customers."""
        share, value = self.share(), self.per_customer()
        out = []
        for i in range(len(self)):
            n = int(self.size[i])
            if n == 0:
                continue
            c = self.first + i
            cells = []
            for j in range(self.active.shape[1]):
                if self.active[i, j] < 0:
                    break
                cells.append({
                    "offset": j, "start": periods.start(c + j, self.g).isoformat(),
                    "active_customers": int(self.active[i, j]),
                    "active_share": float(share[i, j]),
                    "value_per_customer": float(value[i, j]),
                    "complete": self.complete(c + j),
                })
            out.append({"cohort": periods.start(c, self.g).isoformat(), "customers": n,
                        "periods": cells})
        return out

    def to_rows(self) -> list[dict]:
        """Long shape (CSV): one row per cohort and offset."""
        return [{"cohort": r["cohort"], "customers": r["customers"], **cell}
                for r in self.to_records() for cell in r["periods"]]


SHADES = "░▒▓█"


def shade(x: float) -> str:
    """A density character for x in 0..1 (readable without colour): blank for 0 or less."""
    if not x > 0:
        return " "
    return SHADES[min(int(x * 4), 3)]


ROW_COLUMNS = ("cohort", "customers", "offset", "start", "active_customers", "active_share",
               "value_per_customer", "complete")


def cohorts(ps: PeriodSums | None, g: str, d: int | None) -> Cohorts | None:
    """The cohort table of a granularity (`d`: the as-of day, for `complete`)."""
    if ps is None:
        return None
    n = ps.last - ps.first + 1
    fp = ps.first_purchase
    has = fp != NO_PURCHASE
    size = np.bincount(fp[has] - ps.first, minlength=n).astype(np.int64)
    cohort = fp[ps.customer]
    ok = (cohort != NO_PURCHASE) & (ps.period >= cohort)
    row = cohort[ok] - ps.first
    off = ps.period[ok] - cohort[ok]
    key = row * n + off
    active = np.bincount(key[ps.v[ok] > 0], minlength=n * n).reshape(n, n).astype(np.int64)
    value = exact_sums(key, ps.v[ok], n * n).reshape(n, n).astype(np.float64)
    value = np.cumsum(value, axis=1)
    past = np.arange(n)[:, None] + np.arange(n)[None, :] >= n  # beyond the last period
    active[past] = -1
    value[past] = np.nan
    last_complete = None
    if d is not None:
        p = periods.period_of(d, g)
        last_complete = p if periods.end_day(p, g) <= d else p - 1
    return Cohorts(g, ps.first, size, active, value, last_complete, ps.scale)
