"""Messy rows, one CSV file in a folder and the same rows in a table of every engine: the same
report (every field of every period, the currency, the unattributed revenue) and the same
warnings. Statuses (never moved, refunded, `wc-`, Stripe's), refunded amounts, placeholder
customers, e-mails linking ids, currencies with and without rates, non-sale types, ids."""

from __future__ import annotations

import csv
import datetime as dt
import math

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from dbengines import engine  # noqa: F401 - the parametrised fixture

from kpi_tui.database.source import DatabaseSource
from kpi_tui.session import FolderSource
from kpi_tui.settings import Settings

VALUES = {
    "order_id": [None, "1", "2", "3", "4", "5", "6", "7", "8"],
    "customer_id": ["C1", "C2", " c3 ", "c3", "C3", "N/A", "guest", "0", "", None, "C 4",
                    "Unknown", "-"],
    "email": ["a@x.com", " A@X.com ", "b@y.org", "", None, "unknown", "c@z.net", "N/A"],
    "status": ["paid", "Paid", "failed", "pending", "refunded", "Refunded", "completed",
               "wc-cancelled", "requires_payment_method", "", None, "partially_refunded",
               "authorized", "Remboursé", "succeeded", "Refunded "],
    "currency": ["EUR", "eur", " USD", "", None, "GBP", "USD"],
    "amount": [10.0, 25.5, -5.0, 0.0, 100.0, 1234.56, -20.0, 0.01, -10.0],
    "refunded": [0.0, 5.0, None, 10.0],
    "type": ["Sale", "Refund", "Transfer", "", None, "Fee", "Payment"],
}
KIND = {"created_at": "date", "amount": "double", "refunded": "double"}
OPTIONAL = ("order_id", "customer_id", "email", "refunded", "status", "currency", "type")
EXAMPLES = {"duckdb": 12, "postgres": 8, "mysql": 8, "spark": 2}
START = dt.date(2025, 11, 1)


@st.composite
def tables(draw):
    cols = ["created_at", "amount"] + [c for c in OPTIONAL if draw(st.booleans())]
    row = st.fixed_dictionaries({c: (st.integers(0, 150).map(lambda d: START + dt.timedelta(d))
                                     if c == "created_at" else st.sampled_from(VALUES[c]))
                                 for c in cols})
    return cols, draw(st.lists(row, min_size=1, max_size=30))


def same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    return x == y


def test_messy_rows_give_the_folder_figures(engine, tmp_path_factory):
    @hsettings(max_examples=EXAMPLES[engine.name], deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    @given(t=tables(), g=st.sampled_from(["week", "month", "quarter"]),
           rates=st.sampled_from([{}, {"USD": 0.5}, {"GBP": 2.0, "USD": 0.5}]),
           currency=st.sampled_from([None, "EUR", "USD"]), link=st.booleans())
    def check(t, g, rates, currency, link):
        cols, rows = t
        s = Settings(cache=False, rates=rates, currency=currency, link_identities=link)
        folder = tmp_path_factory.mktemp("messy")
        with open(folder / "orders.csv", "w", newline="", encoding="utf-8") as fo:
            w = csv.writer(fo)
            w.writerow(cols)
            w.writerows([("" if r[c] is None else r[c]) for c in cols] for r in rows)
        files = FolderSource(folder, s).snapshot()
        url, name = engine.load([(c, KIND.get(c, "text")) for c in cols],
                                [tuple(r[c] for c in cols) for r in rows])
        db = DatabaseSource(url, table=name, settings=s, timeout=engine.timeout)
        try:
            want, got = files.report(g), db.report(g)
            warned = db.warnings
        finally:  # (a server's connection; Spark's session is the fixture's)
            if engine.name != "spark":
                db.conn.backend.disconnect()
        assert got["currency"] == want["currency"]
        assert same(got["unattributed_revenue"], want["unattributed_revenue"])
        assert [p["start"] for p in got["periods"]] == [p["start"] for p in want["periods"]]
        for w, r in zip(want["periods"], got["periods"]):
            for k in w:
                assert same(r[k], w[k]), (engine.name, g, w["start"], k, r[k], w[k])
        # a file with no customer at all is said per file, a table without the columns per table
        said = [w for w in files.warnings if "no customer id or e-mail in any row" not in w]
        told = [w for w in warned if "no customer id or e-mail column" not in w]
        assert sorted(told) == sorted(said)
        engine.drop_all()

    check()
