"""ingest.dedupe kept up to date as exports arrive, for the watcher's latency.

When every new file is more recent (mtime, then path) than all the files already counted and no
file was removed or changed, the result is the previous one with the new files' ids looked up in
the older tables (and identical id-less copies emptied), instead of grouping every id of the
folder again. Anything else runs the full dedupe. Same result as dedupe_masks() (tested): per
file the rows that count, as a mask (None: all), never a copy of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.dedupe import Part, dedupe_masks

NEWER_ID = "id counted from a newer file"  # the reason dedupe() gives


def _idless(p: Part) -> bool:
    return p.content_hash is not None and not p.has_ids()


def _ids(p: Part) -> pa.Array:
    """Every id of the file, counted or not (dedupe() looks at both)."""
    ids = [c for c in pc.drop_null(p.table.column("txn_id")).chunks]
    if p.other_ids is not None:
        ids.append(pc.drop_null(p.other_ids.cast(pa.string())))
    return pc.unique(pa.chunked_array(ids, pa.string()))


@dataclass
class _Result:
    parts: dict[str, Part]
    out: dict[str, np.ndarray | None]  # file key -> its rows that count (None: all)
    drops: dict[str, dict[str, int]]
    top: tuple[float, str]


class IncrementalDedupe:
    def __init__(self):
        self.last: _Result | None = None
        self.incremental = 0  # how many calls took the fast path (tests)

    def __call__(self, parts: list[Part]) -> tuple[list[np.ndarray | None], dict]:
        """Per part, the rows to count (None: all; an unchanged file's mask is the same object
        as before), and per file key the rows dropped, by reason."""
        cur = {p.key: p for p in parts}
        prev = self.last
        res = None
        if prev is not None and all(cur.get(k) is p for k, p in prev.parts.items()):
            new = [p for p in parts if p.key not in prev.parts]
            if all(p.mtime > prev.top[0] for p in new) and len(  # newer; ids of one scope
                    {p.scope for p in parts if p.has_ids()}) <= 1:
                res = self._add(prev, new)
                self.incremental += 1
        if res is None:
            masks, drops = dedupe_masks(parts)
            top = max(((p.mtime, p.key) for p in parts), default=(float("-inf"), ""))
            res = _Result(cur, {p.key: m for p, m in zip(parts, masks)}, drops, top)
        self.last = res
        return [res.out[p.key] for p in parts], {k: dict(v) for k, v in res.drops.items()}

    def _add(self, prev: _Result, new: list[Part]) -> _Result:
        if not new:
            return prev
        new_masks, new_drops = dedupe_masks(new)
        out = dict(prev.out)
        drops = {k: dict(v) for k, v in prev.drops.items()}
        newest: dict[str, str] = {}  # content hash -> key of its most recent copy
        for p in sorted(new, key=lambda p: (p.mtime, p.key)):
            if _idless(p):
                newest[p.content_hash] = p.key
        for k, p in prev.parts.items():
            if _idless(p) and p.content_hash in newest:
                drops[k] = {f"same content as {newest[p.content_hash]}": p.table.num_rows}
                out[k] = np.zeros(p.table.num_rows, bool)
        ids = [_ids(p) for p in new if p.has_ids()]
        old = [k for k, p in prev.parts.items()
               if p.has_ids() and p.table.num_rows and (out[k] is None or out[k].any())]
        if ids and old:
            value_set = pc.unique(pa.concat_arrays(ids)) if len(ids) > 1 else ids[0]
            every = pa.chunked_array([c for k in old for c in prev.parts[k].table.column(
                "txn_id").chunks], pa.string())
            if not pc.any(pc.is_in(every, value_set=value_set)).as_py():
                old = []  # the usual case: only ids never seen before (one look, not one per file)
            for k in old:
                hit = pc.is_in(prev.parts[k].table.column("txn_id"), value_set=value_set)
                drop = np.array(arrow.to_numpy(arrow.fill_null(hit, False)), bool)
                if out[k] is not None:
                    drop &= out[k]  # rows already not counted stay so
                n = int(drop.sum())
                if n:
                    out[k] = ~drop if out[k] is None else out[k] & ~drop
                    d = drops.setdefault(k, {})
                    d[NEWER_ID] = d.get(NEWER_ID, 0) + n
        for p, m in zip(new, new_masks):
            out[p.key] = m
        drops.update(new_drops)
        parts = {**prev.parts, **{p.key: p for p in new}}
        top = max([prev.top] + [(p.mtime, p.key) for p in new])
        return _Result(parts, out, drops, top)
