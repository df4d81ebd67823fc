import csv
import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pytest

# the contract's copy (shared/ beside the checkout, as CI lays it), else the copy in the repo
GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "examples" / "golden"
if not GOLDEN.is_dir():
    GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
MTIMES = {"orders-2026-02.csv": "2026-02-28", "orders-2026-05.csv": "2026-05-31"}


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the real user cache or state dirs."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))


@pytest.fixture
def golden_dir(tmp_path) -> Path:
    """The golden exports in a temporary folder, with the mtimes the expected reports assume."""
    if not GOLDEN.is_dir():
        pytest.skip(f"golden examples not found at {GOLDEN}")
    d = tmp_path / "golden"
    d.mkdir()
    for name, day in MTIMES.items():
        shutil.copy(GOLDEN / name, d / name)
        t = time.mktime(time.strptime(day, "%Y-%m-%d"))
        os.utime(d / name, (t, t))
    return d


def table(rows):
    """(customer, date, amount) rows as the transactions table the ledger reads."""
    cust, date, amount = zip(*rows) if rows else ((), (), ())
    return pa.table({
        "customer": pa.array(list(cust), pa.string()),
        "date": pa.array(list(date), pa.date32()),
        "amount": pa.array(list(amount), pa.float64()),
    })


def golden_rows():
    """The golden transactions read by hand: failed dropped, an id counted from the later file."""
    kept = {}
    for name in ("orders-2026-02.csv", "orders-2026-05.csv"):  # later file wins on ids
        for r in csv.DictReader(open(GOLDEN / name)):
            if r["status"] != "failed":
                kept[r["order_id"]] = (r["customer_id"] or None,
                                       dt.date.fromisoformat(r["created_at"][:10]),
                                       float(r["amount"]))
    return list(kept.values())
