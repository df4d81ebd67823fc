"""UCI Online Retail (I and II) in a table, as a public data set is loaded into a database
(`Customer ID` a float column, as pandas writes it): recognised as the line-items layout reads
the file (amount = Quantity x Price, negative on a C-invoice), with the folder's figures."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from dbengines import engine  # noqa: F401 - the parametrised fixture

from kpi_tui.database.source import DatabaseSource
from kpi_tui.session import FolderSource
from kpi_tui.settings import Settings

T = dt.datetime
II = [("Invoice", "text"), ("StockCode", "text"), ("Quantity", "integer"),
      ("InvoiceDate", "timestamp"), ("Price", "double"), ("Customer ID", "double"),
      ("Country", "text")]
ROWS = [
    ("489434", "85048", 12, T(2009, 12, 1, 7, 45), 6.95, 13085.0, "United Kingdom"),
    ("489434", "79323P", 12, T(2009, 12, 1, 7, 45), 6.75, 13085.0, "United Kingdom"),
    ("489435", "22350", 4, T(2009, 12, 2, 9, 1), 2.5, 16321.0, "Australia"),
    ("C489449", "22087", -12, T(2009, 12, 3, 10, 33), 2.95, 16321.0, "Australia"),
    ("C489450", "D", 1, T(2009, 12, 4, 11, 0), 4.65, 15311.0, "United Kingdom"),  # no sign
    ("489451", "22139", 56, T(2009, 12, 5, 11, 52), 0.0, None, "United Kingdom"),
    ("A506401", "B", 1, T(2010, 1, 4, 9, 0), -53594.36, None, "United Kingdom"),  # bad debt
    ("493410", "21232", 10, T(2010, 1, 5, 12, 0), 1.25, 13085.0, "United Kingdom"),
    ("493411", "21232", 3, T(2010, 1, 6, 12, 0), 1.25, 15311.0, "United Kingdom"),
    ("493412", "84879", 8, T(2010, 2, 1, 8, 0), 1.69, 12583.0, "France"),
]
# by hand: December 13085 12 x 6.95 + 12 x 6.75 = 164.40, 16321 10.00 - 35.40 = -25.40 (not
# active), 15311 -4.65 (a C-invoice with a positive quantity); unattributed 0.00.
# January: 13085 12.50, 15311 3.75; unattributed -53594.36. February: 12583 13.52.
WANT = [("2009-12-01", 134.35, 1), ("2010-01-01", 16.25, 2), ("2010-02-01", 13.52, 1)]


def test_uci_online_retail_table(engine, tmp_path):  # noqa: F811
    url, name = engine.load(II, ROWS)
    db = DatabaseSource(url, table=name, settings=Settings(cache=False), timeout=engine.timeout)
    f = db.fields
    assert (f["quantity"], f["unit_price"], f["order_id"], f["date"], f["customer"],
            f["amount"]) == ("Quantity", "Price", "Invoice", "InvoiceDate", "Customer ID", None)
    assert dict(f.describe())["amount"] == "Quantity x Price (negative for C-invoices)"
    got = db.report("month")
    assert [(p["start"], round(p["revenue"], 2), p["active_customers"])
            for p in got["periods"]] == WANT
    assert round(got["unattributed_revenue"], 2) == -53594.36
    # the same rows as the file UCI publishes: every field of every period equal
    with open(tmp_path / "online_retail_II.csv", "w", newline="", encoding="utf-8") as fo:
        w = csv.writer(fo)
        w.writerow([c for c, _ in II])
        w.writerows([*r[:3], r[3].strftime("%Y-%m-%d %H:%M:%S"), r[4],
                     "" if r[5] is None else r[5], r[6]] for r in ROWS)
    want = FolderSource(tmp_path, Settings(cache=False)).snapshot().report("month")
    assert [p["start"] for p in want["periods"]] == [p["start"] for p in got["periods"]]
    for w, g in zip(want["periods"], got["periods"]):
        for k in w:
            assert g[k] == (pytest.approx(w[k]) if isinstance(w[k], float) else w[k]), k
    assert want["unattributed_revenue"] == pytest.approx(got["unattributed_revenue"])
    if engine.name != "spark":
        db.conn.backend.disconnect()
