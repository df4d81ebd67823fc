"""Same figures in every engine: the golden example, the bundled sample and random transactions,
computed in DuckDB, PostgreSQL, MariaDB and Spark, against the folder engine (every field of every
period, exactly) and the contract's expected JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from dbengines import engine  # noqa: F401 - the parametrised fixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import GOLDEN, table  # noqa: E402
import reference  # noqa: E402

from kpi_tui.database.source import DatabaseSource  # noqa: E402
from kpi_tui.ingest.folder import load_folder  # noqa: E402
from kpi_tui.metrics.figures import period_figures, window_figures  # noqa: E402
from kpi_tui.metrics.ledger import MICROS, ledger_from_transactions  # noqa: E402
from kpi_tui.metrics.periods import GRANULARITIES  # noqa: E402
from kpi_tui.settings import Settings  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "data"
TXN_COLUMNS = [("customer_id", "text"), ("order_date", "date"), ("amount", "double")]


def source(engine, columns, rows, **kw) -> DatabaseSource:
    url, name = engine.load(columns, rows)
    return DatabaseSource(url, table=name, settings=kw.pop("settings", Settings()),
                          timeout=engine.timeout, **kw)


def folder_engine(rows, g, as_of=None):
    led = ledger_from_transactions(table(rows))
    return (period_figures(led, g, as_of), window_figures(led, g, as_of),
            led.unattributed_micros / MICROS)


def close(a, b):
    if a is None or b is None or isinstance(a, (str, bool)):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


# -- (a) the golden example: the contract's expected reports --------------------------------

def golden_table_rows():
    """Both golden exports as one table: an order id in both counts from the later file."""
    kept = {}
    for name in ("orders-2026-02.csv", "orders-2026-05.csv"):
        for r in csv.DictReader(open(GOLDEN / name)):
            kept[r["order_id"]] = (r["order_id"], r["customer_id"],
                                   dt.datetime.fromisoformat(r["created_at"]),
                                   float(r["amount"]), r["currency"], r["status"])
    return list(kept.values())


GOLDEN_COLUMNS = [("order_id", "text"), ("customer_id", "text"), ("created_at", "timestamp"),
                  ("amount", "double"), ("currency", "text"), ("status", "text")]


def assert_golden(src, who: str) -> None:
    """The source's month and quarter reports are the contract's expected ones."""
    for g in ("month", "quarter"):
        want = json.load(open(GOLDEN / f"expected-{g}.json"))
        got = src.report(g)
        assert {k: v for k, v in got.items() if k != "periods"} == \
               {k: v for k, v in want.items() if k != "periods"}
        assert [list(p) for p in got["periods"]] == [list(p) for p in want["periods"]]
        for w, r in zip(want["periods"], got["periods"]):
            for k in w:
                assert close(r[k], w[k]), (who, g, w["start"], k, r[k], w[k])


def test_golden(engine):
    assert_golden(source(engine, GOLDEN_COLUMNS, golden_table_rows()), engine.name)


# -- (b) the bundled sample, every granularity, vs the folder engine ------------------------

@pytest.fixture(scope="module")
def sample():
    ds = load_folder(DATA, Settings(cache=False))
    t = ds.transactions
    rows = list(zip(t.column("customer").to_pylist(), t.column("date").to_pylist(),
                    t.column("amount").to_pylist()))
    return rows, ds.currency


def test_sample_all_granularities(engine, sample):
    rows, _ = sample
    src = source(engine, TXN_COLUMNS, rows)
    for g in GRANULARITIES:
        figures, trailing, unattributed = folder_engine(rows, g)
        assert src.figures(g) == figures, (engine.name, g)
        assert src.trailing(g) == trailing, (engine.name, g)
    assert src.unattributed_revenue == unattributed
    assert src.as_of == max(d for _, d, _ in rows)


# -- (c) random transactions vs the folder engine and tests/reference.py ---------------------

customers = st.sampled_from(["a", "b", "c", "d", "e", "f", "B", None])
amounts = st.sampled_from([0.01, 1.0, 9.99, 10.0, 19.95, 25.5, 100.0, 1234.56, -5.0, -10.0, 0.0])
dates = st.dates(dt.date(2025, 11, 20), dt.date(2026, 3, 10))
txns = st.lists(st.tuples(customers, dates, amounts), min_size=1, max_size=40)
EXAMPLES = {"duckdb": 6, "postgres": 6, "mysql": 6, "spark": 2}


def test_random_transactions(engine):
    @hsettings(max_examples=EXAMPLES[engine.name], deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    @given(rows=txns, g=st.sampled_from(GRANULARITIES), margin=st.sampled_from([1.0, 0.4]),
           as_of=st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 1))))
    def check(rows, g, margin, as_of):
        src = source(engine, TXN_COLUMNS, rows, settings=Settings(margin=margin, as_of=as_of))
        led = ledger_from_transactions(table(rows))
        assert src.figures(g) == period_figures(led, g, as_of, margin)
        assert src.trailing(g) == window_figures(led, g, as_of, margin)
        want = reference.report(rows, g, as_of=as_of, margin=margin)
        assert src.unattributed_revenue == pytest.approx(want["unattributed_revenue"], abs=1e-9)
        assert [p["start"] for p in src.figures(g)] == [p["start"] for p in want["periods"]]
        for w, r in zip(want["periods"], src.figures(g)):
            for k in w:
                assert close(r[k], w[k]), (g, w["start"], k, r[k], w[k])
        engine.drop_all()

    check()


# -- (d) a large DuckDB table: the figures' queries in parts of the customers ----------------

@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    from dbengines import open_engine

    eng = open_engine("duckdb", tmp_path_factory.mktemp("duck-parts"))
    yield eng
    eng.close()


@pytest.mark.parametrize("parts", [2, 7])
def test_duckdb_in_parts_gives_the_same_figures(duck, sample, monkeypatch, parts):
    # a table of more than DUCKDB_PART_ROWS rows runs its figures' queries once per part of
    # the customers (within the same memory limit): the parts' answers add up to the same
    # figures, unattributed rows and trailing windows included
    from kpi_tui.database import connect

    monkeypatch.setattr(connect, "DUCKDB_PART_ROWS", -(-14 // parts))  # 14 rows counted
    src = source(duck, GOLDEN_COLUMNS, golden_table_rows())
    assert_golden(src, f"duckdb in {parts} parts")
    assert src.conn.parts == parts
    rows, _ = sample
    monkeypatch.setattr(connect, "DUCKDB_PART_ROWS", -(-len(rows) // parts))
    src = source(duck, TXN_COLUMNS, rows)
    for g in GRANULARITIES:
        figures, trailing, unattributed = folder_engine(rows, g)
        assert src.figures(g) == figures, g
        assert src.trailing(g) == trailing, g
    assert src.unattributed_revenue == unattributed
    assert src.conn.parts == parts
