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


POSTS = [("id", "integer"), ("post_type", "text"), ("post_status", "text"),
         ("post_date_gmt", "timestamp"), ("post_parent", "integer")]
META = [("meta_id", "integer"), ("post_id", "integer"), ("meta_key", "text"),
        ("meta_value", "text")]


def legacy_rows() -> tuple[list, list]:
    """WC_ROWS as WooCommerce's legacy storage holds them: a post per order or refund (its
    parent the order), the rest in wp_postmeta as text; plus a product and a trashed order."""
    posts, meta = [], []
    for (i, status, cur, typ, _tax, total, cust, email, created, _upd, parent, _txn) in WC_ROWS:
        posts.append((i, typ, status, created, parent))
        meta += [(i, "_order_total", f"{total:.2f}"), (i, "_order_currency", cur)]
        if typ == "shop_order":
            meta += [(i, "_customer_user", str(cust)), (i, "_billing_email", email or "")]
        else:
            meta.append((i, "_refund_amount", f"{-total:.2f}"))
    posts += [(110, "product", "publish", T(2026, 1, 1), 0),
              (111, "shop_order", "trash", T(2026, 2, 12), 0)]
    meta += [(110, "_price", "12.00"), (111, "_order_total", "500.00"),
             (111, "_customer_user", "7"), (111, "_order_currency", "EUR")]
    return posts, [(n, *m) for n, m in enumerate(meta, 1)]


def readme_legacy_sql() -> str:
    """The `sql` of the README's WooCommerce legacy-storage `[source]` example."""
    text = README.read_text(encoding="utf-8")
    m = re.search(r'\[source\]\nurl = "mysql://[^"]+"\nsql = """(.*?)"""', text[
        text.index("legacy storage"):], re.S)
    assert m, "the README's WooCommerce legacy example"
    return m.group(1)


def test_woocommerce_legacy_readme_query(sql_engine):  # noqa: F811
    """The README's query on wp_posts and wp_postmeta: the same figures as on wp_wc_orders."""
    posts, meta = legacy_rows()
    url, p = sql_engine.load(POSTS, posts)
    if sql_engine.name == "duckdb":  # (a DuckDB file per table: both in the first one)
        import duckdb

        m = "wp_meta"
        con = duckdb.connect(url.removeprefix("duckdb://"))
        con.execute(f"CREATE TABLE {m} (meta_id BIGINT, post_id BIGINT, meta_key VARCHAR, "
                    "meta_value VARCHAR)")
        con.executemany(f"INSERT INTO {m} VALUES (?, ?, ?, ?)", meta)
        con.close()
    else:
        _, m = sql_engine.load(META, meta)
    sql = readme_legacy_sql().replace("wp_postmeta", m).replace("wp_posts", p)
    s = DatabaseSource(url, sql=sql, settings=Settings(), timeout=sql_engine.timeout)
    f = s.fields
    assert (f["order_id"], f["date"], f["amount"], f["customer"], f["email"], f["status"],
            f["currency"]) == ("order_id", "created_at", "total", "customer_id",
                               "billing_email", "status", "currency")
    assert months(s) == [("2026-01-01", 160.0, 2, None, None, None),
                         ("2026-02-01", 60.0, 2, 1, 1, 1)]
    assert s.unattributed_revenue == 0.0
    assert s.warnings == []


SHOPIFY = [("id", "integer"), ("email", "text"), ("customer_id", "integer"),
           ("created_at", "timestamp"), ("subtotal_price", "decimal"), ("total_price", "decimal"),
           ("currency", "text"), ("financial_status", "text")]
SHOPIFY_ROWS = [
    (1, "ann@example.com", 11, T(2026, 1, 4), D("45"), D("50"), "EUR", "paid"),
    (2, "bob@example.com", 12, T(2026, 1, 8), D("27"), D("30"), "EUR", "refunded"),
    (3, "ann@example.com", 11, T(2026, 2, 2), D("18"), D("20"), "EUR", "partially_refunded"),
    (4, "cy@example.com", None, T(2026, 2, 3), D("9"), D("10"), "EUR", "voided"),
    (5, "Cy@Example.com", None, T(2026, 2, 9), D("36"), D("40"), "EUR", "authorized"),
]


def test_shopify_order_table(sql_engine):  # noqa: F811
    """Shopify's `order` table as a warehouse sync lays it out: `total_price` is the amount."""
    url, name = sql_engine.load(SHOPIFY, SHOPIFY_ROWS)
    s = DatabaseSource(url, table=name, settings=Settings(), timeout=sql_engine.timeout)
    assert (s.fields["amount"], s.fields["status"]) == ("total_price", "financial_status")
    # January: ann 50, bob refunded (0); February: ann 20, cy 40 (4 voided)
    assert months(s) == [("2026-01-01", 50.0, 1, None, None, None),
                         ("2026-02-01", 60.0, 2, 1, 1, 0)]
