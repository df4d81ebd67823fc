"""Issue 12: a big ledger is built and summed in pieces (customer dictionaries folded as the
batches come; keys and rows sorted together and summed a slice at a time, or a range of
customers hashed at a time), with the same result as all at once."""

import numpy as np
import pytest

from kpi_tui.metrics import ledger as L


@pytest.mark.parametrize("packed", [True, False])  # one sort of key and row, or hashed by ranges
@pytest.mark.parametrize("customers,n,sort", [(50, 7, False), (3000, 40, False), (1, 5, False),
                                              (200, 3, True), (70_000, 40_000, False)])
def test_group_sum_in_pieces_as_at_once(customers, n, sort, packed, monkeypatch):
    rng = np.random.default_rng(customers + n)
    rows = 20_000
    c = rng.integers(0, customers, rows).astype(np.int32)
    c[rng.random(rows) < 0.3] = 0  # one heavy customer
    p = rng.integers(0, n, rows).astype(np.int32)
    if sort:
        o = np.lexsort((p, c))
        c, p = c[o], p[o]
    m = rng.integers(-10**6, 10**7, rows).astype(np.int64)
    once = L.group_sum(c, p, m, n, purchases=True)
    plain = L.group_sum(c, p, m, n)
    monkeypatch.setattr(L, "HASHED", 997)
    monkeypatch.setattr(L, "PACKED", packed)
    monkeypatch.setattr(L, "SLICE", 1009)  # the packed sums' slices: groups cut at their ends
    pieces = L.group_sum(c, p, m, n, purchases=True)
    for a, b in zip(once, pieces):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for a, b in zip(plain, L.group_sum(c, p, m, n)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("nulls", [0.0, 0.2, 1.0])
def test_ledger_folded_as_batches_come_as_at_once(nulls, monkeypatch):
    import pyarrow as pa

    rng = np.random.default_rng(int(nulls * 10))
    batches = []
    for size in (500, 1, 700, 300, 0, 900, 40):
        names = [f"C{x:05d}" if rng.random() >= nulls else None
                 for x in rng.integers(0, 1500, size)]
        batches.append(pa.record_batch({
            "customer": pa.array(names, pa.string()),
            "date": pa.array(rng.integers(19000, 19400, size).astype(np.int32)).cast(pa.date32()),
            "amount": pa.array(rng.integers(-500, 5000, size) / 100.0)}))
    once = L.ledger_from_batches(batches)
    monkeypatch.setattr(L, "SMALL", 1)  # no batches put together
    monkeypatch.setattr(L, "FOLD", 100)
    folded = L.ledger_from_batches(batches)
    for f in ("customer", "day", "micros", "names"):
        assert np.array_equal(getattr(once, f), getattr(folded, f)), f
    assert (once.unattributed_micros, once.first_day, once.last_day) == \
        (folded.unattributed_micros, folded.first_day, folded.last_day)


def test_group_sum_of_int64_codes_and_periods(monkeypatch):
    rng = np.random.default_rng(3)
    c = rng.integers(0, 300, 5000)  # int64, as some callers pass them
    p = rng.integers(0, 12, 5000)
    m = rng.integers(-100, 1000, 5000).astype(np.int64)
    ref = L.group_sum(c.astype(np.int32), p.astype(np.int32), m, 12, purchases=True)
    monkeypatch.setattr(L, "HASHED", 333)
    for a, b in zip(ref, L.group_sum(c, p, m, 12, purchases=True, consume=True)):
        assert np.array_equal(a, b)
