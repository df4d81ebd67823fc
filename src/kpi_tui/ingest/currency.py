"""One reporting currency (METRICS.md, Currency): amounts in different currencies are never added."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.plain import left_out_warnings, pick_currency  # noqa: F401


def _codes(table: pa.Table) -> tuple[list, np.ndarray] | None:
    """Distinct currencies of a table and each row's index in them (-1: none); None: no column."""
    cur = table.column("currency")
    if cur.null_count == table.num_rows:
        return None
    if cur.null_count == 0 and len(one := pc.unique(cur)) == 1:  # the usual: no copy of the column
        return one.to_pylist(), np.zeros(table.num_rows, np.int8)
    # chunk by chunk (a streamed file's are many): the chunks share one growing dictionary,
    # the last chunk's holds every code
    enc = pc.dictionary_encode(cur).chunks
    idx = [arrow.to_numpy(arrow.fill_null(c.indices, -1)) for c in enc]
    return enc[-1].dictionary.to_pylist(), np.concatenate(idx)


def only_code(tables: list[pa.Table]) -> str | None:
    """The one currency that every row of `tables` names; None when there are several, or
    rows naming none (many files of one currency: one look, not one a file)."""
    try:
        cur = pa.concat_tables(tables).column("currency")  # no copy: the tables' chunks
    except (pa.ArrowInvalid, ValueError):
        return None
    if cur.null_count or not len(cur):
        return None
    one = pc.unique(cur)
    return one[0].as_py() if len(one) == 1 else None


def reporting_currency(tables: list[pa.Table], setting: str | None,
                       keeps: list[np.ndarray | None] | None = None) -> str | None:
    """The `currency` setting, or else the currency of most rows counted (None when no row
    names one). `keeps`: per table, the rows that count (None: all)."""
    if setting:
        return setting.upper()
    return pick_currency(count_currencies(tables, keeps), None)


def count_currencies(tables: list[pa.Table],
                     keeps: list[np.ndarray | None] | None = None) -> Counter:
    """Rows per currency named, over the rows that count."""
    counts: Counter = Counter()
    for t, keep in zip(tables, keeps or [None] * len(tables)):
        got = _codes(t) if t.num_rows else None
        if got is None:
            continue
        values, idx = got
        if keep is not None:
            idx = idx[keep]
        few = len(values) <= 8  # a count per code: no int64 copy of the codes
        per = [np.count_nonzero(idx == i) for i in range(len(values))] if few else \
            np.bincount(idx[idx >= 0], minlength=len(values))
        for i, n in enumerate(per):
            if n:
                counts[values[i]] += int(n)
    return counts


def convert_rows(table: pa.Table, keep: np.ndarray | None, currency: str | None,
                 rates: dict[str, float]):
    """Rows in other currencies than `currency` converted with `rates` (1 unit of X = rates[X]
    reporting units) or left out. Returns (amount array or None when unchanged, keep mask or
    None for all, {currency: rows left out}, {currency: rows converted}); counts are of the rows
    in `keep`."""
    got = _codes(table) if currency is not None and table.num_rows else None
    if got is None:
        return None, keep, {}, {}
    values, idx = got
    left_out, converted = {}, {}
    amount = None
    for i, code in enumerate(values):
        if code == currency:
            continue
        mask = idx == i
        n = int((mask & keep).sum()) if keep is not None else int(mask.sum())
        rate = rates.get(code)
        if rate is None:
            keep = ~mask if keep is None else keep & ~mask
            if n:
                left_out[code] = n
            continue
        if n:
            converted[code] = n
        if amount is None:
            amount = arrow.to_numpy(table.column("amount")).copy()
        amount[mask] *= rate
    return (None if amount is None else arrow.array(amount)), keep, left_out, converted


def convert(table: pa.Table, currency: str | None, rates: dict[str, float]):
    """`convert_rows` applied to a table: (table, left out, converted)."""
    amount, keep, left_out, converted = convert_rows(table, None, currency, rates)
    if amount is not None:
        table = table.set_column(table.schema.get_field_index("amount"), "amount", amount)
    if keep is not None:
        table = table.filter(arrow.array(keep))
    return table, left_out, converted


