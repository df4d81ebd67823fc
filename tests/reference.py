"""A deliberately simple, slow, obviously-right reading of METRICS.md.

Written from METRICS.md only (not from kpi_tui.metrics), to check kpi-tui against it.
Input: transactions (customer or None, date, amount). Exact arithmetic with Fraction,
converted to float only in the returned report.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

GRANULARITIES = ("day", "week", "month", "quarter", "year")

FIELDS = [
    "start", "revenue", "active_customers", "acv", "retained_customers", "churned_customers",
    "new_customers", "reactivated_customers", "retained_revenue", "retained_revenue_prev",
    "churned_revenue_prev", "new_revenue", "reactivated_revenue", "expansion", "contraction",
    "churn_rate", "acv_change", "churn_effect", "spend_effect", "acquisition_effect",
    "other_effect", "clv", "complete",
]


# ---- input (METRICS.md, Input: transactions) ---------------------------------------------

PLACEHOLDERS = {"(blank)", "n/a", "none", "null", "-", "0", "guest", "unknown"}


def customer_value(value):
    """A customer id or e-mail as read, or None when missing: empty, blank or a placeholder
    ((blank), N/A, none, null, -, 0, guest, unknown, any case)."""
    v = (value or "").strip()
    return None if not v or v.lower() in PLACEHOLDERS else v


def customers(rows, link=True):
    """rows: [(id or None, e-mail or None)] -> each row's customer (None: unattributed).
    The id, else the e-mail; with `link`, rows that share an id or an e-mail are one customer
    (transitively), named by the smallest of its ids, else its smallest e-mail."""
    if not link:
        return [i if i is not None else e for i, e in rows]
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for i, e in rows:
        if i is not None and e is not None:
            a, b = find(("id", i)), find(("email", e))
            if a != b:
                parent[a] = b
    members = {}
    for node in list(parent):
        members.setdefault(find(node), []).append(node)

    def name(node):
        group = members.get(find(node), [node])
        ids = [v for kind, v in group if kind == "id"]
        return min(ids) if ids else min(v for kind, v in group)

    return [name(("id", i)) if i is not None else name(("email", e)) if e is not None else None
            for i, e in rows]


def file_version(mtime, path, last_date):
    """Files sort by this, the most recent last (METRICS.md, Duplicates): modification time;
    at the same time, the file whose rows reach the later date (`last_date`, None when it has
    no rows), then `name (2)` over `name (1)` over `name`, then the later path."""
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    copy = re.fullmatch(r"(.*?) ?\((\d+)\)(\.[^.]*)?", name)
    return (mtime, last_date or dt.date.min, int(copy.group(2)) if copy else 0, str(path))


REFUNDED = {"refunded", "remboursé", "remboursée", "erstattet", "rückerstattet", "reembolsado",
            "reembolsada", "wc-refunded"}


def says_refunded(status) -> bool:
    return (status or "").strip().lower() in REFUNDED


def refunded_status(rows):
    """rows: the counted rows of exports without a refunded-amount column, after dedupe, as
    (order id, status says refunded, (customer, date, amount)). A positive row whose status says
    refunded is net zero, unless the rows hold a negative row for that order."""
    refunded_orders = {oid for oid, _, (c, d, a) in rows if oid is not None and a < 0}
    return [(c, d, 0 if flag and a > 0 and oid not in refunded_orders else a)
            for oid, flag, (c, d, a) in rows]


def period_start(d: dt.date, g: str) -> dt.date:
    """First day of the period of granularity g holding d (weeks: ISO, Monday)."""
    if g == "day":
        return d
    if g == "week":
        return d - dt.timedelta(days=d.weekday())
    if g == "month":
        return dt.date(d.year, d.month, 1)
    if g == "quarter":
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if g == "year":
        return dt.date(d.year, 1, 1)
    raise ValueError(g)


def next_start(s: dt.date, g: str) -> dt.date:
    """First day of the period after the one starting on s."""
    if g == "day":
        return s + dt.timedelta(days=1)
    if g == "week":
        return s + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[g]
    m = s.month - 1 + months
    return dt.date(s.year + m // 12, m % 12 + 1, 1)


def _frac(x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    return Fraction(Decimal(str(x)))


def _num(x):
    return None if x is None else float(x)


def _mean(values) -> Fraction:
    values = list(values)
    return sum(values, Fraction(0)) / len(values)


def report(txns, g: str, as_of: dt.date | None = None, margin=1, currency=None) -> dict:
    """The `report --format json` object for transactions [(customer|None, date, amount)]."""
    txns = [(c, d, _frac(a)) for c, d, a in txns]
    margin = _frac(margin)
    unattributed = sum((a for c, d, a in txns if c is None), Fraction(0))
    out = {"granularity": g, "currency": currency,
           "unattributed_revenue": float(unattributed), "periods": []}
    if not txns:
        return out
    D = as_of or max(d for c, d, a in txns)

    # first purchase: earliest transaction with a positive amount
    first_purchase: dict[str, dt.date] = {}
    for c, d, a in txns:
        if c is not None and a > 0 and (c not in first_purchase or d < first_purchase[c]):
            first_purchase[c] = d

    # every period from the first holding a transaction to the last one
    starts = []
    s = period_start(min(d for c, d, a in txns), g)
    last = period_start(max(d for c, d, a in txns), g)
    while s <= last:
        starts.append(s)
        s = next_start(s, g)

    def v_of(s):
        """v(c,P) for every attributed customer with a transaction in P."""
        e = next_start(s, g)
        v: dict[str, Fraction] = {}
        for c, d, a in txns:
            if c is not None and s <= d < e:
                v[c] = v.get(c, Fraction(0)) + a
        return v

    prev = None  # (v, B, acv) of P-1
    for s in starts:
        e = next_start(s, g)
        v = v_of(s)
        B = {c for c, x in v.items() if x > 0}
        revenue = sum(v.values(), Fraction(0))
        acv = revenue / len(B) if B else None
        row = {k: None for k in FIELDS}
        row["start"] = s.isoformat()
        row["revenue"] = revenue
        row["active_customers"] = len(B)
        row["acv"] = acv
        if prev is not None:
            pv, A, pacv = prev
            K, C = A & B, A - B
            N = {c for c in B - A if s <= first_purchase[c] < e}
            R = (B - A) - N
            vp = lambda c: v.get(c, Fraction(0))          # noqa: E731  v(c,P)
            vq = lambda c: pv.get(c, Fraction(0))         # noqa: E731  v(c,P-1)
            row["retained_customers"] = len(K)
            row["churned_customers"] = len(C)
            row["new_customers"] = len(N)
            row["reactivated_customers"] = len(R)
            row["retained_revenue"] = sum((vp(c) for c in K), Fraction(0))
            row["retained_revenue_prev"] = sum((vq(c) for c in K), Fraction(0))
            row["churned_revenue_prev"] = sum((vq(c) for c in C), Fraction(0))
            row["new_revenue"] = sum((vp(c) for c in N), Fraction(0))
            row["reactivated_revenue"] = sum((vp(c) for c in R), Fraction(0))
            row["expansion"] = sum((max(vp(c) - vq(c), 0) for c in K), Fraction(0))
            row["contraction"] = sum((min(vp(c) - vq(c), 0) for c in K), Fraction(0))
            row["churn_rate"] = Fraction(len(C), len(A)) if A else None
            if acv is not None and pacv is not None:
                row["acv_change"] = acv - pacv
            if A and B and K:
                m0 = _mean(vq(c) for c in A)
                m1 = _mean(vq(c) for c in K)
                m2 = _mean(vp(c) for c in K)
                m3 = _mean(vp(c) for c in B)
                row["churn_effect"] = m1 - m0
                row["spend_effect"] = m2 - m1
                row["acquisition_effect"] = m3 - m2
                row["other_effect"] = row["acv_change"] - (m3 - m0)
            cr = row["churn_rate"]
            if acv is not None and cr:
                row["clv"] = acv * margin / cr
        row["complete"] = D >= e - dt.timedelta(days=1)
        for k in FIELDS[1:-1]:
            if k not in ("active_customers", "retained_customers", "churned_customers",
                         "new_customers", "reactivated_customers"):
                row[k] = _num(row[k])
        out["periods"].append(row)
        prev = (v, B, acv)
    return out
