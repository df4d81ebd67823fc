"""The folder's rules that need neither Arrow nor numpy (the database path and its replay use
them too): matching keys, the statuses whose money never moved, the placeholders that name no
customer, the plausible window of amounts and dates, and the reporting currency."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata


@functools.lru_cache(maxsize=4096)  # the same headers and candidates, file after file
def key(header: str) -> str:
    """Header -> matching key: lower-case, no accents, letters and digits only."""
    t = unicodedata.normalize("NFKD", str(header).replace("ß", "ss"))
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", t.lower())


# statuses that say the money never moved: exactly METRICS.md's list (failed, declined, pending,
# canceled/cancelled, voided, expired, abandoned, unpaid), with spelling variants and the same
# words in fr/de/es, matched on key(). Other statuses (authorized, on-hold...) count.
_NEVER_MOVED = """
failed failure declined decline denied pending canceled cancelled cancel voided void expired abandoned
unpaid notpaid
echoue echouee echec annule annulee enattente refuse refusee expire expiree abandonne abandonnee
impaye impayee nonpaye nonpayee
fehlgeschlagen storniert ausstehend abgelehnt abgebrochen abgelaufen unbezahlt nichtbezahlt
fallido fallida cancelado cancelada pendiente rechazado rechazada anulado anulada expirado expirada
caducado caducada abandonado abandonada impagado impagada nopagado nopagada
""".split()
NEVER_MOVED = frozenset(_NEVER_MOVED)


def never_moved(status: str) -> bool:
    """True when a status (any of en/fr/de/es, `wc-` prefix, several words) says no money moved."""
    k = key(status)
    if k in NEVER_MOVED or (k.startswith("wc") and k[2:] in NEVER_MOVED):
        return True
    words, pairs = _words(status)
    return any(w in NEVER_MOVED or w in _WORDS for w in words + pairs)


def _words(text: str) -> tuple[list[str], list[str]]:
    """key() of each word of `text`, and of each two words written as one."""
    words = [key(w) for w in re.split(r"[\s_\-/,.;:()]+", text) if w]
    return words, [a + b for a, b in zip(words, words[1:])]


# kinds of rows that are not a sale or refund to a customer (METRICS.md, "not transactions":
# transfers, withdrawals, holds and releases, fees, currency conversions, cash-back bonuses) in
# en/fr/de/es, matched on key() of a type's words (`not_sale`): the type column of a generic
# export or a database table ("Transfer", "Stripe fee", "Currency conversion", "Virement"...)
NOT_SALE = frozenset("""
transfer transfers withdrawal withdrawals withdraw payout payouts
fee fees conversion conversions currencyconversion cashback
virement virements retrait retraits frais
uberweisung ueberweisung auszahlung gebuhr gebuehr gebuhren gebuehren umrechnung
wahrungsumrechnung waehrungsumrechnung
transferencia transferencias retiro retirada comision comisiones
""".split())
# holds and releases of funds: with a word of money beside them ("Payment Hold", "Release of
# funds"), or "hold" alone; not a product's type ("New release", "Pre-release")
HOLD = frozenset("""hold holds release releases retenue liberation ruckbehalt rueckbehalt
freigabe retencion liberacion""".split())
MONEY = frozenset("""payment balance account funds fund reserve paiement solde compte fonds
zahlung guthaben konto pago saldo cuenta fondos""".split())
NOT_SALE_LEFT_OUT = "not a sale or refund: {}"


def not_sale(kind: str) -> bool:
    """True when a row's type names a transfer, withdrawal, hold or release of funds, fee,
    currency conversion or cash-back (any of en/fr/de/es; one of its words, or two as one)."""
    words, pairs = _words(kind)
    if key(kind) in NOT_SALE or any(w in NOT_SALE for w in words + pairs):
        return True
    return any(w in HOLD for w in words) and (key(kind) in ("hold", "holds")
                                               or any(w in MONEY for w in words))


# single words of longer statuses ("Pending payment", "Zahlung ausstehend", "En espera"...)
# (and Stripe's payment attempts: requires_payment_method, requires_action..., incomplete)
_WORDS = frozenset("attente wartestellung espera requires incomplete".split())


# values that mean "no customer" (METRICS.md, Customer), any case; empty and blank too
PLACEHOLDERS = ("(blank)", "n/a", "none", "null", "-", "0", "guest", "unknown")

# The largest |amount| counted, in the export's currency: 9 * 10^12 still fits the ledger's
# int64 micro-units (9.22 * 10^18); anything larger is a typo or an overflow in the export.
AMOUNT_MAX = 9e12
NOT_FINITE = "amount not a finite number"
TOO_LARGE = "amount beyond ±9,000,000,000,000"


def iso(day: int) -> str:
    """Days since 1970-01-01 as an ISO date, for any int32 (year 0 and 9999 included)."""
    try:
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()
    except OverflowError:  # beyond years 1..9999: numpy's text
        pass
    import numpy as np

    return str(np.datetime64(int(day), "D"))
DATE_MIN = dt.date(1990, 1, 1)


def window(settings) -> tuple[dt.date, dt.date]:
    """(first, last) date a transaction may have: the settings, else 1990-01-01 and tomorrow."""
    lo = getattr(settings, "date_min", None) or DATE_MIN
    hi = getattr(settings, "date_max", None) or dt.date.today() + dt.timedelta(days=1)
    return lo, hi


def pick_currency(counts, setting: str | None) -> str | None:
    """The `currency` setting, else the currency of most rows (ties: alphabetical first)."""
    if setting:
        return setting.upper()
    if not counts:
        return None
    best = max(counts.values())
    return sorted(c for c, n in counts.items() if n == best)[0]


GROUP_OVER = 3  # more currencies without a rate than this: one warning for all of them


def left_out_warnings(left_out: dict[str, int], currency: str | None) -> list[str]:
    """One warning per currency without a rate; one for all of them when there are more than
    GROUP_OVER (50,000 currencies are one line, not 50,000: issue 13)."""
    items = sorted(left_out.items())
    if len(items) <= GROUP_OVER:
        return [f"{n} rows in {c} left out: no rate to {currency} (give one with --rates)"
                for c, n in items]
    top = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:GROUP_OVER]
    named = ", ".join(f"{c} ({n:,})" for c, n in top)
    return [f"{sum(n for _, n in items):,} rows in {len(items):,} currencies left out: no rate "
            f"to {currency} (give them with --rates); most rows in {named}"]
