"""One big file's rows spilled to disk by customer (kpi_tui.spill, issue 12): `report` gives
byte for byte the JSON of the whole read, falls back where it cannot, and keeps its parts only
with the cache."""

import contextlib
import io
import logging
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest

from kpi_tui import spill
from kpi_tui.cli import main
from kpi_tui.ingest import streamed
from kpi_tui.metrics.figures import figures_from_sums
from kpi_tui.session import FolderSource
from kpi_tui.settings import Settings


def orders(path: Path, n: int = 20_000, seed: int = 3, *, email: bool = False) -> Path:
    """A golden-layout export: customers with skewed activity over three years, a few
    currencies, refunds as their own rows (some under the order's own id), refunded-status
    rows, failed rows, rows without a customer, a row dated far ahead."""
    rng = np.random.default_rng(seed)
    cust = np.array([f"C{i:05d}" for i in (rng.pareto(1.2, n) * 50).astype(int) % 3000],
                    dtype=object)
    cust[rng.random(n) < 0.005] = ""
    day = np.sort(rng.integers(0, 1095, n))
    date = (np.datetime64("2023-03-01") + day).astype(str).astype(object)
    date = np.array([f"{d} {h:02d}:15:00" for d, h in zip(date, rng.integers(0, 24, n))],
                    dtype=object)
    date[rng.integers(0, n, 3)] = "2099-01-01 00:00:00"
    amount = np.round(rng.lognormal(3.5, 0.8, n), 2)
    ids = np.array([str(100000 + i) for i in range(n)], dtype=object)
    status = np.where(rng.random(n) < 0.02, "failed", "paid").astype(object)
    status[rng.random(n) < 0.02] = "refunded"  # positive rows whose status says refunded
    cur = np.where(rng.random(n) < 0.1, "USD", "EUR").astype(object)
    cur[rng.random(n) < 0.01] = "JPY"
    neg = rng.random(n) < 0.03  # refund rows: half under the order's own id
    amount = np.where(neg, -amount, amount)
    own = neg & (rng.random(n) < 0.5)
    ids[own] = np.roll(ids, 1)[own]
    status[np.roll(own, -1) & ~neg] = "refunded"
    cols = {"order_id": ids, "customer_id": cust, "created_at": date,
            "amount": amount.astype(str).astype(object), "currency": cur, "status": status}
    if email:
        cols["email"] = np.array([f"{c.lower()}@example.com" if c else "" for c in cust],
                                 dtype=object)
    pv.write_csv(pa.table({k: pa.array(list(v), pa.string()) for k, v in cols.items()}), path)
    return path


