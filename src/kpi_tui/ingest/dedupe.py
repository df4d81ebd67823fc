"""Overlapping exports (METRICS.md, Duplicates).

An order/transaction id found in several files counts only from the most recently modified of
them (all of its rows there, counted or not: an order paid in an old export and cancelled in a
newer one does not count). Ids are compared within one system and store (a file's scope: its
layout): files of different layouts never share ids. Files without ids count once per
distinct content.
Rows inside one file are never merged.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import ahead, arrow


@dataclass
class Part:
    """One usable file's transactions, with what dedupe needs to know about the file."""

    key: str  # the file's path (ties on mtime are broken by it)
    mtime: float
    table: pa.Table  # TXN_SCHEMA
    content_hash: str | None = None
    other_ids: pa.Array | None = None  # ids of the file's rows that are not counted
    scope: str = ""  # ids are compared within one system and store: the file's layout (+ store)
    last_day: int | None = None  # the table's latest date (days), when known: else computed
    _int: tuple | None = field(default=None, repr=False, compare=False)  # int_ids(), kept

    def int_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """_as_int of the file's ids (_ids), kept until dedupe uses it: the folder loader works
        it out in its threads, file by file (both cores, no copy of every file's ids)."""
        if self._int is None:
            self._int = _as_int(_ids(self))
        return self._int

    def has_ids(self) -> bool:
        t = self.table
        return t.column("txn_id").null_count < t.num_rows or bool(self.other_ids is not None
                                                                    and len(self.other_ids))


def counted(part: Part, mask) -> pa.Table:
    """A file's rows that count (dedupe_masks' mask: None for all)."""
    return part.table if mask is None else part.table.filter(arrow.array(mask))


def dedupe(parts: list[Part]) -> tuple[list[pa.Table], dict[str, dict[str, int]]]:
    """Tables to count, in the order of `parts`, and per file key the rows dropped, by reason."""
    masks, drops = dedupe_masks(parts)
    # copies: the folder loader and the monitor keep the masks instead (dedupe_masks); filtered
    # two at once (pyarrow lets the GIL go)
    return list(ahead.in_order(lambda pm: counted(*pm), zip(parts, masks),
                               inline=lambda pm: pm[1] is None)), drops


def dedupe_masks(parts: list[Part]) -> tuple[list[np.ndarray | None], dict[str, dict[str, int]]]:
    """Per part, the rows to count (None: all), and per file key the rows dropped, by reason."""
    versions = [version(p) for p in parts]
    order = sorted(range(len(parts)), key=lambda i: versions[i])
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

    # ids are compared within one system and store: among the files of one scope
    scopes: dict[str, list[int]] = {}
    for i in range(len(parts)):
        if parts[i].has_ids():
            scopes.setdefault(parts[i].scope, []).append(i)
    for with_ids in scopes.values():
        if len(with_ids) > 1:
            _dedupe_ids(parts, with_ids, rank, out, drops, [versions[i] for i in order])
    return out, drops


_COPY = re.compile(r"^(.*?) ?\((\d+)\)(\.[^.]*)?$")  # a browser's later download: "name (2).csv"


def scope_of(report) -> str:
    """Where a file's ids are unique: its layout, and its store where the export names one."""
    store = report.mapping.get("store")
    return (report.layout or "") + (f" / {store}" if store else "")


def version(p: Part) -> tuple:
    """Which of two files is the more recent (METRICS.md, Duplicates): the later modification
    time; at the same time, the file whose rows reach the later date, then `name (2)` over
    `name (1)` over `name`, then the later path."""
    t = p.table
    last = p.last_day
    if last is None and t.num_rows:
        last = pc.max(t.column("date")).value  # days: any year
    m = _COPY.match(os.path.basename(p.key))
    return (p.mtime, last if last is not None else -(2 ** 31), int(m.group(2)) if m else 0, p.key)


def why(loser: tuple, winner: tuple) -> str:
    """The reason an id leaves the file of version `loser` for the file of version `winner`."""
    if winner[0] != loser[0]:
        return "id counted from a newer file"
    if winner[1] != loser[1]:
        return "id counted from a file modified at the same time whose rows reach a later date"
    if winner[2] != loser[2]:
        return "id counted from a later download of the same export (name (n): same time, same dates)"
    return "id counted from a file modified at the same time (same dates; the later path wins)"


SMALL_FILES = 1000  # ids a file on average up to which every id is hashed at once


