"""kpi-tui against tests/reference.py, an independent reading of METRICS.md.

The transactions are read here with the csv module, following each export's documented
semantics, never through kpi_tui.ingest.
"""

import csv
import datetime as dt
import json
import math
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GOLDEN
from kpi_tui.cli import main
from reference import (FIELDS, GRANULARITIES, customer_value, customers, file_version, refunded_status,
                       report, says_refunded)

SAMPLE = Path(__file__).resolve().parents[2] / "data"
# statuses that say the money never moved (METRICS.md, Amount)
DROP = {"failed", "declined", "pending", "canceled", "cancelled", "voided", "expired",
        "abandoned", "unpaid"}


# ---- reading exports independently ------------------------------------------------------

def dedupe(files):
    """files: [(version, [(id, txn or None when dropped), ...])]. An id counts only from its
    newest file, whatever the status there (a newer export may say an order was voided).
    version: reference.file_version (mtime, then the rows' last date, name (n), path)."""
    newest = {}
    for mtime, rows in files:
        for i, _ in rows:
            newest[i] = max(newest.get(i, mtime), mtime)
    return [(i, t) for mtime, rows in files for i, t in rows if newest[i] == mtime and t is not None]


def email_value(value):
    v = customer_value(value)
    return v.lower() if v else None


def linked(rows):
    """rows [((id, e-mail), date, amount)] -> [(customer, date, amount)] (one person, one customer)."""
    names = customers([who for who, d, a in rows])
    return [(n, d, a) for n, (who, d, a) in zip(names, rows)]


