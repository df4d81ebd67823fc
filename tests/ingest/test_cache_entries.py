"""The parse cache's entries, written from memory (small tables) or streamed to the file:
the same checksum as the file on disk, and the same table and report back."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from kpi_tui.ingest import cache as cache_mod
from kpi_tui.ingest.cache import ParseCache, checksum
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport


@pytest.mark.parametrize("small", [cache_mod.SMALL, 0])
def test_entry_round_trip(tmp_path, monkeypatch, small):
    monkeypatch.setattr(cache_mod, "SMALL", small)
    src = tmp_path / "orders.csv"
    src.write_text("x")
    table = pa.table({"customer": ["a", None], "date": [dt.date(2026, 1, 2)] * 2,
                      "amount": [1.5, -2.0], "currency": ["EUR", "EUR"], "txn_id": ["1", "2"],
                      "email": pa.array([None, None], pa.string()).dictionary_encode(),
                      "refunded_status": pa.nulls(2, pa.bool_())}).cast(TXN_SCHEMA)
    report = FileReport(path=src, layout="generic", mapping={"date": "created_at"}, rows_read=3,
                        rows_kept=2, drops={"status failed": 1}, notes=["n"])
    c = ParseCache("fp", root=tmp_path / "cache")
    st = src.stat()
    assert not c.has(src)
    c.put(src, st, table, report, None, pa.array(["9"]))
    assert c.has(src)
    got, rep, chash, ids = c.get(src, st)
    assert got.equals(table) and rep == report and chash is None and ids.to_pylist() == ["9"]
    data = next((tmp_path / "cache").glob("*[0-9a-f].arrow"))
    meta = cache_mod.read_json(data.with_suffix(".json"))
    assert meta["sums"]["data"] == checksum(data)
    assert meta["sums"]["ids"] == checksum(data.with_suffix(".ids.arrow"))


def test_entries_written_behind(tmp_path):
    """Within behind(), entries are written by a thread: the report as it was when put (the
    caller goes on changing it), a get() of a pending entry waits for it, and all are on disk
    when the block ends (a printing command leaves with os._exit: nothing may be pending)."""
    srcs = []
    for i in range(4):
        src = tmp_path / f"orders-{i}.csv"
        src.write_text(str(i))
        srcs.append(src)
    table = pa.table({"customer": ["a"], "date": [dt.date(2026, 1, 2)], "amount": [1.5],
                      "currency": ["EUR"], "txn_id": ["1"],
                      "email": pa.array([None], pa.string()).dictionary_encode(),
                      "refunded_status": pa.nulls(1, pa.bool_())}).cast(TXN_SCHEMA)
    c = ParseCache("fp", root=tmp_path / "cache")
    with c.behind():
        for src in srcs:
            report = FileReport(path=src, layout="generic", rows_read=1, rows_kept=1)
            c.put(src, src.stat(), table, report, None)
            report.drops["id counted from a newer file"] = 1  # dedupe, after the put
            report.rows_kept = 0
        got = c.get(srcs[-1], srcs[-1].stat())  # pending a moment ago: waited for
        assert got is not None and got[1].rows_kept == 1 and got[1].drops == {}
    fresh = ParseCache("fp", root=tmp_path / "cache")  # the next process
    for src in srcs:
        t, rep, _, _ = fresh.get(src, src.stat())
        assert t.equals(table) and rep.rows_kept == 1 and rep.drops == {}


def test_entries_put_from_several_threads(tmp_path):
    """Files read by several threads put their entries at once: none lost, none torn."""
    from concurrent.futures import ThreadPoolExecutor

    table = pa.table({"customer": ["a"], "date": [dt.date(2026, 1, 2)], "amount": [1.5],
                      "currency": ["EUR"], "txn_id": ["1"],
                      "email": pa.array([None], pa.string()).dictionary_encode(),
                      "refunded_status": pa.nulls(1, pa.bool_())}).cast(TXN_SCHEMA)
    srcs = []
    for i in range(40):
        src = tmp_path / f"orders-{i}.csv"
        src.write_text(str(i))
        srcs.append(src)
    c = ParseCache("fp", root=tmp_path / "cache")

    def put(src):
        c.put(src, src.stat(), table, FileReport(path=src, rows_read=1, rows_kept=1), None)

    with c.behind(), ThreadPoolExecutor(4) as pool:
        list(pool.map(put, srcs))
    fresh = ParseCache("fp", root=tmp_path / "cache")
    assert all(fresh.get(src, src.stat())[0].equals(table) for src in srcs)
