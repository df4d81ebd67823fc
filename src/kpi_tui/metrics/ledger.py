"""From transactions to the per-customer, per-period sums that every figure is made of.

`Ledger` holds attributed transactions as integer arrays (amounts in micro-units, so sums are
exact and do not depend on row order). A ledger whose amounts add up beyond what int64 holds in
micro-units (a year of sales in IDR, VND, KRW, IRR) counts in fewer decimals: its `scale` is
units per currency unit (10**6, else 10**5 ... 1), so that every sum is exact in int64. `PeriodSums` is the narrow input of the metrics: a SQL
warehouse could compute it itself (GROUP BY customer, period) and skip the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from kpi_tui.metrics.periods import period_index, period_of
from kpi_tui.metrics.series import MICROS
NO_PURCHASE = np.iinfo(np.int64).max
# (pyarrow is imported where the ledger is built from Arrow: the figures of a database's
# replayed queries use the sums below without it)
# The sum of a ledger's |amounts| in its units stays below LIMIT: then every sum of them (per
# customer, period, or all) is exact in int64. (Per row, |amount| <= 9 * 10**12 at 10**6.)
LIMIT = 2 ** 62


def to_micros(amount: np.ndarray, scale: int = MICROS) -> np.ndarray:
    """Amounts in units of `scale`. Where amount * scale passes 2**53 (float64 has no unit
    digit there), the amount's shortest decimal form (what the export wrote: 2500000000000.37)
    is scaled exactly instead."""
    a = np.asarray(amount, dtype=np.float64)
    out = np.rint(a * scale).astype(np.int64)
    big = np.abs(a) * scale >= 2.0 ** 53
    if big.any():
        out[big] = [int((Decimal(repr(x)) * scale).to_integral_value(ROUND_HALF_EVEN))
                    for x in a[big].tolist()]
    return out


def shrink(units: np.ndarray, d: int) -> np.ndarray:
    """int64 amounts divided by `d`, rounded half away from zero, in integers (exact)."""
    q, r = np.divmod(np.abs(units), d)
    return np.sign(units) * (q + (2 * r >= d))


def shrink_int(u: int, d: int) -> int:
    """shrink() of one Python int."""
    q, r = divmod(abs(u), d)
    return (q + (2 * r >= d)) * (1 if u >= 0 else -1)


def scale_for(abs_sum: float, scale: int = MICROS) -> int:
    """The largest of scale, scale/10, ... 1 at which `abs_sum` (in units of `scale`) is below LIMIT."""
    while scale > 1 and abs_sum >= LIMIT:
        scale //= 10
        abs_sum /= 10
    return scale


SLICE = 1 << 20  # rows a step where a whole-array temporary would cost memory


def _slices(n: int):
    return (slice(i, i + SLICE) for i in range(0, n, SLICE))


def abs_sum(micros: np.ndarray) -> float:
    return float(sum(np.abs(micros[s]).sum(dtype=np.float64) for s in _slices(len(micros))))


def exact_sums(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """int64 sums of int64 `values` by `index` (0 <= index < n), exact. float64 bincount is
    exact while every partial sum stays below 2**53; beyond, the values are summed as high and
    low bits apart (each exact, below 2**27 rows a group), then put together in int64."""
    if len(values) == 0:
        return np.zeros(n, np.int64)
    if abs_sum(values) < 2 ** 52:  # (every partial sum is below it; margin for float's own)
        out = np.zeros(n, np.float64)
        for s in _slices(len(values)):  # a slice at a time: no float copy of every value
            out += np.bincount(index[s], weights=values[s], minlength=n)
        return np.rint(out).astype(np.int64)
    lo = np.bincount(index, weights=values & (2 ** 26 - 1), minlength=n)
    hi = np.bincount(index, weights=values >> 26, minlength=n)
    return np.rint(hi).astype(np.int64) * 2 ** 26 + np.rint(lo).astype(np.int64)


@dataclass
class Ledger:
    customer: np.ndarray  # int32 code per attributed transaction
    day: np.ndarray  # int32 day number (days since 1970-01-01)
    micros: np.ndarray  # int64 signed amount
    names: np.ndarray  # customer name by code (object array)
    unattributed_micros: int
    first_day: int | None  # over all transactions, attributed or not
    last_day: int | None
    scale: int = MICROS  # units of `micros` per currency unit
    _first_purchase: np.ndarray | None = None
    ordered: bool = False  # True: rows known to be in (customer, day) order

    def rescaled(self, scale: int) -> Ledger:
        """This ledger counted in `scale` (a divisor of its own) units."""
        if scale == self.scale:
            return self
        d = self.scale // scale
        return Ledger(self.customer, self.day, shrink(self.micros, d), self.names,
                      shrink_int(self.unattributed_micros, d), self.first_day, self.last_day, scale,
                      ordered=self.ordered)

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
    return ledger_from_batches(table.select(["customer", "date", "amount"]).to_batches(),
                               table.num_rows)


def ledger_from_batches(batches, rows: int | None = None) -> Ledger:
    """The ledger of record batches (customer, date, amount), one batch at a time: customers
    are encoded per batch, the batches' dictionaries folded into one as they come (_fold).
    `rows`: the number of rows, when known, so the arrays are filled in place."""
    import pyarrow as pa

    from kpi_tui import ahead, arrow

    if rows is None:
        batches = list(batches)
        rows = sum(b.num_rows for b in batches)
    customer = np.empty(rows, np.int32)
    day_out = np.empty(rows, np.int32)
    micros = np.empty(rows, np.int64)
    segments, dicts = [], []  # per batch: (start, end) in the arrays, its customer dictionary
    names, pending = None, 0  # customers so far (first seen first); values in `dicts`
    unattributed, first, last, n = 0, None, None, 0
    scale, total = MICROS, 0.0  # total: sum of |amount| so far, in units of scale
    for b, valid, enc in ahead.in_order(_encoded, coalesced(batches)):
        if b.num_rows == 0:
            continue
        day = arrow.to_numpy(b.column("date").cast(pa.int32()))
        mic = to_micros(arrow.to_numpy(b.column("amount")), scale)
        total += abs_sum(mic)
        fit = scale_for(total, scale)
        if fit != scale:  # large sums: fewer decimals, so that every sum stays exact
            d = scale // fit
            micros[:n], mic = shrink(micros[:n], d), shrink(mic, d)
            unattributed, scale = shrink_int(unattributed, d), fit
            total = abs_sum(micros[:n]) + abs_sum(mic) + abs(unattributed)
        lo, hi = int(day.min()), int(day.max())
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
        if valid is not None:
            valid = arrow.to_numpy(valid)
            unattributed += int(mic[~valid].sum())
            day, mic = day[valid], mic[valid]
        k = len(day)
        customer[n:n + k] = arrow.to_numpy(enc.indices)
        day_out[n:n + k] = day
        micros[n:n + k] = mic
        segments.append((n, n + k))
        dicts.append(enc.dictionary)
        n += k
        pending += len(enc.dictionary)
        if pending > max(FOLD, 0 if names is None else len(names)):
            names = _fold(customer, segments, dicts, names)
            segments, dicts, pending = [], [], 0
    customer, day_out, micros = customer[:n], day_out[:n], micros[:n]
    if dicts:
        names = _fold(customer, segments, dicts, names)
    if names is None:
        return Ledger(customer, day_out, micros, np.empty(0, dtype=object), unattributed,
                      first, last, scale)
    return Ledger(
        customer=customer,
        day=day_out,
        micros=micros,
        names=arrow.to_numpy(names).astype(object),
        unattributed_micros=unattributed,
        first_day=first,
        last_day=last,
        scale=scale,
    )


def _encoded(b: pa.RecordBatch):
    """A batch's customers encoded, done ahead by threads (ledger_from_batches), in Arrow (numpy
    arrays made on other threads come back to glibc's arenas of those threads: memory):
    (batch, attributed rows (None: all), their customers dictionary-encoded)."""
    import pyarrow.compute as pc

    cust, valid = b.column("customer"), None
    if cust.null_count:
        valid = pc.is_valid(cust)
        cust = cust.filter(valid)
    return b, valid, pc.dictionary_encode(cust)


FOLD = 1 << 21  # batches' customer values put into one dictionary once this many are pending


def _fold(customer: np.ndarray, segments: list, dicts: list, names: pa.Array | None) -> pa.Array:
    """`names` (distinct, None: none yet) followed by the new customers of `dicts` (the
    batches' dictionaries, in order), first seen first; the batches' rows (`segments` of
    `customer`) recoded into it. Folded as the batches come (not all batches' dictionaries
    at the end: 10M rows, ~150 MB); `names` keeps its codes (first in the encoding)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from kpi_tui import arrow

    head = [] if names is None else [names]
    glob = pc.dictionary_encode(pa.concat_arrays(head + dicts))
    remap = arrow.to_numpy(glob.indices).astype(np.int32)
    off = 0 if names is None else len(names)
    for (s0, s1), d in zip(segments, dicts):
        customer[s0:s1] = remap[off:off + len(d)][customer[s0:s1]]
        off += len(d)
    return glob.dictionary


SMALL = 1 << 16  # rows: smaller batches (many small files) are put together first


def coalesced(batches, rows: int = SMALL):
    """The batches in order, small consecutive ones as one (a batch of 20,000 files' rows, not
    20,000 batches: each costs a dozen calls)."""
    acc, n = [], 0
    for b in batches:
        if acc and (n + b.num_rows > rows or not b.schema.equals(acc[0].schema)):
            yield _one(acc)
            acc, n = [], 0
        if b.num_rows >= rows:
            yield b
        else:
            acc.append(b)
            n += b.num_rows
    if acc:
        yield _one(acc)


def _one(batches: list) -> pa.RecordBatch:
    import pyarrow as pa

    if len(batches) == 1:
        return batches[0]
    t = pa.Table.from_batches(batches).combine_chunks()
    return pa.RecordBatch.from_arrays([c.chunk(0) if c.num_chunks else pa.array([], c.type)
                                       for c in t.columns], schema=t.schema)


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
    scale: int = MICROS  # units of `v` per currency unit (the ledger's)


def period_sums(ledger: Ledger, g: str) -> PeriodSums | None:
    """Group the ledger by (customer, period). None when there is no transaction."""
    if ledger.first_day is None:
        return None
    first = period_of(ledger.first_day, g)
    last = period_of(ledger.last_day, g)
    customer, period, v, bought = group_sum(ledger.customer, _period_codes(ledger.day, g, first),
                                            ledger.micros, last - first + 1, purchases=True,
                                            consume=True)
    # first purchase: the first (customer, period) group, in period order, with a positive
    # transaction; all of history is in the series, so this is the customer's first ever
    fp = np.full(ledger.customers, NO_PURCHASE, dtype=np.int64)
    c, q = customer[bought], period[bought]
    head = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, bool)
    fp[c[head]] = q[head] + first
    return PeriodSums(first, last, customer, period + first, v, fp, ledger.unattributed_micros,
                      ledger.scale)


