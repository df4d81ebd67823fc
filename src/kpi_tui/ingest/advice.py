"""The folder's warnings that ask the user to act (report's stderr, the screen's banner, the
end of `check`): rows left out as implausible, files whose rows have no customer, and a shop's
orders beside its payment provider's download of the same sales (issue 10 items 13 and 15)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow, safe
from kpi_tui.ingest import plausible
from kpi_tui.ingest.layouts.common import NO_CUSTOMER

PAYMENTS = ("stripe", "paypal")  # layouts of payment providers' downloads (by name prefix)
MIN_SHARED = 3  # sales found in both sources before they are said to overlap...
SHARE = 0.5  # ...and this share of the smaller source's sales
_DAY_BITS = 21  # key = cents << 21 | day: days of 1970 +- 2,800 years; cents below 2**42


def warnings(reports: list, tables: dict[str, pa.Table]) -> list[str]:
    """`tables`: file key (its path) -> the file's rows."""
    return plausible.warnings(reports) + no_customer(reports) + overlaps(reports, tables)


def _name(r) -> str:
    return safe.name(Path(r.path))


def no_customer(reports: list) -> list[str]:
    """One line per file whose counted rows have no customer at all."""
    out = []
    for r in reports:
        note = next((n for n in r.notes if n.startswith(NO_CUSTOMER)), None)
        if note and r.usable and r.rows_kept:
            rows = "1 row" if r.rows_kept == 1 else f"{r.rows_kept:,} rows"
            out.append(f"{_name(r)} ({rows}): {note}")
    return out


def _sales(t: pa.Table) -> np.ndarray:
    """Sorted keys (amount in cents, day) of a table's sales (positive amounts)."""
    amount = arrow.to_numpy(t.column("amount"))
    day = arrow.to_numpy(t.column("date").cast(pa.int32())).astype(np.int64)
    cents = np.rint(np.where(np.isfinite(amount), amount, 0.0) * 100)
    ok = (cents > 0) & (cents < 2.0 ** 42)
    return np.sort((cents[ok].astype(np.int64) << _DAY_BITS) | (day[ok] & ((1 << _DAY_BITS) - 1)))


def _shared(a: np.ndarray, b: np.ndarray) -> int:
    """How many sales of `a` have one of the same amount in `b` on the same day or the next or
    previous one (a payment dated in UTC, an order in the shop's time zone)."""
    if not len(a) or not len(b):
        return 0
    hit = np.zeros(len(a), bool)
    for shift in (-1, 0, 1):
        k = a + shift
        at = np.minimum(np.searchsorted(b, k), len(b) - 1)
        hit |= b[at] == k
    return int(hit.sum())


def _emails(tables: list[pa.Table]) -> set:
    out = set()
    for t in tables:
        for c in t.column("email").chunks:  # each chunk its own dictionary
            if c.null_count < len(c):
                out.update(pc.unique(pc.drop_null(c.dictionary_decode())).to_pylist())
    return out


def _files(group: list) -> str:
    names = [_name(r) for r in group]
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]} and {len(names) - 1} other {safe.text(group[0].layout)} files"


def _distinct(ks: np.ndarray) -> np.ndarray:
    """np.unique of sorted keys (np.unique itself imports numpy.ma: ~15 ms of every report)."""
    return ks[np.concatenate(([True], ks[1:] != ks[:-1]))] if len(ks) else ks


def overlaps(reports: list, tables: dict[str, pa.Table]) -> list[str]:
    """Per payment layout and shop layout of the folder: a line when many sales of one are
    also in the other (same amount, same day give or take one)."""
    groups: dict[str, list] = {}
    for r in reports:
        if r.usable and str(r.path) in tables and tables[str(r.path)].num_rows:
            groups.setdefault(r.layout or "", []).append(r)
    pay = [k for k in groups if k.startswith(PAYMENTS)]
    shop = [k for k in groups if not k.startswith(PAYMENTS)]
    if not pay or not shop:
        return []
    rows = {k: [tables[str(r.path)] for r in g] for k, g in groups.items()}
    keys = {k: np.sort(np.concatenate([_sales(t) for t in ts])) for k, ts in rows.items()}
    out = []
    for p in pay:
        for s in shop:
            n = _shared(keys[p], _distinct(keys[s]))
            if n < MIN_SHARED or n < SHARE * min(len(keys[p]), len(keys[s])):
                continue
            both = len(_emails(rows[p]) & _emails(rows[s]))
            mails = f"; {both:,} e-mail addresses are in both" if both else ""
            out.append(f"{_files(groups[s])} and {_files(groups[p])} look like the same sales: "
                       f"{n:,} of the {len(keys[p]):,} payments have an order of the same amount "
                       f"within a day{mails}. Both are counted, so these sales count twice: keep "
                       f"one source per data folder (move the {safe.text(p)} files, or the "
                       f"{safe.text(s)} files, to a folder of their own).")
    return out
