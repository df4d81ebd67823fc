"""Overlapping exports (METRICS.md, Duplicates).

An order/transaction id found in several files counts only from the most recently modified of
them (all of its rows there). Files without ids count once per distinct content.
Rows inside one file are never merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Part:
    """One usable file's transactions, with what dedupe needs to know about the file."""

    key: str  # the file's path (ties on mtime are broken by it)
    mtime: float
    table: pa.Table  # TXN_SCHEMA
    content_hash: str | None = None


def dedupe(parts: list[Part]) -> tuple[list[pa.Table], dict[str, dict[str, int]]]:
    """Tables to count, in the order of `parts`, and per file key the rows dropped, by reason."""
    order = sorted(range(len(parts)), key=lambda i: (parts[i].mtime, parts[i].key))
    rank = {i: r for r, i in enumerate(order)}
    drops: dict[str, dict[str, int]] = {}
    out: list[pa.Table | None] = [p.table for p in parts]

    # identical files without ids: keep the most recent copy
    seen: dict[str, int] = {}
    for i in reversed(order):
        p = parts[i]
        if p.content_hash is None or p.table.column("txn_id").null_count < p.table.num_rows:
            continue
        if p.content_hash in seen:
            other = parts[seen[p.content_hash]].key
            drops.setdefault(p.key, {})[f"same content as {other}"] = p.table.num_rows
            out[i] = p.table.slice(0, 0)
        else:
            seen[p.content_hash] = i

    with_ids = [i for i in range(len(parts)) if parts[i].table.column("txn_id").null_count
                < parts[i].table.num_rows]
    if len(with_ids) > 1:
        ids = pa.concat_tables(
            [_unique_ids(parts[i].table, rank[i]) for i in with_ids]
        )
        g = ids.group_by("id").aggregate([("rank", "max"), ("rank", "count")])
        shared = g.filter(pc.greater(g.column("rank_count"), 1))
        if shared.num_rows:
            for i in with_ids:
                lost = shared.filter(pc.not_equal(shared.column("rank_max"), rank[i])).column("id")
                t = out[i]
                drop = pc.fill_null(pc.is_in(t.column("txn_id"), value_set=lost.combine_chunks()),
                                    False)
                n = pc.sum(drop).as_py() or 0
                if n:
                    out[i] = t.filter(pc.invert(drop))
                    drops.setdefault(parts[i].key, {})["id counted from a newer file"] = n
    return out, drops


def _unique_ids(table: pa.Table, rank: int) -> pa.Table:
    u = pc.unique(pc.drop_null(table.column("txn_id")))
    return pa.table({"id": u, "rank": pa.nulls(len(u), pa.int32()).fill_null(rank)})
