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
    day: np.ndarray  # int32 day number (days since 1970-01-01)
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
    return ledger_from_batches(table.select(["customer", "date", "amount"]).to_batches())


def ledger_from_batches(batches) -> Ledger:
    """The ledger of record batches (customer, date, amount), one batch at a time: customers
    are encoded per batch, then the batches' dictionaries are unified (no copy of all rows)."""
    codes, days, micros, dicts = [], [], [], []
    unattributed, first, last = 0, None, None
    for b in batches:
        if b.num_rows == 0:
            continue
        day = b.column("date").cast(pa.int32()).to_numpy(zero_copy_only=False)
        mic = to_micros(b.column("amount").to_numpy(zero_copy_only=False))
        cust = b.column("customer")
        lo, hi = int(day.min()), int(day.max())
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
        if cust.null_count:
            valid = pc.is_valid(cust).to_numpy(zero_copy_only=False)
            unattributed += int(mic[~valid].sum())
            cust, day, mic = cust.filter(pa.array(valid)), day[valid], mic[valid]
        enc = pc.dictionary_encode(cust)
        codes.append(enc.indices.to_numpy(zero_copy_only=False))
        dicts.append(enc.dictionary)
        days.append(day.astype(np.int32))
        micros.append(mic)
    if not codes:
        e = np.empty(0, dtype=np.int64)
        return Ledger(e.astype(np.int32), e.astype(np.int32), e, np.empty(0, dtype=object),
                      unattributed, first, last)
    # one code per distinct customer across batches
    glob = pc.dictionary_encode(pa.concat_arrays(dicts))
    remap = glob.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    out, off = [], 0
    for c, d in zip(codes, dicts):
        out.append(remap[off:off + len(d)][c])
        off += len(d)
    return Ledger(
        customer=np.concatenate(out),
        day=np.concatenate(days),
        micros=np.concatenate(micros),
        names=glob.dictionary.to_numpy(zero_copy_only=False).astype(object),
        unattributed_micros=unattributed,
        first_day=first,
        last_day=last,
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