def run(*args: str, spill_rows: str | None) -> tuple[int, str, str]:
    if spill_rows is None:
        os.environ.pop("KPI_TUI_SPILL_ROWS", None)
    else:
        os.environ["KPI_TUI_SPILL_ROWS"] = spill_rows
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["report", *args])
    finally:
        os.environ.pop("KPI_TUI_SPILL_ROWS", None)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def big(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(spill, "PART_ROWS", 2_000)  # ~10 parts
    monkeypatch.setattr(streamed, "BLOCK", 64 << 10)  # many batches
    d = tmp_path / "big"
    d.mkdir()
    orders(d / "orders.csv")
    return d


def spilled(caplog) -> bool:
    return any("spilled into" in r.getMessage() for r in caplog.records)


@pytest.fixture(autouse=True)
def _debug(caplog):
    caplog.set_level(logging.DEBUG, logger="kpi_tui.spill")


@pytest.mark.parametrize("options", [
    [], ["--period", "day"], ["--period", "week"], ["--period", "quarter"],
    ["--period", "year", "--trailing"], ["--trailing", "--as-of", "2025-06-15"],
    ["--timezone", "America/New_York", "--period", "week", "--trailing"],
    ["--currency", "USD", "--rates", "RATES", "--trailing"],
    ["--rates", "RATES", "--as-of", "2024-02-29", "--period", "day", "--trailing"],
])
def test_same_json_as_the_whole_read(big, tmp_path, caplog, options):
    rates = tmp_path / "rates.csv"
    rates.write_text("USD,0.9\nJPY,0.0061\n")
    options = [str(rates) if o == "RATES" else o for o in options]
    args = [str(big), "--format", "json", "--no-cache", *options]
    whole = run(*args, spill_rows=None)
    assert not spilled(caplog)
    parts = run(*args, spill_rows="0")
    assert spilled(caplog)
    assert parts == whole  # exit status, JSON and warnings, byte for byte
    assert '"periods"' in whole[1]


def test_exact_figures_and_refund_notes(big):
    s = Settings(cache=False)
    os.environ["KPI_TUI_SPILL_ROWS"] = "0"
    try:
        snap = spill.snapshot(big, s)
    finally:
        del os.environ["KPI_TUI_SPILL_ROWS"]
    whole = FolderSource(big, s).snapshot()
    assert isinstance(snap, spill.Spilled) and len(snap.meta["parts"]) >= 8
    assert snap.figures("month") == whole.figures("month")
    assert snap.trailing("week") == whole.trailing("week")
    assert snap.unattributed_revenue == whole.unattributed_revenue != 0
    notes = {n for f in whole.dataset.files for n in f.notes}
    assert any("counted as 0" in n for n in notes) and any("counted at" in n for n in notes)
    assert [f.notes for f in snap.dataset.files] == [f.notes for f in whole.dataset.files]
    assert snap.dataset.rows == whole.dataset.rows
    # what needs every row at once: a ledger built from the parts
    assert figures_from_sums(snap.sums("month"), snap.ledger, "month") == whole.figures("month")
    assert snap.cohorts("quarter") is not None


def test_golden_example_as_one_file(golden_dir, tmp_path, caplog):
    d = tmp_path / "one"
    d.mkdir()
    a, b = (golden_dir / n for n in ("orders-2026-02.csv", "orders-2026-05.csv"))
    (d / "orders.csv").write_text(a.read_text() + "".join(b.read_text().splitlines(True)[1:]))
    for g in ("month", "quarter", "day"):
        args = [str(d), "--format", "json", "--no-cache", "--period", g, "--trailing"]
        assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    assert spilled(caplog)


def test_no_cache_parts_are_deleted_at_exit(big, caplog):
    run(str(big), "--format", "json", "--no-cache", spill_rows="0")
    assert spilled(caplog)
    root = spill._root() / "no-cache"
    assert root.is_dir() and not any(root.iterdir())


def test_warm_run_reads_the_parts_not_the_file(big, caplog, monkeypatch):
    args = [str(big), "--format", "json", "--trailing"]
    first = run(*args, spill_rows="0")
    assert spilled(caplog)
    kept = list(spill._root().glob("*/*/meta.json"))
    assert len(kept) == 1  # in the user cache dir
    assert Path(os.environ["XDG_CACHE_HOME"]) in kept[0].parents

    def no_read(*a, **k):
        raise AssertionError("the file was read again")
    monkeypatch.setattr(streamed, "parse_streamed", no_read)
    caplog.clear()
    assert run(*args, spill_rows="0") == first
    assert any("reused" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert first == run(str(big), "--format", "json", "--trailing", "--no-cache", spill_rows=None)


@pytest.mark.parametrize("damage", ["garbage", "missing", "truncated"])
@pytest.mark.parametrize("name", ["ledger-0003.arrow", "names-0005.arrow"])
def test_a_damaged_part_is_read_again_not_a_crash(big, caplog, damage, name):
    args = [str(big), "--format", "json"]
    first = run(*args, spill_rows="0")
    assert not list(spill._root().glob("*/*/part-*.arrow"))  # finished: ledgers only
    part = sorted(spill._root().glob(f"*/*/{name}"))[0]
    if damage == "garbage":
        part.write_bytes(os.urandom(part.stat().st_size))
    elif damage == "missing":
        part.unlink()
    else:
        part.write_bytes(part.read_bytes()[:100])
    assert run(*args, spill_rows="0") == first


def fallback(caplog, why: str) -> None:
    assert not spilled(caplog)
    assert any(why in r.getMessage() for r in caplog.records), \
        [r.getMessage() for r in caplog.records]


def test_several_files_are_not_spilled(big, caplog):
    orders(big / "more.csv", 500, seed=4)
    args = [str(big), "--format", "json", "--no-cache"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    fallback(caplog, "2 files")


def test_small_file_under_the_threshold_is_not_spilled(big, caplog):
    run(str(big), "--format", "json", "--no-cache", spill_rows=None)
    fallback(caplog, "not more than 12,000,000")


def test_email_identities_to_link_fall_back(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(streamed, "BLOCK", 64 << 10)
    d = tmp_path / "e"
    d.mkdir()
    orders(d / "orders.csv", 5000, email=True)
    args = [str(d), "--format", "json", "--no-cache"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    fallback(caplog, "e-mail")
    assert not any((spill._root() / "no-cache").iterdir())


@pytest.mark.parametrize("bound, value, why", [
    ("FLAGGED_MAX", 50, "refunded"),  # many refunded-status rows
    ("LIMIT", 2 ** 40, "int64"),  # sums near int64's limits
    ("NEGATIVES_MAX", 50, "negative rows"),  # many negative rows, with refunded-status rows
])
def test_beyond_a_bound_falls_back(big, caplog, monkeypatch, bound, value, why):
    monkeypatch.setattr(spill, bound, value)
    args = [str(big), "--format", "json", "--no-cache"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    fallback(caplog, why)


def test_layout_not_read_in_batches_falls_back(tmp_path, caplog):
    d = tmp_path / "x"
    d.mkdir()
    (d / "orders.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    run(str(d), "--format", "json", "--no-cache", spill_rows="0")
    fallback(caplog, "not read in batches")


def test_the_monitor_and_other_commands_do_not_spill(big, caplog):
    os.environ["KPI_TUI_SPILL_ROWS"] = "0"
    try:
        snap = FolderSource(big, Settings(cache=False)).snapshot()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["cohorts", str(big), "--no-cache", "--format", "json"])
    finally:
        del os.environ["KPI_TUI_SPILL_ROWS"]
    assert not isinstance(snap, spill.Spilled)
    assert not spilled(caplog)


def test_bucket_is_a_function_of_the_customer():
    names = ["", "a", "abcdefgh", "abcdefghi", "x" * 80, "x" * 79 + "y", "é" * 9, None]
    a = pa.array(names * 3)
    b = spill.bucket(a, 7)
    assert all(0 <= v < 7 for v in b)
    assert list(b[:8]) == list(b[8:16]) == list(spill.bucket(a.slice(8), 7)[:8])
    ids = pa.array([f"customer-{i}@example.com" for i in range(20_000)])
    counts = np.bincount(spill.bucket(ids, 10), minlength=10)
    assert counts.min() > 1500  # spread, though every id starts and ends alike


def test_parts_that_cannot_be_written_fall_back(big, caplog, monkeypatch):
    def full(self, rows):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(spill._Parts, "_write", full)
    for cache in ([], ["--no-cache"]):
        args = [str(big), "--format", "json", *cache]
        assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
        assert not spilled(caplog)
    assert not list(spill._root().glob("**/*.arrow"))  # nothing left behind


def test_many_negative_rows_without_refunded_status_rows_spill(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(spill, "NEGATIVES_MAX", 50)
    d = tmp_path / "n"
    d.mkdir()
    orders(d / "orders.csv", 5000)
    text = (d / "orders.csv").read_text().replace('"refunded"', '"paid"')
    (d / "orders.csv").write_text(text)
    args = [str(d), "--format", "json", "--no-cache"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    assert spilled(caplog)


@pytest.mark.parametrize("options", [[], ["--as-of", "2025-01-31", "--trailing"], ["--trailing"]])
def test_no_row_counted(big, options):
    args = [str(big), "--format", "json", "--no-cache", "--currency", "CHF", *options]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)


REPO = Path(__file__).resolve().parents[2]


def test_the_sample_made_one_file_falls_back(tmp_path, caplog):
    """The bundled sample's shop orders (Shopify: rules over several rows) as one file."""
    files = sorted((REPO / "data").glob("orders_export_*.csv"))
    if not files:
        pytest.skip("no sample data")
    d = tmp_path / "sample"
    d.mkdir()
    text = files[0].read_text(encoding="utf-8")
    for f in files[1:]:
        text += "".join(f.read_text(encoding="utf-8").splitlines(True)[1:])
    (d / "orders_export.csv").write_text(text, encoding="utf-8")
    args = [str(d), "--format", "json", "--no-cache", "--trailing"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    fallback(caplog, "not read in batches")


def test_benchmark_rows_in_one_file(tmp_path, caplog, monkeypatch):
    """benchmarks/gen_rows.py's data, 200k rows in one file (the benchmark's at 30M)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_rows", REPO / "benchmarks" / "gen_rows.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    d = tmp_path / "rows"
    gen.generate(200_000, d, files=1)
    monkeypatch.setattr(spill, "PART_ROWS", 20_000)
    for options in (["--trailing"], ["--period", "day"]):
        args = [str(d), "--format", "json", "--no-cache", *options]
        assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    assert spilled(caplog)


def test_timestamps_with_an_offset_and_a_timezone(big, caplog):
    f = big / "orders.csv"
    f.write_text(f.read_text().replace(':00"', ':00+05:00"'))
    seen = []
    for tz in ("America/New_York", "Asia/Tokyo"):
        args = [str(big), "--format", "json", "--no-cache", "--timezone", tz, "--period", "day",
                "--trailing"]
        seen.append(run(*args, spill_rows=None))
        assert run(*args, spill_rows="0") == seen[-1]
    assert spilled(caplog) and seen[0] != seen[1]  # the zone moved dates


def test_a_parquet_file(big, caplog):
    import pyarrow.parquet as pq

    src = big / "orders.csv"
    t = pv.read_csv(src, convert_options=pv.ConvertOptions(
        column_types={c: pa.string() for c in ("order_id", "customer_id", "created_at")}))
    pq.write_table(t, big / "orders.parquet", row_group_size=3000)
    src.unlink()
    args = [str(big), "--format", "json", "--no-cache", "--trailing"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    assert spilled(caplog)


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_csv_and_table_output(big, caplog, fmt):
    args = [str(big), "--format", fmt, "--no-cache", "--period", "quarter"]
    assert run(*args, spill_rows="0") == run(*args, spill_rows=None)
    assert spilled(caplog)


def test_the_data_folder_is_never_written(big, caplog):
    before = {p: p.stat().st_mtime_ns for p in big.rglob("*")}
    for cache in ([], ["--no-cache"]):
        run(str(big), "--format", "json", "--trailing", *cache, spill_rows="0")
    assert spilled(caplog)
    assert {p: p.stat().st_mtime_ns for p in big.rglob("*")} == before
