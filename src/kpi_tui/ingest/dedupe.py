"""Overlapping exports (METRICS.md, Duplicates).

An order/transaction id found in several files counts only from the most recently modified of
them (all of its rows there, counted or not: an order paid in an old export and cancelled in a
newer one does not count). Files without ids count once per distinct content.
Rows inside one file are never merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Part:
    """One usable file's transactions, with what dedupe needs to know about the file."""

    key: str  # the file's path (ties on mtime are broken by it)
    mtime: float
    table: pa.Table  # TXN_SCHEMA
    content_hash: str | None = None
    other_ids: pa.Array | None = None  # ids of the file's rows that are not counted

    def has_ids(self) -> bool:
        t = self.table
        return t.column("txn_id").null_count < t.num_rows or bool(self.other_ids is not None
                                                                    and len(self.other_ids))


def dedupe(parts: list[Part]) -> tuple[list[pa.Table], dict[str, dict[str, int]]]:
    """Tables to count, in the order of `parts`, and per file key the rows dropped, by reason."""
    order = sorted(range(len(parts)), key=lambda i: (parts[i].mtime, parts[i].key))
    rank = np.empty(len(parts), np.int64)
    rank[order] = np.arange(len(parts))
    drops: dict[str, dict[str, int]] = {}
    out: list[pa.Table] = [p.table for p in parts]

    # identical files without ids: keep the most recent copy
    seen: dict[str, int] = {}
    for i in reversed(order):
        p = parts[i]
        if p.content_hash is None or p.has_ids():
            continue
        if p.content_hash in seen:
            other = parts[seen[p.content_hash]].key
            drops.setdefault(p.key, {})[f"same content as {other}"] = p.table.num_rows
            out[i] = p.table.slice(0, 0)
        else:
            seen[p.content_hash] = i

    with_ids = [i for i in range(len(parts)) if parts[i].has_ids()]
    if len(with_ids) < 2:
        return out, drops
    # one hash pass over every id of every file; the newest file holding an id wins it
    chunks, sizes = [], []
    for i in with_ids:
        col = parts[i].table.column("txn_id")
        extra = parts[i].other_ids if parts[i].other_ids is not None else pa.array([], pa.string())
        chunks += [*col.chunks, extra.cast(pa.string())]
        sizes.append((len(col), len(extra)))
    enc = pc.dictionary_encode(pa.chunked_array(chunks, pa.string())).combine_chunks()
    valid = pc.is_valid(enc.indices).to_numpy(zero_copy_only=False)
    code = pc.fill_null(enc.indices, 0).to_numpy(zero_copy_only=False)
    row_rank = np.repeat(np.repeat(rank[with_ids], 2), [n for pair in sizes for n in pair])
    newest = np.full(len(enc.dictionary), -1, np.int64)
    np.maximum.at(newest, code[valid], row_rank[valid])
    off = 0
    for i, (n, extra) in zip(with_ids, sizes):
        keep = ~valid[off:off + n] | (row_rank[off:off + n] == newest[code[off:off + n]])
        off += n + extra
        lost = n - int(keep.sum())
        if lost:
            out[i] = out[i].filter(pa.array(keep))
            drops.setdefault(parts[i].key, {})["id counted from a newer file"] = lost
    return out, drops
