"""The `report` output: JSON exactly as METRICS.md says, CSV safe for spreadsheets, a table."""

from __future__ import annotations

import csv
import io
import json
import math
import re

from kpi_tui import safe
from kpi_tui.metrics.series import FIELDS

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def report_dict(granularity: str, currency: str | None, unattributed: float,
                rows: list[dict]) -> dict:
    return {"granularity": granularity, "currency": currency,
            "unattributed_revenue": unattributed, "periods": rows}


def to_json(report: dict) -> str:
    return safe.json_text(json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False))


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if type(value) in (int, float):  # (the most common cells first; bool is not int here)
        return str(value)  # (str of inf and nan is their repr)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not math.isfinite(value) else str(value)
    s = safe.text(value)  # no control character reaches a terminal or a spreadsheet
    if s and s[0] in "=+-@\t\r|%" and not _NUMBER.match(s):
        return "'" + s
    return s


def to_csv(rows: list[dict], columns: tuple[str, ...] | list[str] = FIELDS) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([safe_cell(r.get(c)) for c in columns])
    return out.getvalue()


TABLE_COLUMNS = (
    ("start", "period", "s"), ("active_customers", "active", "n"), ("revenue", "revenue", "m"),
    ("acv", "avg value", "m"), ("acv_change", "change", "m"), ("churn_rate", "churn", "%"),
    ("new_customers", "new", "n"), ("reactivated_customers", "back", "n"),
    ("churned_customers", "left", "n"), ("churn_effect", "churn eff", "m"),
    ("spend_effect", "spend eff", "m"), ("acquisition_effect", "acq eff", "m"),
    ("other_effect", "other", "m"), ("clv", "CLV", "m"),
)


def _fmt(v, kind: str) -> str:
    if v is None:
        return "–"
    if kind == "n":
        return f"{v:,}"
    if kind == "m":
        return f"{v:,.2f}"
    if kind == "%":
        return f"{v * 100:.1f}%"
    return str(v)


def text_line(cells: list[str], widths: list[int]) -> str:
    """One line of a text table: the first column left-aligned, the others right-aligned."""
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(cells, widths))).rstrip()


def to_table(report: dict) -> str:
    head = [h for _, h, _ in TABLE_COLUMNS]
    body = []
    for r in report["periods"]:
        cells = [_fmt(r[k], kind) for k, _, kind in TABLE_COLUMNS]
        if not r["complete"]:
            cells[0] += " *"
        body.append(cells)
    widths = [max(len(x) for x in col) for col in zip(head, *body)]

    def line(cells):
        return text_line(cells, widths)
    cur = safe.text(report["currency"] or "no currency column")
    lines = [f"Average customer value by {report['granularity']} ({cur})", "",
             line(head), line(["-" * w for w in widths])]
    lines += [line(c) for c in body]
    lines.append("")
    if any(not r["complete"] for r in report["periods"]):
        lines.append("* in progress: the as-of date is before the period's last day")
    lines.append(f"Unattributed revenue (no customer id or e-mail): "
                 f"{_fmt(report['unattributed_revenue'], 'm')}")
    return "\n".join(lines) + "\n"
