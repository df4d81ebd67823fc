"""The shape every export is turned into: one row per transaction (METRICS.md, Input)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import numpy as np

# customer: id, else e-mail trimmed and lower-cased; null = unattributed.
# date: the wall-clock local date. amount: signed, in `currency` (null = reporting currency).
# txn_id: order or transaction id when the export has one, else null.
# email: the row's e-mail (trimmed, lower-cased) beside its id, for "one person, one customer".
# refunded_status: a positive row whose status says refunded, in an export without a
# refunded-amount column (net zero unless the folder holds a negative row for its order).
TXN_SCHEMA = pa.schema(
    [
        ("customer", pa.string()),
        ("date", pa.date32()),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        ("txn_id", pa.string()),
        ("email", pa.dictionary(pa.int32(), pa.string())),
        ("refunded_status", pa.bool_()),
    ]
)


def empty_transactions() -> pa.Table:
    return TXN_SCHEMA.empty_table()


def transactions(columns: dict) -> pa.Table:
    """A TXN_SCHEMA table from some of its columns (the others null)."""
    n = len(next(iter(columns.values())))
    return pa.table({f.name: pa.array(columns[f.name], f.type) if f.name in columns
                     else pa.nulls(n, f.type) for f in TXN_SCHEMA}, schema=TXN_SCHEMA)


@dataclass
class Normalized:
    """What a layout makes of one raw table."""

    table: pa.Table  # TXN_SCHEMA
    layout: str  # e.g. "shopify-orders", "stripe-payments", "generic"
    mapping: dict[str, str]  # field -> source column (or a description)
    rows_read: int
    drops: dict[str, int] = field(default_factory=dict)  # reason -> rows dropped
    notes: list[str] = field(default_factory=list)
    dropped_ids: pa.Array | None = None  # ids of rows not counted (e.g. cancelled), for dedupe
    left_out: np.ndarray | None = None  # each row's reason left out (index in drops; -1: kept)


@dataclass
class FileReport:
    """What happened to one file of the data folder (shown by `check` and on screen)."""

    path: Path
    size: int = 0
    mtime: float = 0.0
    layout: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_kept: int = 0
    drops: dict[str, int] = field(default_factory=dict)
    date_min: str | None = None
    date_max: str | None = None
    currencies: list[str] = field(default_factory=list)
    error: str | None = None  # one clear sentence when the file cannot be used
    notes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # an unusable file's own columns
    guess: dict[str, str] = field(default_factory=dict)  # ...and the [mapping] they likely are

    @property
    def usable(self) -> bool:
        return self.error is None


class UnusableFile(Exception):
    """A file that cannot be used; the message is one clear sentence for the user. `headers`
    and `guess`: when its columns were not recognised, what they are and likely mean."""

    headers: list[str] = []
    guess: dict[str, str] = {}
