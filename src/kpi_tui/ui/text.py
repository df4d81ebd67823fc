"""Formatting used by the screen: kpi_tui.fmt when present, else a tiny local fallback."""

from __future__ import annotations

try:  # the shared formatter (money per currency and locale)
    from kpi_tui.fmt import NONE as DASH
    from kpi_tui.fmt import count, money, pct, signed_money, signed_pct  # noqa: F401
except ImportError:  # fallback until kpi_tui.fmt lands
    DASH = "–"

    def count(n, locale="en"):
        return f"{n:,}"
    _SYM = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

    def money(x, currency=None, locale="en"):
        if x is None:
            return "—"
        sym = _SYM.get(currency or "", (currency + " ") if currency else "")
        return f"{'-' if x < 0 else ''}{sym}{abs(x):,.2f}"

    def signed_money(x, currency=None, locale="en"):
        if x is None:
            return "—"
        return ("+" if x >= 0 else "") + money(x, currency, locale)

    def pct(x, decimals=1, locale="en"):
        return "—" if x is None else f"{x * 100:.{decimals}f}%"

    def signed_pct(x, decimals=1, locale="en"):
        return "—" if x is None else f"{x * 100:+.{decimals}f}%"



def arrow(x: float | None) -> str:
    if x is None or abs(x) < 1e-9:
        return "▶"
    return "▲" if x > 0 else "▼"


def ratio(new: float | None, old: float | None) -> float | None:
    """Relative change new/old - 1 (None when undefined)."""
    if new is None or old is None or old == 0:
        return None
    return new / old - 1
