"""Orders whose status says refunded (METRICS.md, Amount).

A positive row whose status says *refunded*, in an export with no refunded-amount column
(`refunded_status` in the transactions), is net zero, unless the source also holds a negative
row for that order: then each row counts at its signed amount. "The source" is the folder's
counted rows (after dedupe), orders compared within one system and store (a file's scope).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow

ZEROED = "{n} {rows} whose status says refunded counted as 0 (the folder holds no refund row for the order)"
KEPT = "{n} {rows} whose status says refunded counted at {its} amount (the folder holds the order's refund as its own row)"


@dataclass
class Refunds:
    """What the rule saw: kept for adding new files without reading the old ones again."""

    negatives: dict[str, pa.Array] = field(default_factory=dict)  # scope -> orders with a negative row
    zeroed: dict[str, pa.Array] = field(default_factory=dict)  # scope -> orders counted as 0
    notes: dict[str, list[str]] = field(default_factory=dict)  # file key -> what the rule did


def _np(arr) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return np.asarray(arrow.to_numpy(arr))


def _rows(sel) -> np.ndarray:
    n = sel.table.num_rows
    return np.ones(n, bool) if sel.keep is None else sel.keep


def _union(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
    if a is None or b is None:
        return a if b is None else b
    return pc.unique(pa.concat_arrays([a, b]))


def _words(n: int, text: str) -> str:
    return text.format(n=f"{n:,}", rows="row" if n == 1 else "rows", its="its" if n == 1 else "their")


def apply(keys: list[str], scopes: list[str], selections: list, prev: Refunds | None = None
          ) -> Refunds | None:
    """Apply the rule to `selections` (folder.Selection: table, keep, amount), in place: the
    amounts of rows counted as 0 become 0. With `prev` (the rule's result on the files before,
    which are unchanged), `selections` are only the new files; None when one of their negative
    rows concerns an order counted as 0 before (then everything must be done again).
    The files of one scope are looked at together (20,000 small files: one pass, not 20,000)."""
    out = Refunds(dict(prev.negatives), dict(prev.zeroed), {k: list(v) for k, v in prev.notes.items()}) \
        if prev is not None else Refunds()
    by_scope: dict[str, list[int]] = {}
    for i, sel in enumerate(selections):
        if sel.table.num_rows:
            by_scope.setdefault(scopes[i], []).append(i)
    flagged = []
    for scope, files in by_scope.items():
        s = _Scope(selections, files)
        # bits, not a copy of the amounts (NaN and null: not negative); no array of every row
        neg = arrow.fill_null(pc.less(s.column("amount"), arrow.scalar(0.0)), False)
        if not s.every:
            neg = pc.and_(neg, arrow.array(s.counted))
        if pc.any(neg).as_py():
            ids = pc.drop_null(s.ids.filter(neg)).combine_chunks()
            if len(ids):
                # (not made distinct: a hash table of them costs more than the repeats; lookups need none)
                old = prev.zeroed.get(scope) if prev is not None else None
                if old is not None and pc.any(pc.is_in(ids, value_set=old)).as_py():
                    return None
                out.negatives[scope] = _union(out.negatives.get(scope), ids)
        col = s.column("refunded_status")
        if pc.any(col).as_py():  # (nulls: not flagged)
            f = s.counted & _np(arrow.fill_null(col, False)).astype(bool)
            if f.any():
                flagged.append((scope, s, f))
    notes = {}
    for scope, s, f in flagged:
        negatives = out.negatives.get(scope)
        has_refund = np.zeros(len(f), bool) if negatives is None else \
            _np(arrow.fill_null(pc.is_in(s.ids, value_set=negatives), False)).astype(bool)
        zero, kept = f & ~has_refund, f & has_refund
        if zero.any():
            zid = pc.drop_null(s.ids.filter(arrow.array(zero)))
            if len(zid):
                out.zeroed[scope] = _union(out.zeroed.get(scope), pc.unique(zid))
        zeros, keeps = s.per_file(zero), s.per_file(kept)
        for j in np.flatnonzero(zeros | keeps):
            i, a, b = s.files[j], s.at[j], s.at[j + 1]
            said = notes.setdefault(i, [])
            if zeros[j]:
                sel = selections[i]
                amount = sel.amount if sel.amount is not None else sel.table.column("amount").combine_chunks()
                sel.amount = pc.if_else(arrow.array(zero[a:b]), arrow.scalar(0.0), amount)
                said.append(_words(int(zeros[j]), ZEROED))
            if keeps[j]:
                said.append(_words(int(keeps[j]), KEPT))
    for i in sorted(notes):  # (in the files' order, as one file at a time made them)
        out.notes.setdefault(keys[i], []).extend(notes[i])
    return out


class _Scope:
    """The files of one scope as one run of rows: each column's chunks, rows counted."""

    def __init__(self, selections: list, files: list[int]):
        self.files = files
        self.tables = [selections[i].table for i in files]
        sizes = [t.num_rows for t in self.tables]
        self.at = np.concatenate([[0], np.cumsum(sizes)])
        self.every = all(selections[i].keep is None for i in files)  # every row counted
        self._counted, self._sel = None, selections
        self._all = None
        self.ids = self.column("txn_id")

    @property
    def counted(self) -> np.ndarray:
        """Whether each row counts (made when asked: 10M rows, 10 MB)."""
        if self._counted is None:
            self._counted = np.concatenate([_rows(self._sel[i]) for i in self.files])
        return self._counted

    def column(self, name: str) -> pa.ChunkedArray:
        if self._all is None:
            try:
                self._all = pa.concat_tables(self.tables)  # no copy: the tables' chunks
            except pa.ArrowInvalid:  # schemas that differ in more than names and types
                chunks = [c for t in self.tables for c in t.column(name).chunks]
                return pa.chunked_array(chunks, self.tables[0].schema.field(name).type)
        return self._all.column(name)

    def per_file(self, mask: np.ndarray) -> np.ndarray:
        """Rows of `mask` in each file."""
        return np.add.reduceat(mask.astype(np.int64), self.at[:-1]) if len(mask) else mask


def add_notes(reports: list, refunds: Refunds) -> None:
    """The rule's notes, added to the files' reports (shown by `check`)."""
    by_key = {str(r.path): r for r in reports}
    for key, notes in refunds.notes.items():
        r = by_key.get(key)
        if r is not None:
            r.notes.extend(n for n in notes if n not in r.notes)


def conflicts(prev: Refunds | None, tables: list[pa.Table], scopes: list[str]) -> bool:
    """Whether new files (their counted rows, or more) hold a negative row for an order that
    `prev` counted as 0: then the rule must be applied to every file again."""
    if prev is None or not prev.zeroed:
        return False
    for t, scope in zip(tables, scopes):
        old = prev.zeroed.get(scope)
        if old is None or t.num_rows == 0:
            continue
        neg = arrow.fill_null(pc.less(t.column("amount"), arrow.scalar(0.0)), False)
        ids = pc.drop_null(t.column("txn_id").filter(neg))
        if len(ids) and pc.any(pc.is_in(ids, value_set=old)).as_py():
            return True
    return False
