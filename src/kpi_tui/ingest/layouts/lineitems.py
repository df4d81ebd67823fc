"""Line-item sales (UCI Online Retail I and II): amount = quantity x unit price per row."""

from __future__ import annotations

import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.headers import LINE_ITEMS, line_items
from kpi_tui.ingest.layouts.common import Builder, Columns, clean_id, clean_text, customer_of, signed

NAME = "line-items"
INVOICE, PRICE = LINE_ITEMS["order_id"], LINE_ITEMS["unit_price"]
DATE, CUSTOMER = LINE_ITEMS["date"], LINE_ITEMS["customer"]


def detect(c: Columns) -> int:
    return 6 if line_items(c.table.column_names) else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    inv, qty, price, date, cid = c.find(*INVOICE), c.find("Quantity"), c.find(*PRICE), c.find(*DATE), c.find(*CUSTOMER)
    q = b.amounts(qty)
    p, sym = b.amount_column(price)
    invoice = clean_text(c.col(inv))
    amount = signed(pc.multiply(q, p), arrow.to_numpy(arrow.fill_null(pc.starts_with(invoice, "C"), False)))  # C-invoices are cancellations
    b.mapping["amount"] = f"{qty} x {price} (negative for C-invoices)"
    currency = b.currency(c.find("Currency"), sym)
    b.mapping.update(customer=cid or "none", date=date, txn_id=inv)
    customer = customer_of(clean_id(c.col(cid)) if cid else None, None, b.n)
    dates = b.dates(date, order_hint="mdy")  # the UCI files write m/d/yyyy H:MM
    return b.finish(customer, dates, amount, currency, invoice)
