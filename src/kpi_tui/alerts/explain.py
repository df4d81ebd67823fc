"""Why the average customer value moved, in plain words (the four effects of METRICS.md).

Pure functions over the per-period dicts of kpi_tui.metrics (fields of METRICS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi_tui import fmt
from kpi_tui.metrics.movements import EFFECTS

LABELS = {
    "churn_effect": "Customers who left",
    "spend_effect": "Existing customers' spending",
    "acquisition_effect": "New and returning customers",
    "other_effect": "Refunds without purchases",
}
SHORT = {
    "churn_effect": "Left",
    "spend_effect": "Spending",
    "acquisition_effect": "Joined",
    "other_effect": "Refunds",
}
# an effect is named after the biggest one when at least this share of it and not 0 in cents
SIGNIFICANT_SHARE = 0.1


def effect_label(name: str, short: bool = False) -> str:
    """Human name of an effect field: `spend_effect` -> "Existing customers' spending"."""
    return (SHORT if short else LABELS).get(name, name.replace("_", " ").capitalize())


@dataclass
class EffectLine:
    name: str  # field name, e.g. "spend_effect"
    label: str
    value: float | None  # money per customer, signed
    money: str  # signed_money(value)
    share: float | None  # value / previous acv (fraction), None when undefined
    share_text: str  # signed_pct(share)


def _prev_acv(row: dict) -> float | None:
    acv, change = row.get("acv"), row.get("acv_change")
    if acv is None or change is None:
        return None
    return acv - change


def effect_lines(row: dict, currency: str | None, locale: str = "en") -> list[EffectLine]:
    """One line per effect, in METRICS.md order: label, signed money, % of the previous acv."""
    prev = _prev_acv(row)
    out = []
    for name in EFFECTS:
        v = row.get(name)
        share = None if v is None or not prev else v / prev
        out.append(
            EffectLine(
                name,
                effect_label(name),
                v,
                fmt.signed_money(v, currency, locale),
                share,
                fmt.signed_pct(share, 1, locale),
            )
        )
    return out


def _pct_words(x: float, locale: str) -> str:
    """9% / 0.4%: whole percent unless that would read 0%."""
    return fmt.pct(abs(x), 0 if round(abs(x) * 100) >= 1 else 1, locale)


def _spend_change(row: dict) -> float | None:
    now, before = row.get("retained_revenue"), row.get("retained_revenue_prev")
    if now is None or not before or before <= 0:
        return None
    return now / before - 1


def _n(n: int, one: str, many: str, locale: str) -> str:
    return f"{fmt.count(n, locale)} {one if n == 1 else many}"


def phrase(
    name: str, row: dict, currency: str | None, locale: str = "en", size: bool = True
) -> str:
    """The effect `name` of `row` as a clause, e.g. "existing customers spent 9% less
    (-€3.10 per customer)" (`size=False`: "spent less"). Lower case; the caller capitalises."""
    v = row.get(name)
    m = fmt.signed_money(v, currency, locale)
    if name == "spend_effect":
        ch = _spend_change(row)
        more = "more" if v > 0 else "less"
        big = size and ch is not None and round(ch * 100, 1) != 0
        amount = f"{_pct_words(ch, locale)} " if big else ""
        return f"existing customers spent {amount}{more} ({m} per customer)"
    if name == "churn_effect":
        n = row.get("churned_customers") or 0
        kind = "below" if v > 0 else "above"
        if n == 1:
            return f"1 customer left, who was {'a' if v > 0 else 'an'} {kind}-average buyer ({m})"
        return f"{fmt.count(n, locale)} customers left, who were {kind}-average buyers ({m})"
    if name == "acquisition_effect":
        new, back = row.get("new_customers") or 0, row.get("reactivated_customers") or 0
        if new and back:
            who = f"{fmt.count(new, locale)} new and {fmt.count(back, locale)} returning customers"
        elif new:
            who = _n(new, "new customer", "new customers", locale)
        else:
            who = _n(back, "returning customer", "returning customers", locale)
        verb = "joined" if new else "came back"
        level = "more" if v > 0 else "less"
        return f"{who} {verb}, spending {level} than existing customers ({m})"
    if name == "other_effect":
        if v < 0:
            return f"refunds from customers with no purchase weighed on the average ({m})"
        return f"fewer refunds from customers with no purchase ({m})"
    return f"{effect_label(name).lower()} ({m})"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _ranked(row: dict) -> list[str]:
    """Effects that moved, biggest first (ties keep METRICS.md order), 0 in cents left out."""
    names = [n for n in EFFECTS if row.get(n) is not None and round(abs(row[n]), 2) > 0]
    return sorted(names, key=lambda n: -abs(row[n]))


def why_sentence(
    row: dict,
    prev: dict | None,
    currency: str | None,
    locale: str = "en",
    period_label_prev: str = "the previous period",
) -> str:
    """One plain sentence naming the biggest driver of the acv change, then the others that are
    significant (at least a tenth of the biggest), e.g. "Existing customers spent 9% less
    (-€3.10 per customer); 132 customers left, who were below-average buyers (+€0.50)."

    Null cases get an honest sentence: first period, nobody active now or before, nobody kept.
    """
    if prev is None or row.get("retained_customers") is None:
        return "This is the first period of the data: there is nothing to compare it with yet."
    if row.get("acv") is None:
        left = row.get("churned_customers") or 0
        if left == 1:
            return (
                f"Nobody bought in this period: the only customer of {period_label_prev} "
                "stayed away."
            )
        if left:
            return (
                f"Nobody bought in this period: all {_n(left, 'customer', 'customers', locale)} "
                f"of {period_label_prev} stayed away."
            )
        return "Nobody bought in this period or the one before: there is no average to explain."
    if prev.get("acv") is None:
        return (
            f"Nobody bought in {period_label_prev}, so there is no average to compare with."
        )
    if not row.get("retained_customers"):
        n = row.get("active_customers") or 0
        change = fmt.signed_money(row.get("acv_change"), currency, locale)
        who = (
            "the only customer of this period is new or returning"
            if n == 1
            else f"the {_n(n, 'customer', 'customers', locale)} of this period are all new or "
            "returning"
        )
        return (
            f"None of the customers of {period_label_prev} bought again: {who}, so the change "
            f"({change}) is a change of customers, not of spending."
        )
    names = _ranked(row)
    if not names:
        return f"Average customer value is unchanged from {period_label_prev}."
    top = abs(row[names[0]])
    keep = [n for n in names if abs(row[n]) >= SIGNIFICANT_SHARE * top - 1e-9]
    parts = [phrase(n, row, currency, locale) for n in keep]
    return _cap("; ".join(parts)) + "."


def cause(row: dict, currency: str | None, locale: str = "en") -> str | None:
    """The effect that pulled the average down the most, as a clause for a warning banner
    ("existing customers spent less (-€20.00 per customer)"), or None if no effect is < 0."""
    names = [n for n in _ranked(row) if row[n] < 0]
    if names:
        return phrase(names[0], row, currency, locale, size=False)
    if row.get("retained_customers") == 0 and row.get("churned_customers"):
        return "none of the previous customers bought again"
    return None
