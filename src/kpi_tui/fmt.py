"""Numbers, money and period names for people: formatted for the currency and locale (babel).

Every function takes None (a null figure of METRICS.md) and returns "–" for it; nothing here
raises on odd input. Money uses the locale's own pattern and spacing, e.g. `$1,234.56` (en),
`1 234,56 €` (fr, with babel's narrow no-break space), `1.234,56 €` (de).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    get_plus_sign_symbol,
)

NONE = "–"  # shown for a null figure


@lru_cache(maxsize=32)
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


@lru_cache(maxsize=128)
def _pattern(locale: str, kind: str, decimals: int):
    loc = _locale(locale)
    base = {
        "currency": loc.currency_formats["standard"],
        "decimal": loc.decimal_formats[None],
        "percent": loc.percent_formats[None],
    }[kind]
    p = copy.copy(base)
    p.frac_prec = (decimals, decimals)
    return p


def _bad(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x)) or math.isinf(float(x))
    except (TypeError, ValueError):
        return True


def _num(x: float, locale: str, decimals: int, currency: str | None) -> str:
    loc = _locale(locale)
    if currency:
        try:
            p = _pattern(locale, "currency", decimals)
            return p.apply(x, loc, currency=currency, currency_digits=False)
        except Exception:  # an unknown currency code: still show the number and the code
            return f"{_pattern(locale, 'decimal', decimals).apply(x, loc)} {currency}"
    return _pattern(locale, "decimal", decimals).apply(x, loc)


def _zero(x: float, decimals: int) -> bool:
    return round(abs(float(x)), decimals) == 0


def money(x, currency: str | None, locale: str = "en", decimals: int = 2) -> str:
    """`$1,234.56` (en), `1 234,56 €` (fr); currency None: the plain number with grouping."""
    if _bad(x):
        return NONE
    x = float(x)
    if _zero(x, decimals):
        x = 0.0  # never "-€0.00"
    return _num(x, locale, decimals, currency)


def _signed(text_abs: str, x: float, decimals: int, locale: str) -> str:
    if _zero(x, decimals):
        return text_abs
    if x < 0:
        return "-" + text_abs
    return get_plus_sign_symbol(_locale(locale)) + text_abs


def signed_money(x, currency: str | None, locale: str = "en", decimals: int = 2) -> str:
    """Money with an explicit sign: `+€3.10`, `-€3.10`; `€0.00` when it rounds to 0."""
    if _bad(x):
        return NONE
    x = float(x)
    return _signed(_num(abs(x), locale, decimals, currency), x, decimals, locale)


def pct(x, decimals: int = 1, locale: str = "en") -> str:
    """A fraction as a percentage: 0.062 -> `6.2%` (fr: `6,2 %`)."""
    if _bad(x):
        return NONE
    x = float(x)
    if _zero(x * 100, decimals):
        x = 0.0
    return _pattern(locale, "percent", decimals).apply(x, _locale(locale))


def signed_pct(x, decimals: int = 1, locale: str = "en") -> str:
    """`+6.2%`, `-6.2%`, `0.0%`."""
    if _bad(x):
        return NONE
    x = float(x)
    text = _pattern(locale, "percent", decimals).apply(abs(x), _locale(locale))
    return _signed(text, x * 100, decimals, locale)


def points(x, decimals: int = 1, locale: str = "en") -> str:
    """A difference of two rates (fractions) in percentage points: 0.05 -> `+5.0 pts`."""
    if _bad(x):
        return NONE
    x = float(x) * 100
    text = _pattern(locale, "decimal", decimals).apply(abs(x), _locale(locale))
    return _signed(text, x, decimals, locale) + " pts"


def count(n, locale: str = "en") -> str:
    """A whole number with grouping: 1234 -> `1,234` (fr `1 234`, de `1.234`)."""
    if _bad(n):
        return NONE
    return _pattern(locale, "decimal", 0).apply(round(float(n)), _locale(locale))


def number(x, decimals: int = 2, locale: str = "en") -> str:
    """A plain number with grouping and a fixed number of decimals."""
    if _bad(x):
        return NONE
    return _num(0.0 if _zero(x, decimals) else float(x), locale, decimals, None)


def compact_money(x, currency: str | None, locale: str = "en", decimals: int = 1) -> str:
    """Short money for big digits and axes: `€1.2M` (en), `1,2 M €` (fr).

    Below 10,000 it is money() (no decimals from 1,000 on)."""
    if _bad(x):
        return NONE
    x = float(x)
    if abs(x) < 10_000:
        return money(x, currency, locale, 0 if abs(x) >= 1000 else 2)
    loc = _locale(locale)
    try:
        if currency:
            return format_compact_currency(x, currency, locale=loc, fraction_digits=decimals)
        return format_compact_decimal(x, locale=loc, fraction_digits=decimals)
    except Exception:
        return money(x, currency, locale, 0)


# ---- periods -------------------------------------------------------------------------------


def _date(start) -> dt.date | None:
    if isinstance(start, dt.datetime):
        return start.date()
    if isinstance(start, dt.date):
        return start
    try:
        return dt.date.fromisoformat(str(start))
    except ValueError:
        return None


def period_name(start, g: str, locale: str = "en", short: bool = False) -> str:
    """A period named for people, from its first day (ISO string or date).

    day `Mon 5 Jan 2026`, week `week 2, 2026` (ISO week), month `January 2026`, quarter
    `Q1 2026`, year `2026`. `short` drops the year where the period is a month or a day:
    `January`, `Mon 5 Jan`.
    """
    d = _date(start)
    if d is None:
        return str(start) if start is not None else NONE
    loc = _locale(locale)
    if g == "day":
        return format_date(d, "EEE d MMM" if short else "EEE d MMM y", locale=loc)
    if g == "week":
        y, w, _ = d.isocalendar()
        return f"week {w}" if short else f"week {w}, {y}"
    if g == "month":
        return format_date(d, "LLLL" if short else "LLLL y", locale=loc)
    if g == "quarter":
        return f"Q{(d.month - 1) // 3 + 1}" if short else f"Q{(d.month - 1) // 3 + 1} {d.year}"
    if g == "year":
        return str(d.year)
    return d.isoformat()


UNIT = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 customer`, `3 customers` (English words; numbers are not localised here)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
