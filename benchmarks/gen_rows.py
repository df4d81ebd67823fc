"""Synthetic sales exports for the benchmark, in the golden layout.

order_id,customer_id,created_at,amount,currency,status -- like examples/golden/orders-2026-02.csv.
About 3 years of orders, ~N/10 customers with skewed activity and limited lifetimes (so there is
churn, new and reactivated customers), amounts with 2 decimals, ~3% refunds as their own negative
rows (id "<order>-R", status "refunded"), ~1% failed and ~0.5% pending orders, unique order ids.
Rows are split by time into `files` exports; each export repeats the last ~`overlap` of the
previous one (overlapping exports), where some orders were still "pending" in the older export
and are "paid" in the newer one. File mtimes increase with the export's period.

Everything is vectorised (numpy + pyarrow.csv), so 10M rows take well under a minute.

    python benchmarks/gen_rows.py --rows 1000000 --out benchmarks/_work/rows-1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

START = np.datetime64("2023-03-01T00:00:00", "s")
END = np.datetime64("2026-03-01T00:00:00", "s")  # exclusive: 3 years of data
COLUMNS = ["order_id", "customer_id", "created_at", "amount", "currency", "status"]
VERSION = 2  # bump when the generated data changes


def _params(rows: int, files: int, overlap: float, seed: int, cancel_overlap: float) -> dict:
    return {"version": VERSION, "rows": rows, "files": files, "overlap": overlap, "seed": seed,
            "cancel_overlap": cancel_overlap}


def make_table(rows: int, seed: int = 7) -> pa.Table:
    """All rows, sorted by time, before splitting into files (refund rows included)."""
    rng = np.random.default_rng(seed)
    span = int((END - START) / np.timedelta64(1, "s"))
    n_refund = int(rows * 0.03)
    n_orders = rows - n_refund
    n_cust = max(rows // 10, 1)

    # customers: skewed weights (a few heavy buyers, a long tail), each with a lifetime
    weight = rng.pareto(1.2, n_cust) + 0.05
    weight /= weight.sum()
    cstart = rng.integers(0, span, n_cust)
    life = rng.exponential(span / 3, n_cust).astype(np.int64) + 86400
    life = np.minimum(life, span - cstart)
    cust = np.searchsorted(np.cumsum(weight), rng.random(n_orders), side="right")
    cust = np.minimum(cust, n_cust - 1)
    t = cstart[cust] + (rng.random(n_orders) * life[cust]).astype(np.int64)
    order = np.argsort(t, kind="stable")
    cust, t = cust[order], t[order]

    cents = np.round(rng.lognormal(3.6, 0.8, n_orders) * 100).astype(np.int64) + 99
    u = rng.random(n_orders)
    status = np.where(u < 0.01, 1, np.where(u < 0.015, 2, 0))  # 0 paid, 1 failed, 2 pending

    # refunds of paid orders: own row, negative (full or half), a few days later
    paid_idx = np.flatnonzero(status == 0)
    ref = rng.choice(paid_idx, size=min(n_refund, len(paid_idx)), replace=False)
    ref_cents = -np.where(rng.random(len(ref)) < 0.7, cents[ref], cents[ref] // 2)
    ref_t = np.minimum(t[ref] + rng.integers(3600, 14 * 86400, len(ref)), span - 1)

    ids = np.arange(n_orders, dtype=np.int64) + 100000
    id_str = pc.cast(pa.array(ids), pa.large_string())  # (100M rows: beyond 32-bit offsets)
    ref_id = pc.binary_join_element_wise(pc.take(id_str, pa.array(ref)), pa.scalar("-R", pa.large_string()),
                                         pa.scalar("", pa.large_string()))
    all_t = np.concatenate([t, ref_t])
    srt = np.argsort(all_t, kind="stable")
    all_cents = np.concatenate([cents, ref_cents])[srt]
    all_status = np.concatenate([status, np.full(len(ref), 3)])[srt]
    all_cust = np.concatenate([cust, cust[ref]])[srt]
    order_id = pa.chunked_array([id_str, ref_id]).combine_chunks().take(pa.array(srt))
    names = pa.array(["paid", "failed", "pending", "refunded", "cancelled"])
    big = pa.large_string()
    cust_names = pc.binary_join_element_wise(
        pa.scalar("C", big), pc.utf8_lpad(pc.cast(pa.array(all_cust), big), 7, "0"), pa.scalar("", big))
    return pa.table({
        "order_id": order_id,
        "customer_id": cust_names,
        "created_at": pa.array((START + all_t[srt]).astype("datetime64[s]")),
        "amount": pa.array(all_cents / 100.0).cast(pa.decimal128(12, 2)),
        "currency": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(len(srt), np.int8)), pa.array(["EUR"])),
        "status": pa.DictionaryArray.from_arrays(pa.array(all_status.astype(np.int8)), names),
    })


def _with_status(table: pa.Table, new_status: np.ndarray | None) -> pa.Table:
    if new_status is None:
        return table
    col = table.column("status").combine_chunks()
    return table.set_column(5, "status", pa.DictionaryArray.from_arrays(
        pa.array(new_status.astype(np.int8)), col.dictionary))


def generate(rows: int, out: Path, files: int = 12, overlap: float = 0.01, seed: int = 7,
             cancel_overlap: float = 0.0) -> list[Path]:
    """Write the exports into `out` (emptied first); returns their paths, oldest first.

    cancel_overlap: fraction of overlap rows that are "paid" in the older export and
    "cancelled" in the newer one (the newer export wins, so they must not count)."""
    params = _params(rows, files, overlap, seed, cancel_overlap)
    meta = out / ".params.json"
    if meta.is_file() and json.loads(meta.read_text()) == params:
        return sorted(out.glob("orders-*.csv"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = np.random.default_rng(seed + 1)
    table = make_table(rows, seed)
    n = table.num_rows
    bounds = np.linspace(0, n, files + 1).astype(np.int64)
    k_over = int(n / files * overlap)
    opts = pacsv.WriteOptions(batch_size=1 << 16, quoting_style="none", quoting_header="none")
    base = time.time() - files * 86400
    paths = []
    for f in range(files):
        lo, hi = int(bounds[f]), int(bounds[f + 1])
        part = table.slice(lo, hi - lo)
        if f + 1 < files and k_over:
            # this (older) export also holds the first rows of the next period, as they stood
            # then: some orders still pending, and maybe some paid that get cancelled later
            nxt = table.slice(hi, k_over)
            st = nxt.column("status").combine_chunks().indices.to_numpy(zero_copy_only=False)
            st = st.copy()
            paid = st == 0
            r = rng.random(len(st))
            older = st.copy()
            older[paid & (r < 0.10)] = 2  # pending then, paid now
            if cancel_overlap:
                cancel = paid & (r >= 0.10) & (r < 0.10 + cancel_overlap)
                newer = st.copy()
                newer[cancel] = 4  # paid then, cancelled now
                table = _replace_slice_status(table, hi, newer)
            part = pa.concat_tables([part, _with_status(nxt, older)])
        path = out / f"orders-{f + 1:02d}.csv"
        pacsv.write_csv(part, path, write_options=opts)
        paths.append(path)
    for f, path in enumerate(paths):  # newer exports are more recently modified
        ts = base + f * 86400
        os.utime(path, (ts, ts))
    meta.write_text(json.dumps(params))
    return paths


def _replace_slice_status(table: pa.Table, start: int, status: np.ndarray) -> pa.Table:
    col = table.column("status").combine_chunks()
    idx = col.indices.to_numpy(zero_copy_only=False).copy()
    idx[start:start + len(status)] = status
    return table.set_column(5, "status", pa.DictionaryArray.from_arrays(
        pa.array(idx), col.dictionary))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--overlap", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cancel-overlap", type=float, default=0.0)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    out = a.out or Path(__file__).parent / "_work" / f"rows-{a.rows}"
    t0 = time.perf_counter()
    paths = generate(a.rows, out, a.files, a.overlap, a.seed, a.cancel_overlap)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} files, {size:.0f} MB in {out} ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