def _period_codes(day: np.ndarray, g: str, first: int) -> np.ndarray:
    """period_index(day, g) - first, in int32 (a small table of the days looked up: no int64
    copies of every row)."""
    if len(day) == 0 or int(day.max()) - int(day.min()) >= 1_000_000:
        return period_index(day, g) - first
    lo, hi = int(day.min()), int(day.max())
    table = (period_index(np.arange(lo, hi + 1, dtype=np.int64), g) - first).astype(np.int32)
    out = np.empty(len(day), np.int32)
    for s in _slices(len(day)):  # a slice at a time: no temporary of every row
        out[s] = table[day[s] - np.int32(lo)]
    return out


def group_sum(customer: np.ndarray, p: np.ndarray, micros: np.ndarray, n: int,
              purchases: bool = False, consume: bool = False):
    """Sum `micros` by (customer, p) with 0 <= p < n; returns the keys sorted by (customer, p)
    and the sums, and with `purchases` whether each group holds a positive amount.
    `consume`: `p` is the caller's no more (an int32 `p` becomes the keys: no copy)."""
    if len(customer) == 0:
        e = np.empty(0, dtype=np.int64)
        return (e, e, e, e.astype(bool)) if purchases else (e, e, e)
    if int(customer.max()) * n + n < 2**31:  # narrower keys hash faster (a third less time)
        key = p if consume and p.dtype == np.int32 else p.astype(np.int32)
        del p
        for s in _slices(len(key)):  # in place, a slice at a time: no copies of every row
            key[s] += customer[s].astype(np.int32, copy=False) * np.int32(n)
    else:
        key = customer.astype(np.int64) * n + p
    if bool((key[1:] >= key[:-1]).all()):  # rows in (customer, day) order: the ledger cache's
        return _sorted_sum(key, micros, n, purchases)
    if len(key) <= HASHED:
        return _hashed_sum(key, micros, n, purchases)
    if PACKED and packs(key):  # one in-place sort of key and row
        packed = _packed(key)
        del key
        return _packed_sum(packed, micros, n, purchases)
    # the rows of one range of customers at a time: a hash table of their keys, not of all
    # (10M rows by day: 1 GB). Each range's keys follow the previous one's: the pieces put
    # end to end are in key order.
    ends = np.cumsum(np.bincount(customer))  # rows up to each customer
    pieces, lo = [], 0
    while lo < len(ends):
        hi = max(int(np.searchsorted(ends, (ends[lo - 1] if lo else 0) + HASHED, "right")), lo + 1)
        m = key >= key.dtype.type(lo * n) if lo else None
        if hi < len(ends):
            below = key < key.dtype.type(hi * n)
            m = below if m is None else np.logical_and(m, below, out=m)
        pieces.append(_hashed_sum(key, micros, n, purchases) if m is None  # one customer
                      else _hashed_sum(key[m], micros[m], n, purchases))
        lo = hi
    del key, m
    return tuple(np.concatenate(x) for x in zip(*pieces))


