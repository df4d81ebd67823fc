"""WooCommerce order exports (the built-in CSV export and the common export plugins)."""

from __future__ import annotations


from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text
from kpi_tui.ingest.layouts.shopify import first_rows_only

NAME = "woocommerce-orders"
# the built-in export, the export plugins, and the REST API / import names (wc_order_id, total...)
ORDER_ID = ("Order Number", "Order ID", "order_number_formatted", "wc_order_id")
TOTAL = ("Order Total Amount", "Order Total", "Order Total Amount with Tax", "total")
DATE = ("Order Date", "Date Created", "Order Created")
STATUS = ("Order Status", "Status")
REFUND = ("Order Refund", "Order Refund Amount", "Refunded Total", "Order Refunded", "Total Refunded",
          "Refund Amount", "Refunded Amount")
CUSTOMER = ("Customer User ID", "Customer User", "Customer ID", "User ID")
EMAIL = ("Billing Email", "Email (Billing)", "Billing Email Address", "Customer Email", "Customer User Email",
         "billing.email")
CURRENCY = ("Order Currency", "Currency")


def detect(c: Columns) -> int:
    return 7 if c.has(*ORDER_ID) and c.has(*TOTAL) and c.has(*DATE) and c.has(*STATUS) else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    oid, date, status = c.find(*ORDER_ID), c.find(*DATE), c.find(*STATUS)
    cid, email, refund = c.find(*CUSTOMER), c.find(*EMAIL), c.find(*REFUND)
    first_rows_only(b, oid)  # one-row-per-item exports repeat the order total
    b.drop_statuses(status)
    b.refunded_status(status, refund)
    amount, sym = b.amount_column(c.find(*TOTAL), refund)
    currency = b.currency(c.find(*CURRENCY), sym)
    who = [x for x in (cid, email and f"{email} (trimmed, lower-cased)") if x]
    b.mapping.update(customer=" else ".join(who) or "none", date=date, status=status, txn_id=oid)
    customer = b.who(cid, email)  # customer id 0 = guest checkout (a placeholder)
    return b.finish(customer, b.dates(date), amount, currency, clean_text(c.col(oid)))
