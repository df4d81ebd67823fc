"""Rows no real sale can have, left out with a reason (issue 13): amounts that are not finite
or beyond AMOUNT_MAX, dates outside the plausible window (settings `date_min`, `date_max`;
by default 1990-01-01 to tomorrow). Applied to each file's table after reading or the cache,
so that a cached file is judged against today's window."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow, safe
from kpi_tui.ingest.plain import AMOUNT_MAX, DATE_MIN, NOT_FINITE, TOO_LARGE, iso, window  # noqa: F401

_EPOCH = dt.date(1970, 1, 1)


def screen(table: pa.Table, settings) -> tuple[pa.Table, dict[str, int], pa.Array | None]:
    """(rows that may count, {reason: rows left out}, txn ids of the rows left out)."""
    if table.num_rows == 0:
        return table, {}, None
    s = Screen(settings)
    table, mask = s.batch(table)
    drops = s.drops()
    if not drops:
        return table, {}, None
    ids = pc.drop_null(table.column("txn_id").filter(mask)).combine_chunks()
    return table.filter(pc.invert(mask)), drops, (pc.unique(ids) if len(ids) else None)


class Screen:
    """`screen` a batch at a time (a file streamed in batches): each batch's rows to leave
    out, and the drops of all batches so far as one screen of the whole file words them."""

    def __init__(self, settings):
        self.lo, self.hi = ((d - _EPOCH).days for d in window(settings))
        self.counts: Counter = Counter()
        self.late: list[np.ndarray] = []

    def batch(self, table: pa.Table) -> tuple[pa.Table, pa.Array]:
        """(table with printable currencies, mask of its rows to leave out)."""
        table = _printable_currencies(table)
        masks = []  # batch by batch: no copy of a streamed file's columns
        for b in table.select(["amount", "date"]).to_batches():
            amount = arrow.to_numpy(b.column(0))
            day = arrow.to_numpy(b.column(1).cast(pa.int32()))
            finite = np.isfinite(amount)
            bad = ~finite
            self.counts[NOT_FINITE] += int(bad.sum())
            big = finite & (np.abs(np.where(finite, amount, 0.0)) > AMOUNT_MAX)
            self.counts[TOO_LARGE] += int(big.sum())
            bad |= big
            out = ~bad & ((day < self.lo) | (day > self.hi))
            if out.any():
                self.late.append(day[out])
                bad |= out
            masks.append(bad)
        return table, arrow.array(np.concatenate(masks) if masks else np.zeros(0, bool))

    def drops(self) -> dict[str, int]:
        drops = Counter(self.counts)
        if self.late:
            out_days = np.concatenate(self.late)
            values, counts = np.unique(out_days, return_counts=True)
            if len(values) <= 3:
                for v, n in zip(values, counts):
                    drops[f"dated {iso(v)}"] = int(n)
            else:
                drops[f"dated outside {iso(self.lo)} to {iso(self.hi)}"] = len(out_days)
        return {k: n for k, n in drops.items() if n}


def unscreened(table: pa.Table, settings) -> np.ndarray | None:
    """Per row, whether `screen` would leave it out (many files' rows at once: a file none of
    whose rows is marked is returned by `screen` as it is); None when a currency code would be
    made printable (then each file is screened on its own)."""
    values = pc.unique(table.column("currency")).drop_null().to_pylist()
    if any(safe.text(v) != v for v in values):
        return None
    lo, hi = ((d - _EPOCH).days for d in window(settings))
    amount = arrow.to_numpy(table.column("amount"))
    day = arrow.to_numpy(table.column("date").cast(pa.int32()))
    finite = np.isfinite(amount)
    big = finite & (np.abs(np.where(finite, amount, 0.0)) > AMOUNT_MAX)
    return ~finite | big | (day < lo) | (day > hi)


def _printable_currencies(table: pa.Table) -> pa.Table:
    """Currency codes with control characters (never a real code) made printable, so that
    they reach no terminal raw; codes stay distinct, so the figures do not change."""
    cur = table.column("currency")
    if cur.null_count == len(cur):
        return table
    values = pc.unique(cur).drop_null().to_pylist()  # a few codes: no copy of the column
    clean = [safe.text(v) for v in values]
    if clean == values:
        return table
    enc = pc.dictionary_encode(cur.combine_chunks())
    values = enc.dictionary.to_pylist()
    clean = [safe.text(v) for v in values]
    fixed = pc.take(arrow.strings(clean), enc.indices)
    return table.set_column(table.schema.get_field_index("currency"), "currency", fixed)


def is_screen_reason(reason: str) -> bool:
    return reason in (NOT_FINITE, TOO_LARGE) or reason.startswith("dated ")


def warnings(reports) -> list[str]:
    """One line per file and reason: '1 row dated 9999-12-31 left out: typo.csv'."""
    out = []
    for r in reports:
        for reason, n in r.drops.items():
            if is_screen_reason(reason):
                rows = "1 row" if n == 1 else f"{n:,} rows"
                what = reason if reason.startswith("dated ") else f"with {reason}"
                out.append(f"{rows} {what} left out: {safe.name(Path(r.path))}")
    return out
