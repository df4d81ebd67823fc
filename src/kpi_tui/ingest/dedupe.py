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
    masks, drops = dedupe_masks(parts)
    return [p.table if m is None else p.table.filter(pa.array(m))
            for p, m in zip(parts, masks)], drops


def dedupe_masks(parts: list[Part]) -> tuple[list[np.ndarray | None], dict[str, dict[str, int]]]:
    """Per part, the rows to count (None: all), and per file key the rows dropped, by reason."""
    order = sorted(range(len(parts)), key=lambda i: (parts[i].mtime, parts[i].key))
    rank = np.empty(len(parts), np.int32)
    rank[order] = np.arange(len(parts))
    drops: dict[str, dict[str, int]] = {}
    out: list[np.ndarray | None] = [None] * len(parts)

    # identical files without ids: keep the most recent copy
    seen: dict[str, int] = {}
    for i in reversed(order):
        p = parts[i]
        if p.content_hash is None or p.has_ids():
            continue
        if p.content_hash in seen:
            other = parts[seen[p.content_hash]].key
            drops.setdefault(p.key, {})[f"same content as {other}"] = p.table.num_rows
            out[i] = np.zeros(p.table.num_rows, bool)
        else:
            seen[p.content_hash] = i

    with_ids = [i for i in range(len(parts)) if parts[i].has_ids()]
    if len(with_ids) < 2:
        return out, drops
    # one hash pass over every id of every file; the newest file holding an id wins it
    chunks, owner = [], []  # owner: (part, counted rows?) of each chunk
    for i in with_ids:
        for c in parts[i].table.column("txn_id").chunks:
            chunks.append(c)
            owner.append((i, True))
        if parts[i].other_ids is not None and len(parts[i].other_ids):
            chunks.append(parts[i].other_ids.cast(pa.string()))
            owner.append((i, False))
    enc = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))  # one shared dictionary
    size = max((len(c.dictionary) for c in enc.chunks), default=0)
    codes = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in enc.chunks]
    del enc
    newest = np.full(size + 1, -1, np.int32)  # the last slot takes the null ids
    for (i, _), code in zip(owner, codes):
        np.maximum.at(newest, code, rank[i])
    newest[size] = -1
    counted: dict[int, list[np.ndarray]] = {}
    for (i, is_rows), code in zip(owner, codes):
        if is_rows:
            counted.setdefault(i, []).append((code < 0) | (newest[code] == rank[i]))
    for i, masks in counted.items():
        keep = np.concatenate(masks) if len(masks) > 1 else masks[0]
        lost = len(keep) - int(keep.sum())
        if lost:
            out[i] = keep
            drops.setdefault(parts[i].key, {})["id counted from a newer file"] = lost
    return out, drops