PACKED = True  # large groupings by one sort (_packed), not hashed by ranges of customers
HASHED = 1 << 21  # rows hashed at once in group_sum (a hash table of 2M keys at most: 64 MB)


def _hashed_sum(key: np.ndarray, micros: np.ndarray, n: int, purchases: bool):
    """group_sum of `key` (customer * n + p) by hashing (much faster than sorting every row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from kpi_tui import arrow

    enc = pc.dictionary_encode(arrow.array(key))
    del key
    pa.default_memory_pool().release_unused()  # the hash table's memory back to the system
    inv = arrow.to_numpy(enc.indices)
    uniq = arrow.to_numpy(enc.dictionary).astype(np.int64)
    sums = exact_sums(inv, micros, len(uniq))
    order = np.argsort(uniq)
    uniq, sums = uniq[order], sums[order]
    if not purchases:
        return uniq // n, uniq % n, sums
    bought = np.zeros(len(order), bool)
    bought[inv[micros > 0]] = True
    bought = bought[order]
    return uniq // n, uniq % n, sums, bought


def _row_bits(n: int) -> int:
    return max(1, (n - 1).bit_length())


def packs(key: np.ndarray) -> bool:
    """Whether each row's key (>= 0) and row number fit in one int64 (_packed)."""
    return len(key) > 0 and int(key.max()) < 2 ** (63 - _row_bits(len(key)))


