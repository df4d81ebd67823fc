"""The screen's "a year earlier" is the banners' (alerts.rules.year_ago_start): one lookup."""

import datetime as dt

from kpi_tui.alerts.rules import year_ago_index
from kpi_tui.ui.model import period_focus, year_ago_series


def days(first: str, n: int) -> list[dict]:
    d = dt.date.fromisoformat(first)
    return [{"start": (d + dt.timedelta(days=i)).isoformat(), "acv": float(i), "complete": True}
            for i in range(n)]


def test_same_date_a_year_back_across_a_leap_day():
    rows = days("2023-01-01", 800)  # 2024 is a leap year
    i = next(k for k, r in enumerate(rows) if r["start"] == "2024-03-01")
    j = year_ago_index(rows, i, "day")
    assert rows[j]["start"] == "2023-03-01" and i - j == 366
    f = period_focus(rows, i, "day")
    assert f.year["start"] == "2023-03-01" and f.prev["start"] == "2024-02-29"
    k = next(k for k, r in enumerate(rows) if r["start"] == "2024-02-29")
    assert rows[year_ago_index(rows, k, "day")]["start"] == "2023-02-28"
    series = year_ago_series(rows, "day")
    assert series[i] == rows[j]["acv"] and series[:365] == [None] * 365


def test_weeks_months_quarters():
    weeks = [{"start": (dt.date(2024, 1, 1) + dt.timedelta(weeks=i)).isoformat(), "acv": i}
             for i in range(60)]
    assert year_ago_index(weeks, 52, "week") == 0 and year_ago_index(weeks, 51, "week") is None
    months = [{"start": f"{2024 + i // 12}-{i % 12 + 1:02d}-01", "acv": i} for i in range(14)]
    assert year_ago_index(months, 13, "month") == 1
    assert year_ago_series(months, "month") == [None] * 12 + [0, 1]
