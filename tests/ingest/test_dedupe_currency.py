"""Overlapping exports and currencies (METRICS.md, Duplicates and Currency)."""

import datetime as dt

import pyarrow as pa

from kpi_tui.ingest.currency import convert, reporting_currency
from kpi_tui.ingest.dedupe import Part, dedupe
from kpi_tui.ingest.schema import transactions


def txns(rows):
    cols = list(zip(*rows)) if rows else [[]] * 5
    return transactions({"customer": cols[0], "date": cols[1], "amount": cols[2],
                         "currency": cols[3], "txn_id": cols[4]})


D = dt.date(2026, 3, 1)


def test_id_in_several_files_counts_from_newest_file_only():
    old = txns([("a", D, 10.0, None, "1"), ("a", D, 5.0, None, "1"), ("b", D, 7.0, None, "2")])
    new = txns([("a", D, 12.0, None, "1"), ("c", D, 1.0, None, "3")])
    out, drops = dedupe([Part("new.csv", 200.0, new), Part("old.csv", 100.0, old)])
    assert out[0].column("amount").to_pylist() == [12.0, 1.0]
    assert out[1].column("amount").to_pylist() == [7.0]  # both rows of id 1 leave the old file
    assert drops == {"old.csv": {"id counted from a newer file": 2}}


def test_rows_inside_one_file_never_merged():
    t = txns([("a", D, 5.0, None, "9"), ("a", D, 5.0, None, "9"), ("a", D, 5.0, None, None),
              ("a", D, 5.0, None, None)])
    out, drops = dedupe([Part("x.csv", 1.0, t)])
    assert out[0].num_rows == 4 and drops == {}


def test_identical_files_without_ids_count_once_same_result_any_order():
    t = txns([("a", D, 5.0, None, None)])
    parts = [Part("a.csv", 1.0, t, "h1"), Part("b.csv", 2.0, t, "h1"), Part("c.csv", 3.0, t, "h2")]
    for order in (parts, parts[::-1]):
        out, drops = dedupe(order)
        assert sum(x.num_rows for x in out) == 2
        assert drops == {"a.csv": {"same content as b.csv": 1}}


def test_reporting_currency_and_conversion():
    t = txns([("a", D, 10.0, "EUR", None), ("b", D, 10.0, "EUR", None),
              ("c", D, 10.0, "USD", None), ("d", D, 4.0, None, None)])
    assert reporting_currency([t], None) == "EUR"
    assert reporting_currency([t], "usd") == "USD"
    out, left, conv = convert(t, "EUR", {})
    assert out.column("customer").to_pylist() == ["a", "b", "d"] and left == {"USD": 1}
    out, left, conv = convert(t, "EUR", {"USD": 0.5})
    assert out.column("amount").to_pylist() == [10.0, 10.0, 5.0, 4.0] and conv == {"USD": 1}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.one_of(st.none(), st.sampled_from(
    ["1", "2", "9", "10", "99", "100", "a", "A-1", "#1001", "1001", "z"])), max_size=8),
    st.lists(st.sampled_from(["1", "10", "z", "#1001"]), max_size=2),
    st.integers(0, 3), st.integers(0, 2), st.sampled_from(["shop", "stripe"]),
    st.sampled_from(["f.csv", "f (1).csv", "f (2).csv", "f (10).csv", "g.csv"])),
    min_size=1, max_size=5))
def test_dedupe_equals_naive_rule(files):
    """Against the rule as METRICS.md words it (tests/reference.py): an id counts from its newest
    file only, ids compared within one scope; ties on mtime by last date, copy number, path."""
    from reference import file_version

    parts = []
    for n, (ids, other, mtime, day, scope, name) in enumerate(files):
        t = txns([("c", D + dt.timedelta(days=day + k % 2), 1.0, None, i) for k, i in enumerate(ids)])
        other_ids = pa.array(other, pa.string()) if other else None
        parts.append(Part(f"d{n}/{name}", float(mtime), t, None, other_ids, scope=scope))
    version = {p.key: file_version(p.mtime, p.key, max(p.table.column("date").to_pylist(), default=None))
               for p in parts}
    newest = {}
    for p in parts:
        for i in p.table.column("txn_id").to_pylist() + (p.other_ids.to_pylist()
                                                         if p.other_ids is not None else []):
            if i is not None:
                k = (p.scope, i)
                newest[k] = max(newest.get(k, version[p.key]), version[p.key])
    out, _ = dedupe(parts)
    for p, t in zip(parts, out):
        want = [i for i in p.table.column("txn_id").to_pylist()
                if i is None or newest[(p.scope, i)] == version[p.key]]
        assert t.column("txn_id").to_pylist() == want


def test_ties_on_mtime_and_the_rule_that_decided():
    def part(key, mtime, rows):
        return Part(key, mtime, txns([("c", D + dt.timedelta(days=d), 1.0, None, i) for i, d in rows]))

    # same time: the rows reaching the later date win, whatever the names
    a, b = part("unified_payments (1).csv", 5.0, [("ch_1", 0)]), part("unified_payments.csv", 5.0, [("ch_1", 3)])
    out, drops = dedupe([a, b])
    assert [t.num_rows for t in out] == [0, 1]
    assert drops == {"unified_payments (1).csv": {
        "id counted from a file modified at the same time whose rows reach a later date": 1}}
    # same time, same dates: name (2) over name (1) over name (which sorts after both)
    parts = [part("x/orders.csv", 5.0, [("1", 0)]), part("x/orders (2).csv", 5.0, [("1", 0)]),
             part("x/orders (1).csv", 5.0, [("1", 0), ("2", 0)]), part("x/orders (10).csv", 4.0, [("2", 0)])]
    out, drops = dedupe(parts)
    assert [t.num_rows for t in out] == [0, 1, 1, 0]
    reason = "id counted from a later download of the same export (name (n): same time, same dates)"
    assert drops == {"x/orders.csv": {reason: 1}, "x/orders (1).csv": {reason: 1},
                     "x/orders (10).csv": {"id counted from a newer file": 1}}
    # then the later path
    out, drops = dedupe([part("b/e.csv", 5.0, [("1", 0)]), part("a/e.csv", 5.0, [("1", 0)])])
    assert drops == {"a/e.csv": {"id counted from a file modified at the same time (same dates; the later path wins)": 1}}