def _dedupe_ids(parts: list[Part], with_ids: list[int], rank: np.ndarray, out: list, drops: dict,
                ranked: list[tuple]) -> None:
    """An id found in several of the files `with_ids` counts from the newest of them only.
    `ranked`: the files' versions by rank."""
    ids = [_ids(parts[i]) for i in with_ids]
    if sum(map(len, ids)) > SMALL_FILES * len(with_ids):
        return _dedupe_big(parts, with_ids, rank, out, drops, ranked, ids)
    # many small files: every id hashed at once, no file-by-file pass (the same result: an
    # id outside every other file's range is in no other file)
    sizes = np.array([len(a) for a in ids])
    at = np.concatenate([[0], np.cumsum(sizes)])
    every = pa.chunked_array([c for a in ids for c in a.chunks], pa.string()).combine_chunks()
    del ids
    who = np.repeat(rank[with_ids], sizes).astype(np.int32)  # rank of each id's file
    lost = np.full(len(every), -1, np.int32)  # rank of the file each id goes to
    is_num, values = _as_int(every)
    if len(values):
        _newest_flat(np.unique(values, return_inverse=True)[1].ravel(), who[is_num],
                     np.flatnonzero(is_num), lost)
    text = ~is_num & np.asarray(arrow.to_numpy(pc.is_valid(every)), bool)
    if text.any():
        enc = pc.dictionary_encode(every.filter(arrow.array(text)))
        _newest_flat(arrow.to_numpy(enc.indices), who[text], np.flatnonzero(text),
                     lost)
    is_row = np.zeros(len(every), bool)  # the files' rows, not the ids of rows not counted
    for i, a in zip(with_ids, at[:-1]):
        is_row[a:a + parts[i].table.num_rows] = True
    hit = np.add.reduceat(((lost >= 0) & is_row).astype(np.int64), at[:-1])
    for j in np.flatnonzero(hit):
        i = with_ids[j]
        _lost_rows(parts[i], lost[at[j]:at[j] + parts[i].table.num_rows], rank[i], out, i, drops,
                   ranked)


def _newest_flat(codes: np.ndarray, who: np.ndarray, pos: np.ndarray, lost: np.ndarray) -> None:
    """codes: each id's code (the same id, the same code), who: its file's rank, pos: where it
    is in `lost`; marks in `lost` each id that a newer file also holds (with that file's rank)."""
    if not len(codes):
        return
    newest = np.full(int(codes.max()) + 1, -1, np.int32)
    np.maximum.at(newest, codes, who)
    w = newest[codes]
    gone = w != who
    lost[pos[gone]] = w[gone]


def _lost_rows(p: Part, rows: np.ndarray, r: int, out: list, i: int, drops: dict,
               ranked: list[tuple]) -> None:
    """A file's rows whose ids went to newer files (`rows`: that file's rank, else -1)."""
    if (rows >= 0).any():
        out[i] = rows < 0
        d = drops.setdefault(p.key, {})
        winners, counts = np.unique(rows[rows >= 0], return_counts=True)
        for w, k in zip(winners, counts):
            reason = why(ranked[r], ranked[w])
            d[reason] = d.get(reason, 0) + int(k)


def _dedupe_big(parts: list[Part], with_ids: list[int], rank: np.ndarray, out: list, drops: dict,
                ranked: list[tuple], ids: list[pa.ChunkedArray]) -> None:
    """`_dedupe_ids` for larger files: only the ids within another file's range are hashed."""
    # Each file's ids: its rows' (null where none), then those of rows it does not count.
    ids = dict(zip(with_ids, ids))
    lost = {i: np.full(len(a), -1, np.int32) for i, a in ids.items()}  # rank of the file it goes to
    # ids written as plain whole numbers compare and hash as integers, the others as strings;
    # a number and a string are never the same id (told apart file by file: Part.int_ids)
    num, keys = {}, {}
    for i in with_ids:
        num[i], keys[i] = parts[i].int_ids()
        parts[i]._int = None  # (memory: used once)
    _newest_wins(keys, num, rank, lost)
    text = [i for i in with_ids if not num[i].all()]
    keys = {i: ids[i].filter(arrow.array(~num[i])) for i in text}
    where = {i: ~num[i] for i in text}
    del ids, num
    _newest_wins(keys, where, rank, lost)
    for i in with_ids:
        rows = lost[i][:parts[i].table.num_rows]  # the rows, not the ids of uncounted rows
        _lost_rows(parts[i], rows, rank[i], out, i, drops, ranked)


