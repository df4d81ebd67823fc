"""Etsy sold orders (EtsySoldOrders*.csv, comma- or tab-separated): one row per order."""

from __future__ import annotations

import pyarrow.compute as pc

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text

NAME = "etsy-sold-orders"


def detect(c: Columns) -> int:
    return 8 if all(c.has(h) for h in ("Sale Date", "Order ID", "Order Total")) else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    date, oid, buyer, status = c.find("Sale Date"), c.find("Order ID"), c.find("Buyer User ID"), c.find("Status")
    if status:
        b.drop_statuses(status)
        b.mapping["status"] = status
    total, sym = b.amount_column(c.find("Order Total"))
    adjusted = c.find("Adjusted Order Total")  # the total after a refund, where there was one
    if adjusted:
        amount = pc.coalesce(b.amounts(adjusted), total)
        b.mapping["amount"] = f"{adjusted} (where set, else {c.find('Order Total')})"
    else:
        amount = total
    currency = b.currency(c.find("Currency"), sym)
    b.mapping.update(customer=buyer or "none", date=date, txn_id=oid)
    customer = b.who(buyer, None)
    return b.finish(customer, b.dates(date, order_hint="mdy"), amount, currency, clean_text(c.col(oid)))
