"""Formatting used by the screen (money and counts from kpi_tui.fmt), arrows and ratios."""

from __future__ import annotations

from kpi_tui.fmt import NONE as DASH
from kpi_tui.fmt import count, money, pct, signed_money, signed_pct

__all__ = ["DASH", "count", "money", "pct", "signed_money", "signed_pct", "arrow", "ratio",
           "plain_spaces"]
# babel's digit grouping and currency spacing (no-break, narrow no-break) as plain spaces
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def plain_spaces(text: str) -> str:
    return text.translate(_SPACES)


def arrow(x: float | None) -> str:
    if x is None or abs(x) < 1e-9:
        return "▶"
    return "▲" if x > 0 else "▼"


def ratio(new: float | None, old: float | None) -> float | None:
    """Relative change new/old - 1 (None when undefined)."""
    if new is None or old is None or old == 0:
        return None
    return new / old - 1