def _newest_wins(keys: dict, where: dict, rank: np.ndarray, lost: dict) -> None:
    """keys[i]: ids of file i (int64 numpy, or strings), found where the mask where[i] over its
    ids is True; marks in lost[i] each one that a newer file also holds (with that file's rank).

    Only an id within another file's range of ids can be in that file: the others need no
    hashing. Exports overlap at their edges, so the candidates are few."""
    cand = _candidates(keys)
    if not cand:
        return
    files = list(cand)
    picked = [keys[i].filter(arrow.array(cand[i])) if isinstance(keys[i], pa.ChunkedArray)
              else keys[i][cand[i]] for i in files]
    if isinstance(picked[0], np.ndarray):
        codes = arrow.to_numpy(pc.dictionary_encode(arrow.array(np.concatenate(picked))).indices)
    else:
        enc = pc.dictionary_encode(pa.chunked_array([c for x in picked for c in x.chunks],
                                                    pa.string()))
        codes = np.concatenate([arrow.to_numpy(c.indices) for c in enc.chunks])
    sizes = [int(cand[i].sum()) for i in files]
    who = np.repeat(rank[files], sizes)
    newest = np.full(int(codes.max()) + 1, -1, np.int32)
    np.maximum.at(newest, codes, who)
    off = 0
    for i, n in zip(files, sizes):
        c = codes[off:off + n]
        off += n
        w = newest[c]
        gone = w != rank[i]
        lost[i][np.flatnonzero(where[i])[cand[i]][gone]] = w[gone]


def _candidates(keys: dict) -> dict[int, np.ndarray]:
    """Per file, which of its ids lie within another file's range (min to max) of ids.

    The ranges sorted by their start: those starting before a file's cover one piece of it
    from its start (a running maximum of their ends); those starting inside it, one piece
    each. Exports split by time overlap only their neighbours, so this is near linear in the
    number of files (no comparison of every pair)."""
    span = {}
    for i, k in keys.items():
        if len(k) == 0:
            continue
        if isinstance(k, np.ndarray):
            span[i] = (k.min(), k.max())
        else:
            mm = pc.min_max(k).as_py()
            if mm["min"] is not None:
                span[i] = (mm["min"], mm["max"])
    order = sorted(span, key=lambda i: span[i][0])
    starts = [span[i][0] for i in order]
    cand, reach = {}, None  # reach: the furthest end of the ranges sorted before
    for pos, i in enumerate(order):
        lo_i, hi_i = span[i]
        pieces = [(lo_i, min(hi_i, reach))] if reach is not None and reach >= lo_i else []
        for j in order[pos + 1:bisect.bisect_right(starts, hi_i)]:
            pieces.append((span[j][0], min(span[j][1], hi_i)))
        reach = hi_i if reach is None else max(reach, hi_i)
        m = None
        for lo, hi in _union(pieces):
            k = keys[i]
            if isinstance(k, np.ndarray):
                inside = (k >= lo) & (k <= hi)
            else:
                inside = arrow.fill_null(pc.and_(pc.greater_equal(k, arrow.scalar(lo)),
                                              pc.less_equal(k, arrow.scalar(hi))), False)
                inside = np.asarray(arrow.to_numpy(inside), bool)
            m = inside if m is None else m | inside
        if m is not None and m.any():
            cand[i] = m
    return cand


def _union(pieces: list[tuple]) -> list[tuple]:
    """Closed ranges merged where they overlap."""
    out: list[list] = []
    for lo, hi in sorted(pieces):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [tuple(x) for x in out]


def _ids(p: Part) -> pa.ChunkedArray:
    """The file's ids: one per row (null where none), then the ids of rows it does not count."""
    chunks = list(p.table.column("txn_id").chunks)
    if p.other_ids is not None and len(p.other_ids):
        chunks.append(p.other_ids.cast(pa.string()))
    return pa.chunked_array(chunks, pa.string())


def _as_int(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Which ids are plain whole numbers (digits, no leading zero, at most 18 digits: the same
    string for the same number), and the values of those."""
    digits = pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.binary_length(arr), arrow.scalar(18)))
    zero_led = pc.and_(pc.starts_with(arr, "0"), pc.greater(pc.binary_length(arr), arrow.scalar(1)))
    ok = arrow.fill_null(pc.and_(digits, pc.invert(zero_led)), False)
    mask = np.asarray(arrow.to_numpy(ok), bool)
    if not mask.any():
        return mask, np.zeros(0, np.int64)
    return mask, arrow.to_numpy(pc.cast(arr.filter(ok), pa.int64()))


