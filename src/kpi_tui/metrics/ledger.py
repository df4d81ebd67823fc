"""From transactions to the per-customer, per-period sums that every figure is made of.

`Ledger` holds attributed transactions as integer arrays (amounts in micro-units, so sums are
exact and do not depend on row order). `PeriodSums` is the narrow input of the metrics: a SQL
warehouse could compute it itself (GROUP BY customer, period) and skip the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui.metrics.periods import period_index

MICROS = 1_000_000
NO_PURCHASE = np.iinfo(np.int64).max


def to_micros(amount: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(amount, dtype=np.float64) * MICROS).astype(np.int64)


@dataclass
class Ledger:
    customer: np.ndarray  # int32 code per attributed transaction
    day: np.ndarray  # int64 day number
    micros: np.ndarray  # int64 signed amount
    names: np.ndarray  # customer name by code (object array)
    unattributed_micros: int
    first_day: int | None  # over all transactions, attributed or not
    last_day: int | None
    _first_purchase: np.ndarray | None = None

    @property
    def customers(self) -> int:
        return len(self.names)

    def first_purchase_day(self) -> np.ndarray:
        """Per customer code: day of the earliest transaction with a positive amount."""
        if self._first_purchase is None:
            out = np.full(self.customers, NO_PURCHASE, dtype=np.int64)
            pos = self.micros > 0
            np.minimum.at(out, self.customer[pos], self.day[pos])
            self._first_purchase = out
        return self._first_purchase


def ledger_from_transactions(table: pa.Table) -> Ledger:
    """`table` has customer (string, null = unattributed), date (date32), amount (float64,
    already in the reporting currency)."""
    n = table.num_rows
    if n == 0:
        e = np.empty(0, dtype=np.int64)
        return Ledger(e.astype(np.int32), e, e, np.empty(0, dtype=object), 0, None, None)
    days_all = table.column("date").cast(pa.int32()).to_numpy().astype(np.int64)
    micros_all = to_micros(table.column("amount").to_numpy())
    cust = table.column("customer")
    if isinstance(cust, pa.ChunkedArray):
        cust = cust.combine_chunks() if cust.num_chunks != 1 else cust.chunk(0)
    attributed = pc.is_valid(cust).to_numpy(zero_copy_only=False)
    enc = pc.dictionary_encode(cust.filter(pa.array(attributed)))
    codes = enc.indices.to_numpy().astype(np.int32)
    names = enc.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return Ledger(
        customer=codes,
        day=days_all[attributed],
        micros=micros_all[attributed],
        names=names,
        unattributed_micros=int(micros_all[~attributed].sum()),
        first_day=int(days_all.min()),
        last_day=int(days_all.max()),
    )


@dataclass
class PeriodSums:
    """v(c,P) for every customer and period where the customer has transactions."""

    first: int  # index of the first period of the series
    last: int  # index of the last period
    customer: np.ndarray  # int64 code
    period: np.ndarray  # int64 period index
    v: np.ndarray  # int64 micros, net amount of the customer in the period
    first_purchase: np.ndarray  # per customer code: period index of the first purchase
    unattributed_micros: int = 0


def period_sums(ledger: Ledger, g: str) -> PeriodSums | None:
    """Group the ledger by (customer, period). None when there is no transaction."""
    if ledger.first_day is None:
        return None
    first = int(period_index(np.array([ledger.first_day]), g)[0])
    last = int(period_index(np.array([ledger.last_day]), g)[0])
    fp_day = ledger.first_purchase_day()
    fp = np.full(len(fp_day), NO_PURCHASE, dtype=np.int64)
    has = fp_day != NO_PURCHASE
    fp[has] = period_index(fp_day[has], g)
    p = period_index(ledger.day, g) - first
    customer, period, v = group_sum(ledger.customer, p, ledger.micros, last - first + 1)
    return PeriodSums(first, last, customer, period + first, v, fp, ledger.unattributed_micros)


def group_sum(customer: np.ndarray, p: np.ndarray, micros: np.ndarray, n: int):
    """Sum `micros` by (customer, p) with 0 <= p < n; returns sorted unique keys and sums."""
    if len(customer) == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, e
    key = customer.astype(np.int64) * n + p
    inv, uniq = pd.factorize(key)  # hashing: much faster than sorting every row
    # float64 sums of whole micro-units are exact below 2**53 (9 billion units of money)
    sums = np.rint(np.bincount(inv, weights=micros, minlength=len(uniq))).astype(np.int64)
    order = np.argsort(uniq)
    uniq, sums = uniq[order], sums[order]
    return uniq // n, uniq % n, sums