def _packed(key: np.ndarray) -> np.ndarray:
    """Each row's key (>= 0) and its row number in one int64 (key above, row below), in
    (key, row) order: one in-place sort (numpy's int64 sort: ~0.1 s for 10M rows, against
    ~0.8 s to hash them, ~4 s for a stable argsort of int64 keys)."""
    bits = np.int64(_row_bits(len(key)))
    packed = np.arange(len(key), dtype=np.int64)
    for s in _slices(len(key)):
        packed[s] |= key[s].astype(np.int64) << bits
    packed.sort()
    return packed


def _unpacked(p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) of a slice of _packed's output for `n` rows."""
    bits = np.int64(_row_bits(n))
    return p >> bits, p & np.int64((1 << int(bits)) - 1)


def _packed_sum(packed: np.ndarray, micros: np.ndarray, n: int, purchases: bool):
    """group_sum of rows in _packed order, a slice at a time (a group cut at a slice's end is
    carried into the next): no copy of every row."""
    keys, sums, bought = [], [], []
    carry = None  # the last group of the slice before: (key, sum, bought)
    for s in _slices(len(packed)):
        k, rows = _unpacked(packed[s], len(packed))
        u, sm, b = _runs(k, micros[rows], True)
        del rows
        if carry is not None:
            if carry[0] == u[0]:
                sm[0] += carry[1]
                b[0] |= carry[2]
            else:
                keys.append([carry[0]]), sums.append([carry[1]]), bought.append([carry[2]])
        carry = (u[-1], sm[-1], b[-1])
        keys.append(u[:-1]), sums.append(sm[:-1]), bought.append(b[:-1])
    keys.append([carry[0]]), sums.append([carry[1]]), bought.append([carry[2]])
    uniq = np.concatenate(keys).astype(np.int64)
    sums = np.concatenate(sums).astype(np.int64)
    if not purchases:
        return uniq // n, uniq % n, sums
    return uniq // n, uniq % n, sums, np.concatenate(bought).astype(bool)


