"""Small exports of one header read together (ingest.grouped) give every file exactly what a
read of its own gives: table, report (drops in its own order), ids left out; the files the
group cannot speak for are left to that read."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from kpi_tui.ingest import grouped
from kpi_tui.ingest.folder import load_folder, parse_file
from kpi_tui.ingest.schema import UnusableFile
from kpi_tui.settings import Settings

HEAD = "order_id,customer_id,created_at,amount,currency,status\n"

FILES = {  # name: body (HEAD is added unless the body starts with its own header)
    "a.csv": "1,C1,2026-01-02,10.00,EUR,paid\n2,C2,2026-01-03,20.00,EUR,failed\n",
    "b.csv": "3,C1,2026-01-04,5.50,EUR,pending\n4,C3,2026-01-05,7.25,EUR,failed\n"
             "5,C3,2026-01-06,1.00,EUR,refunded\n",  # pending before failed: its own order
    "c.csv": "6,C4,2026-01-07,3.00,EUR,Cancelled\n7,C4,2026-01-07,3.00,EUR,paid\n"
             "7,C4,2026-01-08,3.00,EUR,cancelled\n",  # two spellings, one reason
    "d.csv": "8,C5,2026-01-08,4.00,EUR,failed\n",  # every row left out: its own read words why
    "e.csv": "9,,2026-01-09,4.00,EUR,paid\n",  # no customer: its own note
    "f.csv": "10,C6,2026-01-10,4.00,EUR,paid\r\n11,C6,2026-01-11,-4.00,EUR,paid",  # CRLF, no end
    "g.csv": "12,C7,2026-01-12,4.00,EUR,paid\n\n13,C7,2026-01-13,4.00,EUR,paid\n",  # blank line
    "h.csv": "3,C1,2026-01-04,5.50,EUR,paid\n14,C8,2026-01-14,9.00,EUR,paid\n",  # id 3 again
}


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for i, (name, body) in enumerate(sorted(files.items())):
        p = tmp_path / name
        p.write_bytes((body if body.startswith("order_id") else HEAD + body).encode())
        os.utime(p, (1_700_000_000 + i, 1_700_000_000 + i))
    return tmp_path


def _same(got, want) -> None:
    t, r, ids = got
    t2, r2, ids2 = want
    assert t.equals(t2)
    assert r == r2 and list(r.drops) == list(r2.drops)
    assert (ids is None and ids2 is None) or ids.equals(ids2)


def test_each_file_as_its_own_read(tmp_path):
    root = _folder(tmp_path, FILES)
    paths = sorted(root.iterdir())
    res = grouped._chunk(paths, Settings())
    assert sorted(p.name for p in res) == ["a.csv", "b.csv", "c.csv", "f.csv", "g.csv", "h.csv"]
    for p, (st, got, screened) in res.items():
        _same(got, parse_file(p, Settings()))
        assert screened
    b = res[root / "b.csv"][1][1]
    assert b.drops == {"status pending": 1, "status failed": 1}
    assert list(b.drops) == ["status pending", "status failed"]
    assert res[root / "c.csv"][1][1].drops == {"status cancelled": 2}
    assert res[root / "a.csv"][1][2].to_pylist() == ["2"]
    assert res[root / "b.csv"][1][0].column("refunded_status").to_pylist() == [True]
    assert res[root / "a.csv"][1][0].column("refunded_status").null_count == 1


@pytest.mark.parametrize("odd", [
    "order_id,customer_id,created_at,amount,currency,status\n1,C1,02/01/2026,10,EUR,paid\n",
    "order_id,customer_id,created_at,amount,currency,status\n1,C1,2026-01-02,\"1,5\",EUR,paid\n",
    "order_id,customer_id,created_at,amount,currency,status\n1,C1,2026-01-02,10,EUR,paid,extra\n",
    "order_id,customer_id,created_at,amount,currency,status\n1,C1,not a date,10,EUR,paid\n",
])
def test_a_group_that_cannot_speak_for_its_files_is_left_alone(tmp_path, odd):
    """dd/mm dates, a decimal comma, a malformed line, an unreadable date: decided by each
    file's own values."""
    files = {"x.csv": odd, "y.csv": HEAD + "2,C2,2026-01-03,20.00,EUR,paid\n"}
    root = _folder(tmp_path, files)
    assert grouped._chunk(sorted(root.iterdir()), Settings()) == {}


