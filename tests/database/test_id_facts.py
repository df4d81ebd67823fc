"""The first query says which clean-up steps the customer ids need (database.transactions.IdFacts);
the figures' query leaves out the others, with the same figures. Checked by hand in every engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pytest

from dbengines import engine  # noqa: F401 - the parametrised fixture

from kpi_tui.database.source import DatabaseSource
from kpi_tui.database.transactions import IdFacts, clean_id
from kpi_tui.settings import Settings

JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)
COLUMNS = [("customer_id", "text"), ("order_date", "date"), ("amount", "decimal"),
           ("status", "text")]
D = Decimal

CASES = {  # ids of (Jan, Jan, Feb): the Feb row is the first Jan customer's
    "clean": (("CUSTOMER01", "CUSTOMER02", "CUSTOMER01"), IdFacts(False, False, False)),
    "decimal": (("12345678.0", "CUSTOMER02", "12345678"), IdFacts(False, True, True)),
    "spaced": (("CUSTOMER01", "CUSTOMER02", " CUSTOMER01\t"), IdFacts(True, False, True)),
    "short": (("C1", "CUSTOMER02", "C1"), IdFacts(False, False, True)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_steps_left_out_same_figures(engine, case):
    (a, b, a2), facts = CASES[case]
    rows = [(a, JAN, D("10.00"), "paid"), (b, JAN, D("5.00"), "paid"),
            (a2, FEB, D("20.00"), "paid"), ("n/a", FEB, D("1.00"), "paid")]
    if case == "clean":  # no placeholder among the ids either
        rows = rows[:3]
    url, name = engine.load(COLUMNS, rows)
    s = DatabaseSource(url, table=name, settings=Settings(), timeout=engine.timeout)
    jan, feb = s.figures("month")
    if case != "clean":  # 'n/a' is short: every step but the ones the other ids rule out
        facts = IdFacts(facts.spaces, facts.dot, True)
    assert s._first_ids == facts
    assert (jan["revenue"], jan["active_customers"]) == (15.0, 2)
    assert (feb["revenue"], feb["active_customers"], feb["retained_customers"],
            feb["churned_customers"]) == (20.0, 1, 1, 1)
    assert s.unattributed_revenue == (0.0 if case == "clean" else 1.0)


def test_clean_id_sql_without_steps():
    t = ibis.table({"c": "string"}, name="t")
    full = ibis.to_sql(t.select(c=clean_id(t.c, "duckdb")), dialect="duckdb")
    none = ibis.to_sql(t.select(c=clean_id(t.c, "duckdb", IdFacts(False, False, False))),
                       dialect="duckdb")
    assert all(w in full for w in ("TRIM", "REGEXP_REPLACE", "LOWER"))
    assert not any(w in none for w in ("TRIM", "REGEXP_REPLACE", "LOWER", "CASE"))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("summary_first", [False, True])
def test_duckdb_checks_ids_in_the_figures_query(tmp_path, case, summary_first):
    # DuckDB: the first query leaves the ids' test to the figures' query (on names per customer
    # and period), which is run again with the steps some name needs; a use of the transactions
    # before the figures checks the ids in a query of its own. Same figures either way.
    import duckdb

    (a, b, a2), facts = CASES[case]
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t (customer_id VARCHAR, order_date DATE, amount DECIMAL(18,2), "
                "status VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                    [(a, JAN, D("10.00"), "paid"), (b, JAN, D("5.00"), "paid"),
                     (a2, FEB, D("20.00"), "paid"), (None, FEB, D("1.00"), "paid")])
    con.close()
    s = DatabaseSource(f"duckdb:///{db}", table="t", settings=Settings())
    assert s.warnings == [] and s._ids_unchecked  # the first query: no test of the ids
    if summary_first:
        assert s.summary["rows"] == 4
        assert not s._ids_unchecked
    jan, feb = s.figures("month")
    assert not s._ids_unchecked
    assert s._first_ids == facts
    assert (jan["revenue"], jan["active_customers"]) == (15.0, 2)
    assert (feb["revenue"], feb["active_customers"], feb["retained_customers"],
            feb["churned_customers"]) == (20.0, 1, 1, 1)
    assert s.unattributed_revenue == 1.0