def _sorted_sum(key: np.ndarray, micros: np.ndarray, n: int, purchases: bool):
    """group_sum of keys in ascending order: each group is a run of rows (no hashing)."""
    uniq, sums, bought = _runs(key, micros, purchases)
    if not purchases:
        return uniq // n, uniq % n, sums
    return uniq // n, uniq % n, sums, bought


def _runs(key: np.ndarray, micros: np.ndarray, purchases: bool):
    """(key, sum, holds a positive amount (None unless `purchases`)) of each run of equal
    keys, in order."""
    head = np.empty(len(key), bool)
    head[0] = True
    np.not_equal(key[1:], key[:-1], out=head[1:])
    start = np.flatnonzero(head)
    del head
    sums = np.add.reduceat(micros, start)  # int64: exact
    bought = np.logical_or.reduceat(micros > 0, start) if purchases else None
    return key[start].astype(np.int64), sums, bought


def sorted_by_customer_day(ledger: Ledger) -> Ledger:
    """The ledger with its rows in (customer, day) order, as the ledger cache keeps them: its
    period sums are then runs of rows at any granularity (no hashing, no sort), and saving it
    needs no order. One array put in order at a time (memory)."""
    order = by_customer_day(ledger)
    ledger.ordered = True
    if order is None:
        return ledger
    for n in ("customer", "day", "micros"):
        a = getattr(ledger, n)
        out = np.empty_like(a)
        for s in _slices(len(a)):
            out[s] = a[order[s]]
        setattr(ledger, n, out)  # the old one let go before the next is made
        del a
    del order
    return ledger


def by_customer_day(ledger: Ledger) -> np.ndarray | None:
    """The order of the ledger's rows by (customer, day) (group_sum then needs no hashing);
    None when they are in that order already."""
    c, d = ledger.customer, ledger.day
    if len(c) < 2 or ledger.ordered:
        return None
    lo, span = int(d.min()), int(d.max()) - int(d.min()) + 1
    if (int(c.max()) + 1) * span < 2**31:  # narrower keys: half the memory, a faster sort
        key = c.astype(np.int32) * np.int32(span)
        key += d - np.int32(lo)
    else:
        key = c.astype(np.int64) * span + (d - lo)
    if bool((key[1:] >= key[:-1]).all()):
        return None
    if not packs(key):
        order = np.argsort(key, kind="stable")
        return order.astype(np.int32) if len(order) < 2**31 else order
    # key and row packed in one int64, sorted in place: 12 bytes a row at most, not argsort's
    # 16 (its int64 order, then an int32 copy)
    packed = _packed(key)
    del key
    order = np.empty(len(packed), np.int32 if len(packed) < 2**31 else np.int64)
    for s in _slices(len(packed)):
        order[s] = _unpacked(packed[s], len(packed))[1]
    return order