def test_stores_title_lines_and_other_headers_are_not_grouped(tmp_path):
    store = "order_id,customer_id,created_at,amount,store\n"
    files = {"s1.csv": store + "1,C1,2026-01-02,10,Paris\n", "s2.csv": store + "2,C1,2026-01-02,10,Lyon\n",
             "t1.csv": "Export\n" + HEAD + "3,C1,2026-01-02,10,EUR,paid\n",
             "t2.csv": "Export\n" + HEAD + "4,C1,2026-01-02,10,EUR,paid\n",
             "solo.csv": HEAD + "5,C1,2026-01-02,10,EUR,paid\n"}
    root = _folder(tmp_path, files)
    assert grouped._chunk(sorted(root.iterdir()), Settings()) == {}


def test_folder_figures_and_reports_as_file_by_file(tmp_path, monkeypatch):
    root = _folder(tmp_path, FILES)
    together = load_folder(root, Settings(), use_cache=False)
    monkeypatch.setattr(grouped, "_chunk", lambda paths, settings: {})
    alone = load_folder(root, Settings(), use_cache=False)
    assert together.transactions.equals(alone.transactions)
    assert together.files == alone.files
    assert together.warnings == alone.warnings
    assert together.rows == alone.rows == 10


def test_a_file_changed_after_the_group_read_is_read_again(tmp_path):
    root = _folder(tmp_path, FILES)
    paths = sorted(root.iterdir())
    parsed = dict(grouped._chunk(paths, Settings()))
    p = root / "a.csv"
    p.write_text(HEAD + "1,C1,2026-01-02,99.00,EUR,paid\n")
    assert grouped.matching(parsed[p], p.stat()) is None
    b = parsed[root / "b.csv"]
    assert grouped.matching(b, (root / "b.csv").stat()) == (*b[1], True)


def test_ahead_keeps_order_and_skips_cached_files(tmp_path):
    root = _folder(tmp_path, FILES)
    paths = sorted(root.iterdir())

    class Cache:
        def has(self, path):
            return path.name == "a.csv"

    got = list(grouped.ahead(paths, Settings(), Cache()))
    assert [p for p, _ in got] == paths
    assert {p.name for p, x in got if x is not None} == {"b.csv", "c.csv", "f.csv", "g.csv", "h.csv"}


def test_email_dictionary_is_the_files_own(tmp_path):
    head = "order_id,email,created_at,amount\n"
    files = {"m1.csv": head + "1,a@x.io,2026-01-02,10\n", "m2.csv": head + "2,b@x.io,2026-01-03,10\n"}
    root = _folder(tmp_path, files)
    res = grouped._chunk(sorted(root.iterdir()), Settings())
    for p, (_, got, _) in res.items():
        _same(got, parse_file(p, Settings()))
        col = got[0].column("email").combine_chunks()
        assert isinstance(col, pa.DictionaryArray) and len(col.dictionary) == 1


def test_files_screened_together(tmp_path, monkeypatch):
    """The group's rows screened at once: a file with a row screen() leaves out is screened on
    its own (its drops and ids), the others need no screen; the folder reads as file by file."""
    files = {"s1.csv": HEAD + "1,C1,2026-01-02,10.00,EUR,paid\n2,C1,2099-01-03,20.00,EUR,paid\n",
             "s2.csv": HEAD + "3,C2,2026-01-04,5.00,EUR,paid\n",
             "s3.csv": HEAD + "4,C3,2026-01-05,1e300,EUR,paid\n5,C3,2026-01-06,2.00,EUR,paid\n"}
    root = _folder(tmp_path, files)
    res = grouped._chunk(sorted(root.iterdir()), Settings())
    assert {p.name: x[2] for p, x in res.items()} == {"s1.csv": False, "s2.csv": True,
                                                       "s3.csv": False}
    together = load_folder(root, Settings(), use_cache=False)
    monkeypatch.setattr(grouped, "_chunk", lambda paths, settings: {})
    alone = load_folder(root, Settings(), use_cache=False)
    assert together.files == alone.files and together.warnings == alone.warnings
    assert together.transactions.equals(alone.transactions)
    r = {f.path.name: f for f in together.files}
    assert r["s1.csv"].drops == {"dated 2099-01-03": 1}
    assert r["s3.csv"].drops == {"amount beyond ±9,000,000,000,000": 1}


