"""Issue 12: many rows are summed a range of customers at a time (a small hash table), with
the same result as all at once."""

import numpy as np
import pytest

from kpi_tui.metrics import ledger as L


@pytest.mark.parametrize("customers,n,sort", [(50, 7, False), (3000, 40, False), (1, 5, False),
                                              (200, 3, True), (70_000, 40_000, False)])
def test_group_sum_in_pieces_as_at_once(customers, n, sort, monkeypatch):
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
    pieces = L.group_sum(c, p, m, n, purchases=True)
    for a, b in zip(once, pieces):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for a, b in zip(plain, L.group_sum(c, p, m, n)):
        assert np.array_equal(a, b)
