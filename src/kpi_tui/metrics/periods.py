"""Calendar periods (METRICS.md, Periods): day, ISO week, month, quarter, year.

A period is an integer index per granularity; `start`/`end` give its first and last day.
Days are integers counted from 1970-01-01 (numpy datetime64[D]). One day's or one period's
numbers are computed in plain Python (numpy for years outside 1..9999), arrays with numpy
(imported where used: the figures of a replayed report import none).
"""

from __future__ import annotations

import datetime as dt

from kpi_tui.settings import GRANULARITIES  # noqa: F401 (one list, in the settings)

EPOCH = dt.date(1970, 1, 1)
_MONDAY0 = 4  # 1970-01-05 is a Monday
WINDOW_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def period_index(days: np.ndarray, g: str) -> np.ndarray:
    """Index of the period holding each day (int64, increasing with time)."""
    import numpy as np

    days = np.asarray(days)
    if g == "day":
        return days.astype(np.int64)
    if len(days) > 4096:  # many rows, few distinct days: look each day up in a small table
        lo, hi = int(days.min()), int(days.max())
        if hi - lo < 1_000_000:
            return _period_index(np.arange(lo, hi + 1), g)[days - np.int32(lo)]
    return _period_index(days.astype(np.int64), g)


def period_of(day: int, g: str) -> int:
    """Index of the period holding one day."""
    day = int(day)
    if g == "day":
        return day
    if g == "week":
        return (day - _MONDAY0) // 7
    try:
        d = from_day(day)
    except (OverflowError, ValueError):  # beyond Python's dates: numpy's
        import numpy as np

        return int(period_index(np.array([day]), g)[0])
    return _of_months((d.year - 1970) * 12 + d.month - 1, g)


def _period_index(days: np.ndarray, g: str) -> np.ndarray:
    import numpy as np

    if g == "week":
        return (days - _MONDAY0) // 7
    return _of_months(days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64), g)


def _of_months(months, g: str):
    """The period index of a count of months since 1970-01 (an int or an array of them)."""
    if g == "month":
        return months
    if g == "quarter":
        return months // 3
    if g == "year":
        return months // 12
    raise ValueError(f"unknown granularity {g!r}")


def start_day(index: int, g: str) -> int:
    """First day (as a day number) of period `index`."""
    if g == "day":
        return int(index)
    if g == "week":
        return int(index) * 7 + _MONDAY0
    months = {"month": 1, "quarter": 3, "year": 12}[g] * int(index)
    year, month = 1970 + months // 12, months % 12 + 1
    if 1 <= year <= 9999:
        return to_day(dt.date(year, month, 1))
    import numpy as np  # beyond Python's dates

    return int(np.datetime64(months, "M").astype("datetime64[D]").astype(np.int64))


def end_day(index: int, g: str) -> int:
    """Last day of period `index`."""
    return start_day(index + 1, g) - 1


def start(index: int, g: str) -> dt.date:
    return from_day(start_day(index, g))


def label(index: int, g: str) -> str:
    """Short human name: 2026-03-02, W10 2026, Mar 2026, Q1 2026, 2026."""
    return date_label(start(index, g), g)


def date_label(d: dt.date, g: str) -> str:
    """`label` of the period starting on `d`."""
    if g == "day":
        return d.isoformat()
    if g == "week":
        y, w, _ = d.isocalendar()
        return f"W{w:02d} {y}"
    if g == "month":
        return d.strftime("%b %Y")
    if g == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.year}"
    return str(d.year)
