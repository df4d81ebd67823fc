"""Formatting used by the screen (money and counts from kpi_tui.fmt), arrows and ratios."""

from __future__ import annotations

from kpi_tui.fmt import NONE as DASH
from kpi_tui.fmt import count, money, pct, signed_money, signed_pct

__all__ = ["DASH", "count", "money", "pct", "signed_money", "signed_pct", "arrow", "ratio",
           "plain_spaces", "shorten"]
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


def shorten(sentence: str, width: int) -> str:
    """`sentence` in `width` characters, "…" where the rest is left out: its whole clauses
    ("; ") that fit, else the first clause up to a comma (if that keeps half the width), else
    whole words outside brackets; never cut inside a word."""
    if len(sentence) <= width:
        return sentence
    for sep, least in (("; ", 0), (", ", width // 2)):
        parts = sentence.split(sep)
        for n in range(len(parts) - 1, 0, -1):
            kept = sep.join(parts[:n]) + "…"
            if least <= len(kept) <= width:
                return kept
    cut = sentence.rfind(" ", 0, width)
    if sentence.count("(", 0, cut) > sentence.count(")", 0, cut):  # "(-€3.10 per…": not half
        cut = sentence.rfind(" (", 0, cut)
    if cut <= 0:
        return sentence[:width - 1] + "…"
    return sentence[:cut].rstrip(" ,;:") + "…"
