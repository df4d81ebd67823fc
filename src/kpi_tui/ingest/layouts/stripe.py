"""Stripe payments export (unified_payments.csv and the older payments export)."""

from __future__ import annotations

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_id, clean_text

NAME = "stripe-payments"
CREATED = ("Created date (UTC)", "Created (UTC)")


def detect(c: Columns) -> int:
    ok = c.has("id") and c.has(*CREATED) and c.has("Amount") and c.has("Currency")
    return 9 if ok else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    txn, created, status = c.find("id"), c.find(*CREATED), c.find("Status")
    cid, email = c.find("Customer ID"), c.find("Customer Email")
    if status:
        b.drop_statuses(status)
        b.mapping["status"] = status
        b.refunded_status(status, c.find("Amount Refunded"))
    # Amount + Currency as charged; Converted Amount / Converted Currency are not used
    amount, sym = b.amount_column(c.find("Amount"), c.find("Amount Refunded"))
    currency = b.currency(c.find("Currency"), sym)
    if c.has("Converted Amount"):
        b.mapping["amount"] += " (Converted Amount not used)"
    who = [x for x in (cid, email and f"{email} (trimmed, lower-cased)") if x]
    b.mapping.update(customer=" else ".join(who) or "none", date=created, txn_id=txn)
    customer = b.who(clean_id(c.col(cid)) if cid else None, email)
    return b.finish(customer, b.dates(created, assume_utc=True), amount, currency, clean_text(c.col(txn)))