# -- adding transactions to what is already summed (the watcher, when exports only arrive) ----

def append_ledger(old: Ledger, new: Ledger,
                  index: dict | None = None) -> tuple[Ledger, dict, Ledger]:
    """`old` followed by `new`, customers matched by name. `index` (name -> code of `old`, as
    returned by an earlier call) saves building it again. Returns the combined ledger, the
    updated index, and `new` with its customers in the combined ledger's codes. Both are
    counted in one scale: the coarser of theirs, or coarser still when their sums need it."""
    old, new = old.rescaled(min(old.scale, new.scale)), new.rescaled(min(old.scale, new.scale))
    scale = scale_for(abs_sum(old.micros) + abs_sum(new.micros) + abs(old.unattributed_micros)
                      + abs(new.unattributed_micros), old.scale)
    old, new = old.rescaled(scale), new.rescaled(scale)
    if index is None:
        index = {n: i for i, n in enumerate(old.names)}
    names = list(old.names) if len(new.names) else None
    remap = np.empty(len(new.names), np.int32)
    for i, n in enumerate(new.names):
        code = index.get(n)
        if code is None:
            code = index[n] = len(index)
            names.append(n)
        remap[i] = code
    days = [d for d in (old.first_day, new.first_day) if d is not None]
    lasts = [d for d in (old.last_day, new.last_day) if d is not None]
    ledger = Ledger(
        customer=np.concatenate([old.customer, remap[new.customer]]).astype(np.int32),
        day=np.concatenate([old.day, new.day]).astype(np.int32),
        micros=np.concatenate([old.micros, new.micros]),
        names=old.names if names is None else np.array(names, dtype=object),
        unattributed_micros=old.unattributed_micros + new.unattributed_micros,
        first_day=min(days) if days else None,
        last_day=max(lasts) if lasts else None,
        scale=scale,
    )
    recoded = Ledger(remap[new.customer] if len(remap) else new.customer, new.day, new.micros,
                     ledger.names, new.unattributed_micros, new.first_day, new.last_day, scale)
    return ledger, index, recoded


def merge_sums(ps: PeriodSums, new: Ledger, remap_customers: int, g: str) -> PeriodSums | None:
    """`ps` with the transactions of `new` added (`new.customer` already in the codes of the
    combined ledger, which has `remap_customers` customers). None when `new` starts before the
    series does, or is counted in another scale (then sum everything again)."""
    if new.scale != ps.scale:
        return None
    if new.first_day is None:
        return ps
    if period_of(new.first_day, g) < ps.first:
        return None
    last = max(ps.last, period_of(new.last_day, g))
    fp = np.full(remap_customers, NO_PURCHASE, dtype=np.int64)
    fp[:len(ps.first_purchase)] = ps.first_purchase
    if len(new.customer) == 0:
        return PeriodSums(ps.first, last, ps.customer, ps.period, ps.v, fp,
                          ps.unattributed_micros + new.unattributed_micros, ps.scale)
    p = period_index(new.day, g) - ps.first
    c, q, v, bought = group_sum(new.customer, p, new.micros, last - ps.first + 1, purchases=True)
    np.minimum.at(fp, c[bought], q[bought] + ps.first)
    shift = np.int64(1) << 32
    old_keys = ps.customer * shift + (ps.period - ps.first)
    new_keys = c * shift + q
    at = np.searchsorted(old_keys, new_keys)
    hit = at < len(old_keys)
    hit[hit] = old_keys[at[hit]] == new_keys[hit]
    sums = ps.v.copy()
    sums[at[hit]] += v[hit]
    keys = np.insert(old_keys, at[~hit], new_keys[~hit])
    sums = np.insert(sums, at[~hit], v[~hit])
    return PeriodSums(ps.first, last, keys // shift, keys % shift + ps.first, sums, fp,
                      ps.unattributed_micros + new.unattributed_micros, ps.scale)
