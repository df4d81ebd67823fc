"""The summary's rows and first/last day come from the first query when no row is screened or
left out for its currency and dates are taken as stored; they equal the figures' scan's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dbengines import sql_engine  # noqa: F401 - the parametrised fixture

from kpi_tui.database import figures as engine_figures
from kpi_tui.database.source import DatabaseSource
from kpi_tui.settings import Settings

COLUMNS = [("customer_id", "text"), ("created_at", "timestamp"), ("amount", "decimal"),
           ("status", "text"), ("currency", "text")]
D = Decimal
ROWS = [
    ("C1", dt.datetime(2026, 1, 3, 23, 59), D("10.00"), "paid", "EUR"),
    ("C2", dt.datetime(2025, 12, 31, 8, 0), D("99.00"), "failed", "EUR"),  # not counted
    (None, dt.datetime(2026, 1, 9, 12, 0), D("4.00"), None, "EUR"),  # unattributed
    ("C1", dt.datetime(2026, 2, 27, 0, 1), D("-3.00"), "refunded", "EUR"),
    ("C3", dt.datetime(2026, 3, 2, 9, 0), D("7.00"), "pending", "EUR"),  # not counted
    ("C4", dt.datetime(2026, 2, 28, 18, 30), D("6.00"), "paid", "USD"),
]


@pytest.mark.parametrize("rates, known", [({"USD": 2.0}, True), ({}, False)])
def test_summary_from_first_query(sql_engine, rates, known):
    url, name = sql_engine.load(COLUMNS, ROWS)
    s = DatabaseSource(url, table=name, settings=Settings(rates=rates), timeout=sql_engine.timeout)
    s.figures("month")
    # without a USD rate its row is left out: the summary comes from the figures' scan
    rows = 4 if known else 3
    assert (s._known is not None) == known
    assert s.summary == {"rows": rows, "first_day": 20456, "last_day": 20512 if known else 20511,
                         "unattributed": 4_000_000}
    scan = s.run(engine_figures.summary(s.transactions)).to_pylist()[0]
    assert scan == s.summary