@pytest.mark.parametrize("data", [
    HEAD + "1,C1,2026-01-02,10.00,EUR,paid\n",
    HEAD + "1,C1,2026-01-02,10.00,EUR,paid",  # no last newline
    HEAD + "1,C1,2026-01-02,10.00,EUR,paid\r\n\r\n2,C2,2026-01-03,1,EUR,paid\r\n",
    HEAD.replace(",", ";") + "1;C1;2026-01-02;10.00;EUR;paid\n",
    HEAD.replace(",", "\t") + "1\tC1\t2026-01-02\t10.00\tEUR\tpaid\n   \n",
    HEAD.replace(",", "|") + "1|C1|2026-01-02|10.00|EUR|paid\n",
    "Export of orders\n" + HEAD + "1,C1,2026-01-02,10.00,EUR,paid\n",  # title line
    "\n" + HEAD + "1,C1,2026-01-02,10.00,EUR,paid\n",  # blank first line
    HEAD + '1,C1,2026-01-02,"10,00",EUR,paid\n',  # quotes
    HEAD + "1,C1,2026-01-02,10.00,EUR,paid,extra\n",  # ragged
    HEAD + "1,C1,2026-01-02,10.00,EUR,paid;x\n",  # a second candidate
    HEAD + "1,O'Brien,2026-01-02,10.00,EUR,paid\n",
    HEAD + "1,C1,2026-01-02,10.00,EUR,pa\x0bid\n",  # a control character
    "\ufeff" + HEAD + "1,C1,2026-01-02,10.00,EUR,paid\n",  # BOM
    HEAD + "1,Zoë,2026-01-02,10.00,EUR,paid\n",  # not ASCII
    "a\nb\n",  # no delimiter
])
def test_plain_dialect_is_the_sniffed_one(data):
    """Where grouped._plain answers, it answers what delimited._dialect does (else None)."""
    from kpi_tui.ingest.readers import delimited

    raw = data.encode()
    got = grouped._plain(raw)
    try:
        want = delimited._dialect("x.csv", raw, True)
    except Exception:  # noqa: BLE001
        want = None
    assert got is None or got == want
    plain = ("\ufeff" not in data and '"' not in data and "'" not in data and "ë" not in data
             and "\x0b" not in data and "extra" not in data and ";x" not in data
             and not data.startswith(("Export", "\n", "a\n")))
    assert (got is not None) == plain


def test_files_read_together_leave_no_cache_entry(tmp_path):
    # reading a small file again with its group costs less than its cache entry (20,000 files:
    # 17.3 s to fill the cache, 9.1 s when one had changed; without entries 3.5 s and 4.1 s)
    from kpi_tui.ingest.cache import ParseCache

    (tmp_path / "data").mkdir()
    root = _folder(tmp_path / "data", FILES)
    big = root / "z-big.csv"  # over the 64 KB of a group: read alone, cached
    big.write_text("order_id;customer_id;created_at;amount\n" + "".join(
        f"{i};K{i % 40};2026-02-{1 + i % 28:02d};{i % 90}.10\n" for i in range(4000)))
    store = tmp_path / "cache"
    first = load_folder(root, Settings(), cache=ParseCache("fp", store))
    entries = sorted(p.name for p in store.iterdir())
    cache = ParseCache("fp", store)
    read_together = {"a.csv", "b.csv", "c.csv", "f.csv", "g.csv", "h.csv"}  # others: alone
    assert {p.name for p in sorted(root.iterdir()) if cache.has(p)} == \
        {p.name for p in root.iterdir()} - read_together
    again = load_folder(root, Settings(), cache=cache)
    assert again.transactions.equals(first.transactions)
    assert again.files == first.files
    assert sorted(p.name for p in store.iterdir()) == entries


def test_a_header_alone_is_told_without_its_own_read(tmp_path, monkeypatch):
    """Hourly exports of an hour without orders: said as their own read says it (skipped: a
    header but no rows), without a pyarrow read each (20,000 files, half of them empty:
    8.7 s -> 2.4 s)."""
    files = {"h1.csv": HEAD, "h2.csv": HEAD + "\n\n", "h3.csv": HEAD.rstrip("\n"),
             "a.csv": FILES["a.csv"], "b.csv": FILES["b.csv"]}
    root = _folder(tmp_path, files)
    (root / "zero.csv").write_bytes(b"")  # no header either: read alone ("is empty")
    res = grouped._chunk(sorted(root.iterdir()), Settings())
    assert sorted(p.name for p in res) == ["a.csv", "b.csv", "h1.csv", "h2.csv", "h3.csv"]
    for name in ("h1.csv", "h2.csv", "h3.csv"):
        p = root / name
        with pytest.raises(UnusableFile, match=f"^{name}: has a header but no rows$"):
            grouped.matching(res[p], p.stat())
        with pytest.raises(UnusableFile, match=f"^{name}: has a header but no rows$"):
            parse_file(p, Settings())  # what its own read says
    together = load_folder(root, Settings(), use_cache=False)
    monkeypatch.setattr(grouped, "_chunk", lambda paths, settings: {})
    alone = load_folder(root, Settings(), use_cache=False)
    assert together.transactions.equals(alone.transactions)
    assert together.files == alone.files
    assert together.skipped == alone.skipped and len(together.skipped) == 4
    assert together.warnings == alone.warnings
