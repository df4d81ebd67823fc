"""A shop's own order table, as its system lays it out: WooCommerce's `wp_wc_orders` (HPOS) and
Magento's `sales_order`, on the SQL servers and DuckDB. The README's example `[source] sql`
for WooCommerce gives each refund row its order's customer and id. Figures checked by hand."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

from dbengines import sql_engine  # noqa: F401 - the parametrised fixture

from kpi_tui.database.source import DatabaseSource
from kpi_tui.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
T = dt.datetime
WC = [("id", "integer"), ("status", "text"), ("currency", "text"), ("type", "text"),
      ("tax_amount", "decimal"), ("total_amount", "decimal"), ("customer_id", "integer"),
      ("billing_email", "text"), ("date_created_gmt", "timestamp"),
      ("date_updated_gmt", "timestamp"), ("parent_order_id", "integer"),
      ("transaction_id", "text")]
WC_ROWS = [  # id, status, currency, type, tax, total, customer, e-mail, created, updated, parent
    (101, "wc-completed", "EUR", "shop_order", D(0), D("100"), 7, "ann@example.com",
     T(2026, 1, 5, 10), T(2026, 1, 5, 10), 0, "pi_1"),
    (102, "wc-refunded", "EUR", "shop_order", D(0), D("40"), 8, "bob@example.com",
     T(2026, 1, 6, 11), T(2026, 1, 20, 11), 0, "pi_2"),
    (103, "wc-completed", "EUR", "shop_order_refund", D(0), D("-40"), 0, None,  # 102's refund
     T(2026, 1, 20, 11), T(2026, 1, 20, 11), 102, None),
    (104, "wc-processing", "EUR", "shop_order", D(0), D("60"), 0, "guest@example.com",  # guest
     T(2026, 1, 7, 12), T(2026, 1, 7, 12), 0, "pi_4"),
    (105, "wc-completed", "EUR", "shop_order_refund", D(0), D("-10"), 0, None,  # 104's, part
     T(2026, 2, 2, 9), T(2026, 2, 2, 9), 104, None),
    (106, "wc-checkout-draft", "EUR", "shop_order", D(0), D("75"), 0, None,  # never placed
     T(2026, 2, 3, 9), T(2026, 2, 3, 9), 0, None),
    (107, "wc-failed", "EUR", "shop_order", D(0), D("30"), 7, "ann@example.com",
     T(2026, 2, 4, 9), T(2026, 2, 4, 9), 0, None),
    (108, "wc-completed", "EUR", "shop_order", D(0), D("50"), 7, "ann@example.com",
     T(2026, 2, 10, 9), T(2026, 2, 10, 9), 0, "pi_8"),
    (109, "wc-on-hold", "EUR", "shop_order", D(0), D("20"), 9, "cat@example.com",
     T(2026, 2, 11, 9), T(2026, 2, 11, 9), 0, None),
]


def months(s: DatabaseSource) -> list[tuple]:
    return [(p["start"], p["revenue"], p["active_customers"], p["new_customers"],
             p["retained_customers"], p["churned_customers"]) for p in s.figures("month")]


def readme_sql() -> str:
    """The `sql` of the README's WooCommerce `[source]` example."""
    text = README.read_text(encoding="utf-8")
    m = re.search(r'\[source\]\nurl = "mysql://[^"]+"\nsql = """(.*?)"""', text, re.S)
    assert m, "the README's WooCommerce example"
    return m.group(1)


def test_woocommerce_table_as_it_is(sql_engine):  # noqa: F811
    """Its columns are recognised (the date is `date_created_gmt`). As it is, a refund row
    names no customer: its amount is unattributed, and a fully refunded order (status
    wc-refunded, no negative row with its id) counts 0."""
    url, name = sql_engine.load(WC, WC_ROWS)
    s = DatabaseSource(url, table=name, settings=Settings(), timeout=sql_engine.timeout)
    f = s.fields
    assert (f["date"], f["amount"], f["customer"], f["email"], f["status"], f["type"]) == (
        "date_created_gmt", "total_amount", "customer_id", "billing_email", "status", "type")
    assert months(s) == [("2026-01-01", 160.0, 2, None, None, None),
                         ("2026-02-01", 70.0, 2, 1, 1, 1)]
    assert s.unattributed_revenue == 25.0  # -40 - 10 + 75 (the draft)


def test_woocommerce_readme_query(sql_engine):  # noqa: F811
    """The README's query: refunds on their order's customer and id, no drafts."""
    url, name = sql_engine.load(WC, WC_ROWS)
    s = DatabaseSource(url, sql=readme_sql().replace("wp_wc_orders", name), settings=Settings(),
                       timeout=sql_engine.timeout)
    assert s.fields["order_id"] == "order_id"
    # January: ann 100, bob 40 - 40 = 0 (not active), the guest 60; February: ann 50 (107
    # failed), cat 20 (on hold counts), the guest -10
    assert months(s) == [("2026-01-01", 160.0, 2, None, None, None),
                         ("2026-02-01", 60.0, 2, 1, 1, 1)]
    assert s.unattributed_revenue == 0.0
    assert s.warnings == []


MAGENTO = [("entity_id", "integer"), ("increment_id", "text"), ("state", "text"),
           ("status", "text"), ("customer_id", "integer"), ("customer_email", "text"),
           ("base_grand_total", "decimal"), ("grand_total", "decimal"),
           ("total_refunded", "decimal"), ("order_currency_code", "text"),
           ("created_at", "timestamp")]
MAGENTO_ROWS = [
    (1, "000000001", "complete", "complete", 5, "ann@example.com", D("80"), D("80"), None,
     "EUR", T(2026, 1, 3)),
    (2, "000000002", "closed", "closed", None, "Bob@Example.com ", D("30"), D("30"), D("30"),
     "EUR", T(2026, 1, 9)),  # refunded in full (a credit memo)
    (3, "000000003", "processing", "processing", None, "bob@example.com", D("45"), D("45"),
     D("5"), "EUR", T(2026, 2, 1)),  # a guest, linked by e-mail; 5 refunded
    (4, "000000004", "canceled", "canceled", 5, "ann@example.com", D("99"), D("99"), None,
     "EUR", T(2026, 2, 2)),
    (5, "000000005", "new", "pending", 6, "cy@example.com", D("12"), D("12"), None, "EUR",
     T(2026, 2, 3)),
    (6, "000000006", "complete", "complete", 6, "cy@example.com", D("10"), D("11"), None,
     "USD", T(2026, 2, 4)),  # another currency: no rate, left out
]


def test_magento_sales_order(sql_engine):  # noqa: F811
    url, name = sql_engine.load(MAGENTO, MAGENTO_ROWS)
    s = DatabaseSource(url, table=name, settings=Settings(), timeout=sql_engine.timeout)
    f = s.fields
    assert (f["date"], f["amount"], f["refunded"], f["currency"], f["email"]) == (
        "created_at", "grand_total", "total_refunded", "order_currency_code", "customer_email")
    # January: ann 80, bob 30 - 30 = 0; February: bob 45 - 5 = 40 (4 canceled, 5 pending)
    assert months(s) == [("2026-01-01", 80.0, 1, None, None, None),
                         ("2026-02-01", 40.0, 1, 1, 0, 1)]
    assert s.currency == "EUR"
    assert s.warnings == ["1 rows in USD left out: no rate to EUR (give one with --rates)"]
