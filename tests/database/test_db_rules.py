"""METRICS.md's input rules, applied inside every engine: statuses, refunds, placeholder
customers, one person one customer, currencies and rates, timezone. Figures checked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


from dbengines import engine, sql_engine  # noqa: F401 - the parametrised fixtures

from kpi_tui.database.source import DatabaseSource
from kpi_tui.settings import Settings

JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)
COLUMNS = [("order_id", "text"), ("customer_id", "text"), ("email", "text"),
           ("order_date", "date"), ("amount", "decimal"), ("status", "text"),
           ("currency", "text")]
D = Decimal
ROWS = [
    ("1", "C1", None, JAN, D("100.00"), "paid", "EUR"),
    ("2", "C2", None, JAN, D("50.00"), "failed", "EUR"),  # never moved
    ("3", "C3", None, JAN, D("40.00"), "requires_payment_method", "EUR"),  # never moved
    ("4", "C4", None, JAN, D("30.00"), "Incomplete", "EUR"),  # never moved
    ("5", "N/A", None, JAN, D("20.00"), "paid", "EUR"),  # placeholder: unattributed
    ("6", "guest", "  ", JAN, D("10.00"), "paid", "EUR"),  # unattributed
    ("7", None, "Unknown", JAN, D("5.00"), "paid", "EUR"),  # unattributed
    ("8", "C5", None, JAN, D("60.00"), "Refunded", "EUR"),  # refunded, no refund row: 0
    ("9", "C6", None, JAN, D("70.00"), "refunded", "EUR"),  # refunded with its refund row:
    ("9", "C6", None, FEB, D("-70.00"), "refunded", "EUR"),  # each at its signed amount
    ("10", None, " Zed@Mail.com ", JAN, D("15.00"), "paid", "EUR"),
    ("11", "C7", "zed@mail.com", JAN, D("25.00"), "Completed", "EUR"),  # links C7 and zed
    ("12", "C8", "ZED@mail.com", FEB, D("5.00"), "paid", "EUR"),  # and C8: one person, C7
    ("13", "C9", None, JAN, D("100.00"), "paid", "USD"),  # rate 0.5: 50 EUR
    ("14", "C10", None, JAN, D("1000.00"), "paid", "GBP"),  # no rate: left out
    ("15", "C1", None, FEB, D("80.00"), "paid", None),  # no currency: the reporting one
]


def src(engine, columns, rows, settings):
    url, name = engine.load(columns, rows)
    return DatabaseSource(url, table=name, settings=settings, timeout=engine.timeout)


def pick(row, *keys):
    return tuple(row[k] for k in keys)


def test_rules(engine):
    s = src(engine, COLUMNS, ROWS, Settings(rates={"USD": 0.5}))
    jan, feb = s.figures("month")
    assert s.currency == "EUR"
    assert s.warnings == ["1 rows in GBP left out: no rate to EUR (give one with --rates)"]
    assert s.unattributed_revenue == 35.0
    # Jan: C1 100, C5 0 (refunded), C6 70, C7 40 (its id and e-mail rows), C9 50 (USD 100)
    assert pick(jan, "revenue", "active_customers", "acv") == (260.0, 4, 65.0)
    # Feb: C1 80, C6 -70 (its refund), C7 5 (C8's row, same e-mail)
    assert pick(feb, "revenue", "active_customers", "retained_customers", "churned_customers",
                "new_customers", "retained_revenue", "retained_revenue_prev",
                "churned_revenue_prev", "contraction") == (15.0, 2, 2, 2, 0, 85.0, 140.0, 120.0,
                                                          -55.0)
    text = s.check_text()
    for piece in ("customer  customer_id else email (trimmed, lower-cased)", "Rows: 16 read, 12 counted",
                  "1 rows with status 'failed'", "Dates: 2026-01-10 to 2026-02-10",
                  "Currency: EUR", "GBP left out"):
        assert piece in text, (piece, text)


def test_linking_off(sql_engine):
    engine = sql_engine
    settings = Settings(rates={"USD": 0.5})
    settings.link_identities = False
    jan, feb = src(engine, COLUMNS, ROWS, settings).figures("month")
    # Jan: C1, C6, C7 25, zed@mail.com 15, C9; Feb: C1 80, C6 -70, C8 5 (new)
    assert pick(jan, "revenue", "active_customers") == (260.0, 5)
    assert pick(feb, "revenue", "active_customers", "new_customers", "churned_customers") == \
        (15.0, 2, 1, 4)


def test_refunded_column(sql_engine):
    engine = sql_engine
    cols = [("order_id", "text"), ("customer", "text"), ("date", "date"), ("total", "decimal"),
            ("refunded_amount", "decimal"), ("status", "text")]
    rows = [("1", "A", JAN, D("100.00"), D("30.00"), "Refunded"),  # the column wins: 70
            ("2", "B", JAN, D("50.00"), None, "paid")]
    (jan,) = src(engine, cols, rows, Settings()).figures("month")
    assert pick(jan, "revenue", "active_customers") == (120.0, 2)


def test_case_sensitive_ids(engine):
    """`abc` and `ABC` are two customers in every engine (MySQL's collation would merge them)."""
    cols = [("customer_id", "text"), ("date", "date"), ("amount", "double")]
    rows = [("abc", JAN, 10.0), ("ABC", JAN, 20.0), ("abc", FEB, 5.0)]
    jan, feb = src(engine, cols, rows, Settings()).figures("month")
    assert pick(jan, "active_customers", "acv") == (2, 15.0)
    assert pick(feb, "retained_customers", "churned_customers") == (1, 1)


def test_timezone(engine):
    cols = [("customer_id", "text"), ("created_at", "timestamptz"), ("amount", "double")]
    utc = dt.timezone.utc
    rows = [("a", dt.datetime(2026, 2, 1, 3, 0, tzinfo=utc), 10.0),  # Jan 31 in New York
            ("b", dt.datetime(2026, 2, 1, 12, 0, tzinfo=utc), 20.0)]
    url, name = engine.load(cols, rows)
    plain = DatabaseSource(url, table=name, settings=Settings(), timeout=engine.timeout)
    assert [p["revenue"] for p in plain.figures("month")] == [30.0]
    ny = DatabaseSource(url, table=name, settings=Settings(timezone="America/New_York"),
                        timeout=engine.timeout)
    if engine.name == "mysql":  # no portable conversion there: said, not silently wrong
        assert ny.warnings == ["timezone America/New_York not applied on mysql: dates of "
                               "created_at are taken in UTC"]
        return
    assert [(p["start"], p["revenue"]) for p in ny.figures("month")] == \
        [("2026-01-01", 10.0), ("2026-02-01", 20.0)]


def test_currency_column_all_empty(engine):
    """A currency column with no value: no reporting currency, every row counted (as a file's
    empty column). It failed with a NameError (`pick_currency` not imported)."""
    cols = [("customer_id", "text"), ("date", "date"), ("amount", "double"), ("currency", "text")]
    rows = [("a", JAN, 10.0, None), ("b", FEB, 5.0, None), ("a", FEB, 2.5, None)]
    s = src(engine, cols, rows, Settings())
    jan, feb = s.figures("month")
    assert (s.currency, s.warnings) == (None, [])
    assert pick(jan, "revenue", "active_customers") == (10.0, 1)
    assert pick(feb, "revenue", "active_customers", "retained_customers", "new_customers") == \
        (7.5, 2, 1, 1)


def test_many_currencies_without_a_rate_are_one_warning(engine):
    """As a folder's (issue 13): more than three currencies without a rate, one line. A
    database source wrote one line per currency (its own copy of the warning)."""
    cols = [("customer_id", "text"), ("date", "date"), ("amount", "double"), ("currency", "text")]
    rows = [(f"e{i}", JAN, 2.0, "EUR") for i in range(9)]
    rows += [(f"x{c}{i}", JAN, 1.0, f"X{c}") for c in range(5) for i in range(c + 1)]
    s = src(engine, cols, rows, Settings())
    (jan,) = s.figures("month")
    assert s.currency == "EUR"
    assert s.warnings == ["15 rows in 5 currencies left out: no rate to EUR (give them with "
                          "--rates); most rows in X4 (5), X3 (4), X2 (3)"]
    assert pick(jan, "revenue", "active_customers") == (18.0, 9)


TYPED = [("customer_id", "text"), ("date", "date"), ("amount", "double"),
         ("transaction_type", "text")]
TYPED_ROWS = [
    ("a", JAN, 100.0, "Sale"), ("a", FEB, -20.0, "Refund"), ("b", JAN, 500.0, "Transfer"),
    ("b", FEB, -3.0, "stripe_fee"), ("c", JAN, 40.0, "Payment"),
    ("c", FEB, 7.0, "General Currency Conversion"), ("d", FEB, 5.0, "Cash Back Bonus"),
    ("e", FEB, 60.0, "Withdraw Funds to Bank Account"), ("f", FEB, 30.0, None),
    ("f", FEB, 9.0, "Virement"), ("g", JAN, 11.0, "Payment Hold"),
]


def typed_figures(s):
    jan, feb = s.figures("month")
    return (pick(jan, "revenue", "active_customers"),
            pick(feb, "revenue", "active_customers", "retained_customers", "churned_customers",
                 "new_customers"))


def test_type_column(engine):
    """METRICS.md: transfers, withdrawals, holds, releases, fees, conversions and cash-back are
    not transactions, in a table's type column as in a file's (they were counted)."""
    s = src(engine, TYPED, TYPED_ROWS, Settings())
    assert typed_figures(s) == ((140.0, 2), (10.0, 1, 0, 2, 1))
    assert s.summary["rows"] == 4
    text = s.check_text()
    assert "  type      transaction_type (transfers, fees... left out)" in text
    assert "Rows: 11 read, 4 counted" in text
    assert "  left out: 1 rows of type 'Transfer' (not a sale or refund)" in text


def test_type_column_many_values(engine, monkeypatch):
    """Past MAX_STATUSES distinct types, judged in the engine on the whole value's words."""
    import kpi_tui.database.transactions as txn

    monkeypatch.setattr(txn, "MAX_STATUSES", 3)
    rows = [r for r in TYPED_ROWS if r[3] in (None, "Sale", "Refund", "Payment", "Transfer",
                                               "stripe_fee", "Virement")]
    s = src(engine, TYPED, rows, Settings())
    assert typed_figures(s) == ((140.0, 2), (10.0, 1, 0, 2, 1))
    assert "  left out: 3 rows of type '(many types)' (not a sale or refund)" in s.check_text()


def test_no_customer_column_is_said(engine):
    """As a folder's file says it: a table with no customer id and no e-mail column counts
    every row as unattributed, and a warning says so and what to set."""
    s = src(engine, [("date", "date"), ("amount", "double")], [(JAN, 10.0), (FEB, 5.0)],
            Settings())
    assert s.unattributed_revenue == 15.0
    assert [p["active_customers"] for p in s.figures("month")] == [0, 0]
    assert s.warnings == [f"table {s.table_name}: no customer id or e-mail column: its rows "
                          "count as unattributed revenue, not as customers. To count customers by "
                          "a name or phone column, name it in the [mapping] of kpi-tui.toml, with "
                          "the date and amount columns (customer = \"...\")"]


def test_fill_classes_and_churn():
    # the figures' query's rows per (k, p, class) -> the AGGREGATES per period; churn of P: the
    # customers active in P-1 (the period before the first too) and not retained in P
    from kpi_tui.database.rules import fill

    def row(p, cls, n, v, vp=0, ex=0, co=0, k=0):
        return dict(k=k, p=p, cls=cls, n=n, v=v, vp=vp, expansion=ex, contraction=co,
                    unattributed=None)

    rows = [row(9, 1, 3, 400), row(9, 0, 1, -5),
            row(10, 1, 1, 100, 120, 0, -20), row(10, 2, 1, 50), row(10, 0, 1, -10),
            row(10, 1, 1, 30, 10, 20, 0),  # another part of the customers: added
            row(11, 3, 1, 40), row(11, 1, 9, 999, k=1)]  # another granularity: not here
    got = fill(rows, 10, 11)
    assert got == {
        "revenue": [170, 40], "active_n": [3, 1], "active_sum": [180, 40],
        "retained_n": [2, 0], "retained_rev": [130, 0], "retained_prev": [130, 0],
        "expansion": [20, 0], "contraction": [-20, 0], "new_n": [1, 0], "new_rev": [50, 0],
        "react_n": [0, 1], "react_rev": [0, 40], "churn_n": [1, 3], "churn_prev": [270, 180]}
