import datetime as dt

import pytest

from kpi_tui import fmt

NNBSP, NBSP = "\u202f", "\xa0"


@pytest.mark.parametrize(
    "locale, eur, usd, plain",
    [
        ("en", "€1,234.56", "$1,234.56", "1,234.56"),
        ("fr", f"1{NNBSP}234,56{NBSP}€", f"1{NNBSP}234,56{NBSP}$US", f"1{NNBSP}234,56"),
        ("de", f"1.234,56{NBSP}€", f"1.234,56{NBSP}$", "1.234,56"),
    ],
)
def test_money_by_locale(locale, eur, usd, plain):
    assert fmt.money(1234.56, "EUR", locale) == eur
    assert fmt.money(1234.56, "USD", locale) == usd
    assert fmt.money(1234.56, None, locale) == plain


def test_money_decimals_rounding_and_zero():
    assert fmt.money(1234.5, "EUR", "en", decimals=0) == "€1,234"  # half to even, like babel
    assert fmt.money(1235.5, "EUR", "en", decimals=0) == "€1,236"
    assert fmt.money(-0.001, "EUR") == "€0.00"  # never "-€0.00"
    assert fmt.money(-20, "EUR") == "-€20.00"
    assert fmt.money(5, "XYZ") == "XYZ5.00"  # unknown code: still readable
    assert fmt.money(5, "EUR", "zz") == "€5.00"  # unknown locale: English


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf"), "abc"])
def test_null_is_a_dash_never_a_crash(bad):
    for f in (fmt.pct, fmt.signed_pct, fmt.points, fmt.count):
        assert f(bad) == "–"
    assert fmt.money(bad, "EUR") == "–"
    assert fmt.signed_money(bad, "EUR") == "–"
    assert fmt.compact_money(bad, "EUR") == "–"
    assert fmt.number(bad) == "–"


def test_signed():
    assert fmt.signed_money(-3.1, "EUR") == "-€3.10"
    assert fmt.signed_money(0.5, "EUR") == "+€0.50"
    assert fmt.signed_money(0.004, "EUR") == "€0.00"
    assert fmt.signed_money(-3.1, "EUR", "fr") == f"-3,10{NBSP}€"
    assert fmt.signed_money(1234.5, "EUR", "de") == f"+1.234,50{NBSP}€"
    assert fmt.signed_pct(0.062) == "+6.2%"
    assert fmt.signed_pct(-0.2) == "-20.0%"
    assert fmt.signed_pct(0.0004) == "0.0%"
    assert fmt.points(0.05) == "+5.0 pts"
    assert fmt.points(-0.123, 0) == "-12 pts"


def test_pct_and_count():
    assert fmt.pct(0.062) == "6.2%"
    assert fmt.pct(0.062, 0) == "6%"
    assert fmt.pct(1.0) == "100.0%"
    assert fmt.pct(0.062, locale="fr") == f"6,2{NBSP}%"
    assert fmt.pct(0.062, locale="de") == f"6,2{NBSP}%"
    assert fmt.count(1234567) == "1,234,567"
    assert fmt.count(1234, "fr") == f"1{NNBSP}234"
    assert fmt.count(1234, "de") == "1.234"


def test_compact_money():
    assert fmt.compact_money(1_234_567, "EUR") == "€1.2M"
    assert fmt.compact_money(1_234_567, "EUR", "fr") == f"1,2{NBSP}M{NBSP}€"
    assert fmt.compact_money(45_600, "USD") == "$45.6K"
    assert fmt.compact_money(4_560, "USD") == "$4,560"
    assert fmt.compact_money(45.6, "USD") == "$45.60"
    assert fmt.compact_money(2_500_000, None) == "2.5M"


def test_period_names():
    assert fmt.period_name("2026-01-01", "month") == "January 2026"
    assert fmt.period_name("2026-01-01", "month", short=True) == "January"
    assert fmt.period_name("2026-01-01", "month", "fr") == "janvier 2026"
    assert fmt.period_name("2026-01-01", "month", "de") == "Januar 2026"
    assert fmt.period_name("2026-04-01", "quarter") == "Q2 2026"
    assert fmt.period_name("2025-12-29", "week") == "week 1, 2026"  # ISO week
    assert fmt.period_name(dt.date(2026, 1, 5), "day") == "Mon 5 Jan 2026"
    assert fmt.period_name("2026-01-01", "year") == "2026"
    assert fmt.period_name("garbage", "month") == "garbage"
    assert fmt.period_name(None, "month") == "–"
