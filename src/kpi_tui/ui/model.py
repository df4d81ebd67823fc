"""What the screen shows, as plain data: the selected period and its neighbours.

Pure functions of a Snapshot; no Textual here, so switching period or granularity only
re-renders figures engine.build computed off the UI thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpi_tui.alerts.explain import effect_label
from kpi_tui.alerts.rules import year_ago_index, year_ago_start
from kpi_tui.fmt import period_name
from kpi_tui.metrics.periods import date_label

G_NAMES = {"day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}
# the names used by the sentences and banners
EFFECT_NAMES = tuple((k, effect_label(k)) for k in
                     ("churn_effect", "spend_effect", "acquisition_effect", "other_effect"))


def default_pos(rows: list[dict]) -> int | None:
    """The latest complete period, else the last one."""
    if not rows:
        return None
    for i in range(len(rows) - 1, -1, -1):
        if rows[i]["complete"]:
            return i
    return len(rows) - 1


def row_label(row: dict, g: str, loc: str = "en") -> str:
    return period_name(row["start"], g, loc)


def _month(d: dt.date, pattern: str, loc: str) -> str:
    """Abbreviated month in the locale (babel), e.g. `Mar 2026`, fr `mars 2026`."""
    try:
        from babel.dates import format_date

        return format_date(d, pattern, locale=(loc or "en").replace("-", "_"))
    except Exception:
        return d.strftime("%b %Y" if "y" in pattern else "%b")


def table_label(row: dict, g: str, loc: str = "en") -> str:
    """Compact period name for tables: 2026-03-02, W10 2026, Mar 2026, Q1 2026, 2026."""
    d = dt.date.fromisoformat(row["start"])
    return _month(d, "LLL y", loc) if g == "month" else date_label(d, g)


def short_label(row: dict, g: str) -> str:
    d = dt.date.fromisoformat(row["start"])
    if g == "day":
        return d.strftime("%d %b")
    if g == "week":
        return f"W{d.isocalendar()[1]:02d}"
    if g == "month":
        return d.strftime("%b %y") if d.month == 1 else d.strftime("%b")
    if g == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.strftime('%y')}"
    return str(d.year)


@dataclass
class Focus:
    """One period (or trailing window) and the two it is compared with."""

    g: str
    row: dict  # METRICS.md fields of the focused period / window
    label: str
    prev: dict | None
    prev_label: str | None
    year: dict | None
    year_label: str | None
    complete: bool
    trailing: bool = False


def period_focus(rows: list[dict], pos: int, g: str, loc: str = "en") -> Focus:
    row = rows[pos]
    prev = rows[pos - 1] if pos >= 1 else None
    yb = year_ago_index(rows, pos, g)
    year = None if yb is None else rows[yb]
    return Focus(
        g, row, row_label(row, g, loc),
        prev, row_label(prev, g, loc) if prev else None,
        year, row_label(year, g, loc) if year else None,
        bool(row["complete"]),
    )


def _span(w: dict) -> str:
    a, b = dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"])
    if a == b:
        return a.strftime("%d %b %Y")
    if a.year == b.year:
        return f"{a.strftime('%d %b')} – {b.strftime('%d %b %Y')}"
    return f"{a.strftime('%d %b %Y')} – {b.strftime('%d %b %Y')}"


def trailing_focus(tr: dict, g: str, loc: str = "en") -> Focus:
    """The trailing-window view: last L days vs the L days before and a year earlier."""
    row = dict(tr["vs_previous"])
    n = tr["length"]
    label = f"Last {n} day{'s' if n > 1 else ''} ({_span(tr['current'])})"
    return Focus(
        g, row, label,
        tr["previous_figures"], _span(tr["previous"]),
        tr["year_ago_figures"], _span(tr["year_ago"]),
        True, trailing=True,
    )


def year_ago_series(rows: list[dict], g: str) -> list[float | None]:
    """acv of the same period a year earlier (alerts.rules.year_ago_start), aligned with rows."""
    at = {r["start"]: r for r in rows}
    out = []
    for r in rows:
        ago = at.get(year_ago_start(dt.date.fromisoformat(r["start"]), g).isoformat())
        out.append(None if ago is None else ago["acv"])
    return out