def read_golden_layout(folder):
    """order_id,customer_id,created_at,amount,currency,status (the golden example's layout),
    and an optional email column."""
    files = []
    for p in sorted(Path(folder).rglob("*.csv")):
        rows = []
        with open(p, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if r["status"].strip().lower() in DROP:
                    rows.append((r["order_id"], None))
                    continue
                who = (customer_value(r["customer_id"]), email_value(r.get("email")))
                day = dt.date.fromisoformat(r["created_at"][:10])
                rows.append((r["order_id"], (says_refunded(r["status"]), (who, day, Decimal(r["amount"])))))
        last = max((t[1][1] for _, t in rows if t is not None), default=None)
        files.append((file_version(p.stat().st_mtime, p, last), rows))
    return linked(refunded_status([(i, flag, t) for i, (flag, t) in dedupe(files)]))


def read_sample(folder):
    """The bundled sample: Shopify orders exports + Stripe unified payments."""
    files = []
    for p in sorted(Path(folder).glob("orders_export_*.csv")):  # Shopify
        rows = []
        with open(p, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if not r["Financial Status"]:
                    continue  # a later line item: order fields are on the first row only
                if r["Financial Status"].strip().lower() in DROP:
                    rows.append((r["Name"], None))
                    continue
                email = email_value(r["Email"])
                day = dt.date.fromisoformat(r["Created at"][:10])
                amount = Decimal(r["Total"]) - Decimal(r["Refunded Amount"] or "0")
                rows.append((r["Name"], ((None, email), day, amount)))
        last = max((t[1] for _, t in rows if t is not None), default=None)
        files.append((file_version(p.stat().st_mtime, p, last), rows))
    for p in sorted(Path(folder).glob("stripe/*.csv")):  # Stripe
        rows = []
        with open(p, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if r["Status"].strip().lower() in DROP:
                    rows.append((r["id"], None))
                    continue
                who = (customer_value(r["Customer ID"]), email_value(r["Customer Email"]))
                day = dt.date.fromisoformat(r["Created date (UTC)"][:10])
                amount = Decimal(r["Amount"]) - Decimal(r["Amount Refunded"] or "0")
                rows.append((r["id"], (who, day, amount)))
        last = max((t[1] for _, t in rows if t is not None), default=None)
        files.append((file_version(p.stat().st_mtime, p, last), rows))
    return linked([t for i, t in dedupe(files)])


# ---- comparing ---------------------------------------------------------------------------

def first_mismatch(got, want):
    """None when equal (numbers within 1e-9 relative / 1e-6 absolute), else where and how."""
    for k in ("granularity", "unattributed_revenue"):
        a, b = got.get(k), want[k]
        if isinstance(b, float):
            if a is None or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6):
                return f"{k}: kpi-tui {a!r}, reference {b!r}"
        elif a != b:
            return f"{k}: kpi-tui {a!r}, reference {b!r}"
    gs, ws = [p["start"] for p in got["periods"]], [p["start"] for p in want["periods"]]
    if gs != ws:
        return f"period starts differ: kpi-tui {gs[:3]}..{gs[-3:]} ({len(gs)}), " \
               f"reference {ws[:3]}..{ws[-3:]} ({len(ws)})"
    for gp, wp in zip(got["periods"], want["periods"]):
        if list(gp) != FIELDS:
            return f"{gp['start']}: fields {list(gp)}"
        for k in FIELDS:
            a, b = gp[k], wp[k]
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
                ok = a == b and type(a) is type(b)  # start, complete, null
            else:
                ok = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
            if not ok:
                return f"period {wp['start']}, {k}: kpi-tui {a!r}, reference {b!r}"
    return None


def run_report(capsys, folder, g, *extra):
    code = main(["report", str(folder), "--period", g, "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# ---- (a) the reference itself reproduces the golden example ---------------------------------

@pytest.mark.parametrize("g", ["month", "quarter"])
def test_reference_equals_golden(golden_dir, g):
    want = json.loads((GOLDEN / f"expected-{g}.json").read_text())
    got = report(read_golden_layout(golden_dir), g, currency="EUR")
    assert got["currency"] == want["currency"]
    assert first_mismatch(want, got) is None, first_mismatch(want, got)


def test_golden_reader_dedupes_on_newest_file(golden_dir):
    txns = read_golden_layout(golden_dir)
    assert len(txns) == 14  # 1008 counted once, 1007 (failed) dropped
    assert sum(a for c, d, a in txns) == Decimal("825.00")


# ---- (b) kpi-tui on the bundled sample folder, every granularity --------------------------

@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    if not SAMPLE.is_dir():
        pytest.skip("no bundled data/ folder")
    d = tmp_path_factory.mktemp("sample") / "data"
    shutil.copytree(SAMPLE, d)  # copy2 keeps the mtimes the dedupe depends on
    return d


@pytest.fixture(scope="module")
def sample_txns(sample_dir):
    return read_sample(sample_dir)


@pytest.mark.parametrize("g", GRANULARITIES)
def test_sample_report_equals_reference(sample_dir, sample_txns, capsys, g):
    got = run_report(capsys, sample_dir, g)
    assert got["currency"] == "EUR"
    want = report(sample_txns, g, currency="EUR")
    assert len(want["periods"]) > 1
    problem = first_mismatch(got, want)
    assert problem is None, problem


def test_sample_reader_sanity(sample_txns):
    # both layouts are present, refunds and unattributed rows too
    assert len(sample_txns) > 5000
    assert any(c is None for c, d, a in sample_txns)
    assert any(a < 0 for c, d, a in sample_txns) or any(a == 0 for c, d, a in sample_txns)
    assert any(c and c.startswith("cus_") for c, d, a in sample_txns)


# ---- (c) random exports in the golden layout ------------------------------------------------

POSITIVE_STATUSES = ["paid", "Paid", "completed", "succeeded", "", "failed", "Failed", "refunded", "Refunded",
                     "declined", "pending", "canceled", "cancelled", "voided", "expired",
                     "abandoned", "unpaid"]
REFUND_STATUSES = ["refunded", "paid", "partially_refunded"]
CUSTOMERS = ["", "alice", "bob", "carol", "dave", "erin", "frank", "N/A", "guest", " - "]
EMAILS = ["", "", "", "a@x.com", " A@X.com", "b@y.org", "c@z.net", "n/a"]  # beside the id: linked
DAY0 = dt.date(2025, 11, 20)


@st.composite
def exports(draw):
    """Rows (order_id, customer, created_at, amount, status) split over 1-4 files."""
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        day = DAY0 + dt.timedelta(days=draw(st.integers(0, 150)))
        cents = draw(st.integers(-30000, 60000))
        statuses = REFUND_STATUSES if cents < 0 else POSITIVE_STATUSES
        rows.append((f"o{i}", draw(st.sampled_from(CUSTOMERS)) + "|" + draw(st.sampled_from(EMAILS)),
                     f"{day.isoformat()} {draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:00",
                     f"{Decimal(cents) / 100:.2f}", draw(st.sampled_from(statuses))))
    nfiles = draw(st.integers(1, min(4, n)))
    which = [draw(st.integers(0, nfiles - 1)) for _ in rows]
    files = [[r for r, w in zip(rows, which) if w == k] for k in range(nfiles)]
    for f in files:  # some orders whose status says refunded with their refund row
        for oid, cust, created, amount, status in list(f):
            if says_refunded(status) and not amount.startswith("-") and draw(st.booleans()):
                f.append((oid, cust, created, "-" + amount, "paid"))
    files = [f for f in files if f]
    if draw(st.booleans()):  # a newer export repeating some ids, maybe with a new status
        again = []
        for oid, cust, created, amount, status in draw(st.lists(st.sampled_from(rows),
                                                                min_size=1, max_size=5)):
            if draw(st.booleans()):
                status = draw(st.sampled_from(["paid", "voided", "failed"]))
                if amount.startswith("-"):
                    status = "paid"
            again.append((oid, cust, created, amount, status))
        files.append(sorted(set(again)))
    return files


TIED_NAMES = ["orders (2).csv", "orders.csv", "orders (10).csv", "orders (1).csv", "orders (3).csv"]


def write_exports(folder, files, first_mtime=1_700_000_000, tied=False):
    """One file per list of rows; `tied`: all modified at the same moment, named as a browser
    names repeated downloads (METRICS.md's tie rule decides)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, rows in enumerate(files):
        p = folder / (TIED_NAMES[k] if tied else f"orders-{k}.csv")
        with open(p, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["order_id", "customer_id", "created_at", "amount", "currency", "status", "email"])
            for oid, who, created, amount, status in rows:
                cust, email = who.split("|")
                w.writerow([oid, cust, created, amount, "EUR", status, email])
        os.utime(p, (first_mtime + (0 if tied else 86400 * k),) * 2)


@settings(max_examples=int(os.environ.get("REF_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=exports(), g=st.sampled_from(GRANULARITIES), tied=st.booleans())
def test_random_exports_equal_reference(tmp_path_factory, capsys, files, g, tied):
    folder = tmp_path_factory.mktemp("rand") / "data"
    write_exports(folder, files, tied=tied)
    txns = read_golden_layout(folder)
    code = main(["report", str(folder), "--period", g, "--format", "json", "--no-cache"])
    out, err = capsys.readouterr()
    if not txns:
        return  # nothing kept: nothing to compare (kpi-tui may say so on stderr)
    assert code == 0, err
    got = json.loads(out)
    want = report(txns, g, currency="EUR")
    problem = first_mismatch(got, want)
    assert problem is None, f"{problem}\nfiles: {files}"
