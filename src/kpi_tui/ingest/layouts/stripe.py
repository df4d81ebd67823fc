"""Stripe payments export (unified_payments.csv and the older payments export).

Only charges count: rows whose `id` is a charge (`ch_`, `py_`) that was captured. PaymentIntent
rows (no charge id, no Captured) are payment attempts, not money. Converted Amount / Converted
Currency (the account's currency) are used when the reporting currency is that one."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text

NAME = "stripe-payments"
CREATED = ("Created date (UTC)", "Created (UTC)")
CHARGE = r"^\s*(ch|py)_"
FALSE = r"^\s*(false|no|0)\s*$"


def detect(c: Columns) -> int:
    ok = c.has(*CREATED) and c.has("Amount") and c.has("Currency")
    return (9 if c.has("id") else 8) if ok else 0


def _converted(b: Builder, c: Columns):
    """(Converted Amount, Converted Amount Refunded, Converted Currency) when the reporting
    currency is the account's currency (or not set), else None."""
    amt, cur = c.find("Converted Amount"), c.find("Converted Currency")
    if not (amt and cur):
        return None
    values, _ = b.codes(cur)
    account = {v.strip().upper() for v in values if v is not None and v.strip()}
    want = (b.settings.currency or "").upper()
    if len(account) != 1 or (want and want not in account):
        return None
    return amt, c.find("Converted Amount Refunded"), cur


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    txn, created, status = c.find("id"), c.find(*CREATED), c.find("Status")
    cid, email, captured = c.find("Customer ID"), c.find("Customer Email"), c.find("Captured")
    # a row without a charge id, or with no Captured value, is a PaymentIntent (an attempt)
    attempt = ~b.mask(txn, CHARGE) if txn else np.zeros(b.n, bool)
    if captured:
        attempt |= ~b.mask(captured, r"\S")
    b.drop(attempt, "not a charge (payment attempt without a ch_/py_ id or Captured)")
    if status:
        b.drop_statuses(status)
        b.mapping["status"] = status
    if captured:
        b.drop(b.mask(captured, FALSE), "not captured")
    if c.has("Paid"):
        b.drop(b.mask(c.find("Paid"), FALSE), "not paid")
    conv = _converted(b, c)
    if conv:
        amt, refunded, cur = conv
        b.refunded_status(status, refunded)
        charged, _ = b.amount_column(c.find("Amount"), c.find("Amount Refunded"))
        converted, _ = b.amount_column(amt, refunded)
        use = pc.is_valid(converted)  # a row without a converted amount keeps the charged one
        amount = pc.if_else(use, converted, charged)
        currency = pc.if_else(use, b.currency(cur, None), b.currency(c.find("Currency"), None))
        b.mapping["amount"] += " (the account's currency)"
        b.mapping["currency"] = cur
    else:
        b.refunded_status(status, c.find("Amount Refunded"))
        amount, sym = b.amount_column(c.find("Amount"), c.find("Amount Refunded"))
        currency = b.currency(c.find("Currency"), sym)
    who = [x for x in (cid, email and f"{email} (trimmed, lower-cased)") if x]
    b.mapping.update(customer=" else ".join(who) or "none", date=created, txn_id=txn or "none")
    customer = b.who(cid, email)
    return b.finish(customer, b.dates(created, assume_utc=True), amount, currency,
                    clean_text(c.col(txn)) if txn else None)
