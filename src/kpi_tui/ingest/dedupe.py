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
    # Each file's ids: its rows' (null where none), then those of rows it does not count.
    ids = {i: _ids(parts[i]) for i in with_ids}
    lost = {i: np.zeros(len(a), bool) for i, a in ids.items()}
    # ids written as plain whole numbers hash fast as integers; the others are strings
    num = {i: _as_int(a) for i, a in ids.items()}
    sel = [i for i in with_ids if num[i][0].any()]
    if sel:
        vals = np.concatenate([num[i][1][num[i][0]] for i in sel])
        who = np.repeat(rank[sel], [int(num[i][0].sum()) for i in sel])
        _newest_wins(vals, who, sel, [num[i][0] for i in sel], rank, lost)
    strs = {i: a.filter(pa.array(~num[i][0])) for i, a in ids.items()}
    pos = {i: np.flatnonzero(~num[i][0]) for i in with_ids}
    cand = _candidates(strs)
    if cand:
        order_c = list(cand)
        enc = pc.dictionary_encode(pa.chunked_array(
            [strs[i].filter(pa.array(cand[i])) for i in order_c], pa.string()))
        codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False)
                                for c in enc.chunks])
        who = np.repeat(rank[order_c], [int(cand[i].sum()) for i in order_c])
        where = [np.zeros(len(lost[i]), bool) for i in order_c]
        for w, i in zip(where, order_c):
            w[pos[i][cand[i]]] = True
        _newest_wins(codes, who, order_c, where, rank, lost)
    for i in with_ids:
        rows = lost[i][:parts[i].table.num_rows]  # the rows, not the ids of uncounted rows
        k = int(rows.sum())
        if k:
            out[i] = ~rows
            drops.setdefault(parts[i].key, {})["id counted from a newer file"] = k
    return out, drops
    # one hash pass over the candidates; the newest file holding an id wins it
    order_c = list(cand)
    enc = pc.dictionary_encode(pa.chunked_array(
        [ids[i].filter(pa.array(cand[i])) for i in order_c], pa.string()))
    size = max((len(c.dictionary) for c in enc.chunks), default=0)
    codes = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in enc.chunks]
    del enc
    newest = np.full(size + 1, -1, np.int32)  # the last slot takes the null ids
    for i, code in zip(order_c, codes):
        np.maximum.at(newest, code, rank[i])
    newest[size] = -1
    for i, code in zip(order_c, codes):
        n = parts[i].table.num_rows
        lost_c = (code >= 0) & (newest[code] != rank[i])
        lost = np.zeros(len(cand[i]), bool)
        lost[np.flatnonzero(cand[i])] = lost_c
        lost = lost[:n]  # the rows, not the ids of rows the file does not count
        k = int(lost.sum())
        if k:
            out[i] = ~lost
            drops.setdefault(parts[i].key, {})["id counted from a newer file"] = k
    return out, drops


def _ids(p: Part) -> pa.Array:
    """The file's ids: one per row (null where none), then the ids of rows it does not count."""
    col = p.table.column("txn_id")
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if p.other_ids is not None and len(p.other_ids):
        arr = pa.concat_arrays([arr, p.other_ids.cast(pa.string())])
    return arr


def _as_int(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which ids are plain whole numbers (digits, no leading zero, at most 18 digits: the same
    string for the same number), and their values (0 elsewhere)."""
    digits = pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.binary_length(arr), 18))
    zero_led = pc.and_(pc.starts_with(arr, "0"), pc.greater(pc.binary_length(arr), 1))
    ok = pc.fill_null(pc.and_(digits, pc.invert(zero_led)), False)
    mask = np.asarray(ok.to_numpy(zero_copy_only=False), bool)
    if not mask.any():
        return mask, np.zeros(len(arr), np.int64)
    vals = pc.cast(pc.if_else(ok, arr, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    return mask, vals


def _newest_wins(keys: np.ndarray, who: np.ndarray, files: list[int], where: list[np.ndarray],
                 rank: np.ndarray, lost: dict[int, np.ndarray]) -> None:
    """keys: the ids (integers or codes; -1 = none) of `files` in turn, at the positions
    `where` of each; marks in `lost` those a newer file also holds."""
    import pandas as pd

    codes, uniq = pd.factorize(keys)
    newest = np.full(len(uniq), -1, np.int32)
    np.maximum.at(newest, codes, who)
    off = 0
    for i, w in zip(files, where):
        n = int(w.sum())
        c, k = codes[off:off + n], keys[off:off + n]
        off += n
        lost[i][np.flatnonzero(w)] |= (newest[c] != rank[i]) & (k != -1)


def _candidates(strs: dict[int, pa.Array]) -> dict[int, np.ndarray]:
    """Per file, its ids that lie within another file's range of ids (string order): only
    those can be in another file. Exports overlap at their edges, so they are few."""
    span = {}
    for i, arr in strs.items():
        mm = pc.min_max(arr).as_py() if len(arr) else {"min": None}
        if mm["min"] is not None:
            span[i] = (mm["min"], mm["max"])
    cand = {}
    for i, (lo_i, hi_i) in span.items():
        m = None
        for j, (lo_j, hi_j) in span.items():
            lo, hi = max(lo_i, lo_j), min(hi_i, hi_j)
            if j == i or lo > hi:
                continue
            inside = pc.and_(pc.greater_equal(strs[i], lo), pc.less_equal(strs[i], hi))
            inside = np.asarray(pc.fill_null(inside, False).to_numpy(zero_copy_only=False), bool)
            m = inside if m is None else m | inside
        if m is not None and m.any():
            cand[i] = m
    return cand
