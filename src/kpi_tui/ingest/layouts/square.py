"""Square transactions export: Payment rows positive, Refund rows negative."""

from __future__ import annotations

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_id, clean_text, customer_of, signed

NAME = "square-transactions"
AMOUNT = ("Total Collected", "Net Total")


def detect(c: Columns) -> int:
    return 8 if c.has("Event Type") and c.has(*AMOUNT) and c.has("Transaction ID") and c.has("Date") else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    event, date, txn, cid = c.find("Event Type"), c.find("Date"), c.find("Transaction ID"), c.find("Customer ID")
    status = c.find("Transaction Status")
    if status:
        b.drop_statuses(status)
        b.mapping["status"] = status
    amount, sym = b.amount_column(c.find(*AMOUNT))
    amount = signed(amount, b.mask(event, r"refund"))
    b.mapping["amount"] += f" (negative when {event} is Refund)"
    currency = b.currency(c.find("Currency"), sym)
    b.mapping.update(customer=cid or "none", date=date, txn_id=txn)
    customer = customer_of(clean_id(c.col(cid)) if cid else None, None, b.n)
    return b.finish(customer, b.dates(date), amount, currency, clean_text(c.col(txn)))
