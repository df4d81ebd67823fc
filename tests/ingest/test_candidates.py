"""Issue 12: the ids dedupe hashes (those within another file's range) are found without
comparing every pair of files; the same ids as the pairwise rule."""

import random

import pytest

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui.ingest.dedupe import _candidates


def pairwise(keys):
    out = {}
    for i, k in keys.items():
        if len(k) == 0:
            continue
        m = np.zeros(len(k), bool)
        for j, o in keys.items():
            if j == i or len(o) == 0:
                continue
            if isinstance(k, np.ndarray):
                m |= (k >= o.min()) & (k <= o.max())
            else:
                lo, hi = pc.min_max(o).as_py().values()
                m |= np.asarray(pc.and_(pc.greater_equal(k, lo), pc.less_equal(k, hi)), bool)
        if m.any():
            out[i] = m
    return out


def check(keys):
    got, want = _candidates(keys), pairwise(keys)
    assert sorted(got) == sorted(want)
    for i in want:
        assert got[i].tolist() == want[i].tolist()


def test_random_ranges_as_pairwise():
    rng = random.Random(12)
    for _ in range(200):
        n = rng.randint(1, 12)
        keys = {}
        for i in range(n):
            lo = rng.randint(0, 100)
            keys[i] = np.array([rng.randint(lo, lo + rng.randint(0, 40))
                                for _ in range(rng.randint(0, 6))], np.int64)
        check(keys)


def test_string_ids_and_nested_ranges():
    keys = {0: pa.chunked_array([["A100", "A500", "A900"]]),  # wide: holds the others
            1: pa.chunked_array([["A200", "A300"]]),
            2: pa.chunked_array([["A250", "A260", "B1"]]),
            3: pa.chunked_array([["C1", "C2"]]),
            4: pa.chunked_array([pa.array([], pa.string())])}
    check(keys)
    assert sorted(_candidates(keys)) == [0, 1, 2]


def test_time_split_exports_only_edges():
    # each export repeats the first 3 ids of the next one
    keys = {i: np.arange(i * 100, i * 100 + 103, dtype=np.int64) for i in range(2000)}
    got = _candidates(keys)
    assert len(got) == 2000
    assert np.flatnonzero(got[5]).tolist() == [0, 1, 2, 100, 101, 102]
    assert np.flatnonzero(got[0]).tolist() == [100, 101, 102]
    assert np.flatnonzero(got[1999]).tolist() == [0, 1, 2]
    check({i: keys[i] for i in range(200)})


def test_wide_numeric_csv_read_as_text(tmp_path):
    from kpi_tui.ingest.readers import read_raw

    head = ",".join(f"c{i}" for i in range(40))
    path = tmp_path / "wide.csv"
    path.write_text(head + "\n" + "\n".join(",".join(f"00{i + r}" for i in range(40))
                                           for r in range(3)) + "\n")
    t = read_raw(path)[0].table
    assert t.num_columns == 40 and all(str(x) == "string" for x in t.schema.types)
    assert t.column("c39").to_pylist() == ["0039", "0040", "0041"]


@pytest.mark.parametrize("text", [
    "a,b,c\n1,2,3\n4,5,6", "a;b\n1;2", "a\tb\tc\n1\t2\t3", "a|b\n1|2",
    "a,b;c\n1,2;3", "a,b\n1,2,3\n4,5", "a,'b'\n1,2", 'a,"b;c"\n1,2', "a b\n1 2"])
def test_delimiter_fast_path_as_sniffer(text, monkeypatch):
    from kpi_tui.ingest.readers import delimited

    lines = text.splitlines()
    fast = delimited._sniff_delimiter(lines)
    monkeypatch.setattr(delimited, "_only_delimiter", lambda _lines: None)
    assert fast == delimited._sniff_delimiter(lines)


def test_parse_cache_keeps_one_version_a_file(tmp_path):
    import os

    from kpi_tui.ingest.cache import ParseCache
    from kpi_tui.ingest.folder import load_file
    from kpi_tui.settings import Settings

    root = tmp_path / "cache"
    f = tmp_path / "a.csv"
    for i in range(3):  # three versions of the export, each cached in turn by one instance
        f.write_text(f"order_id,customer_id,date,amount\n{i},c,2026-01-0{i + 1},1.50\n")
        os.utime(f, (1_700_000_000 + i, 1_700_000_000 + i))
        cache = ParseCache("fp", root)
        load_file(f, Settings(), cache)
        assert len(list(root.iterdir())) == 2  # the table and its report, of this version only
        part, report = load_file(f, Settings(), ParseCache("fp", root))  # a hit
        assert report.rows_kept == 1 and part.table.column("txn_id").to_pylist() == [str(i)]

