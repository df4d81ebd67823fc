"""Issue 12: a large delimited export read in batches gives exactly what a whole read gives,
or is read whole (never a different figure, drop, note or order of them)."""

from pathlib import Path

import pytest

from kpi_tui.ingest import folder, streamed
from kpi_tui.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BLOCK = 8 << 10  # batches of ~8 KB: many batches in a ~100 KB file


def whole(path, settings, monkeypatch):
    monkeypatch.setattr(streamed, "STREAM_OVER", 1 << 62)
    monkeypatch.setattr(streamed, "PARQUET_OVER", 1 << 62)
    return folder.parse_file(path, settings)


def batched(path, settings):
    got = streamed.parse_streamed(path, settings, block=BLOCK)
    if got is not None:
        folder.describe(got[1], got[0])
    return got


def same(a, b):
    ta, ra, ia = a
    tb, rb, ib = b
    assert ta.combine_chunks().equals(tb.combine_chunks())
    for f in ("rows_read", "rows_kept", "layout", "mapping", "date_min", "date_max", "currencies"):
        assert getattr(ra, f) == getattr(rb, f), f
    assert list(ra.drops.items()) == list(rb.drops.items())
    assert ra.notes == rb.notes
    assert (ia is None and ib is None) or ia.equals(ib)


def inflate(src: Path, dst: Path, times: int) -> Path:
    head, *body = src.read_bytes().splitlines(keepends=True)
    if not body[-1].endswith(b"\n"):
        body[-1] += b"\n"
    dst.write_bytes(head + b"".join(body) * times)
    return dst


@pytest.mark.parametrize("src", sorted((FIXTURES / "layouts").glob("*.csv"))
                         + sorted((FIXTURES / "golden").glob("*.csv")), ids=lambda p: p.name)
def test_fixtures_batched_as_whole(src, tmp_path, monkeypatch):
    path = inflate(src, tmp_path / src.name, max(2, (200 << 10) // src.stat().st_size))
    ref = whole(path, Settings(), monkeypatch)
    got = batched(path, Settings())
    if got is not None:
        same(got, ref)
    monkeypatch.setattr(streamed, "STREAM_OVER", 0)  # parse_file itself, streaming on
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    same(folder.parse_file(path, Settings()), ref)


def rows(n, line):
    return "".join(line(i) for i in range(n))


def test_generic_streams_with_counts_and_orders(tmp_path, monkeypatch):
    # statuses first seen in later batches, placeholders in some batches only, malformed lines
    def line(i):
        status = "paid" if i % 7 else ("failed" if i < 3000 else "cancelled")
        cust = "guest" if i % 500 == 0 and i > 2000 else f"C{i % 97:04d}"
        extra = ",x" if i == 4000 else ""
        return f"{i},{cust},2026-01-{1 + i % 28:02d} 10:00:00,{i % 50}.25,EUR,{status}{extra}\n"
    path = tmp_path / "big.csv"
    path.write_text("order_id,customer_id,created_at,amount,currency,status\n" + rows(6000, line))
    ref = whole(path, Settings(), monkeypatch)
    got = batched(path, Settings())
    assert got is not None  # this file streams
    same(got, ref)
    assert ref[1].drops == {"status failed": 429, "status cancelled": 429, "malformed line": 1}
    assert ref[1].notes == ["5 rows with a placeholder for the customer ((blank), N/A, none, "
                            "null, -, 0, guest, unknown): unattributed"]


def test_batches_deciding_otherwise_read_whole(tmp_path, monkeypatch):
    # dd/mm shows itself only in the last rows: the early batches alone would read mm/dd
    def line(i):
        d = "25/12/2025" if i > 5500 else "03/04/2025"
        return f"{i},C{i % 50},{d},1234.5,EUR\n"
    path = tmp_path / "dates.csv"
    path.write_text("order_id,customer_id,date,amount,currency\n" + rows(6000, line))
    assert batched(path, Settings()) is None
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    monkeypatch.setattr(streamed, "STREAM_OVER", 0)
    got = folder.parse_file(path, Settings())
    same(got, whole(path, Settings(), monkeypatch))
    assert {d.isoformat() for d in got[0].column("date").to_pylist()} == {"2025-04-03",
                                                                         "2025-12-25"}


def test_decimal_comma_decided_by_batches(tmp_path, monkeypatch):
    def line(i):
        amount = "1.234,50" if i % 3 == 0 else "12,5"
        return f"{i};K{i % 40};2026-02-{1 + i % 28:02d};{amount};EUR\n"
    path = tmp_path / "de.csv"
    path.write_text("Bestellnummer;Kundennummer;Datum;Betrag;Währung\n" + rows(6000, line))
    got = batched(path, Settings())
    assert got is not None
    same(got, whole(path, Settings(), monkeypatch))
    assert sum(got[0].column("amount").to_pylist()) == pytest.approx(2000 * 1234.5 + 4000 * 12.5)


def test_every_row_left_out_read_whole(tmp_path, monkeypatch):
    path = tmp_path / "none.csv"
    path.write_text("order_id,customer_id,date,amount,status\n"
                    + rows(6000, lambda i: f"{i},C{i},2026-01-05,10.00,pending\n"))
    assert batched(path, Settings()) is None
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    monkeypatch.setattr(streamed, "STREAM_OVER", 0)
    got = folder.parse_file(path, Settings())
    assert got[1].notes[0].startswith("every row was left out")


def test_parquet_batched_as_whole(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 20000
    t = pa.table({"order_id": pa.array(range(n)),
                  "customer_id": [f"C{i % 311}" if i % 997 else None for i in range(n)],
                  "created_at": pa.array([1_767_225_600 + 3600 * i for i in range(n)],
                                         pa.timestamp("s")),
                  "amount": [((i % 40) - 3) * 1.25 for i in range(n)],
                  "status": ["paid" if i % 13 else "failed" for i in range(n)]})
    path = tmp_path / "big.parquet"
    pq.write_table(t, path, row_group_size=1500)
    ref = whole(path, Settings(), monkeypatch)
    got = batched(path, Settings())
    assert got is not None and got[0].column("customer").num_chunks > 5
    same(got, ref)
    assert ref[1].drops == {"status failed": 1539}


def _body(n, tail=""):
    return "".join(f"{i},C{i % 70},2026-03-{1 + i % 28:02d},{i % 90}.50,paid{tail}\n"
                   for i in range(n))


@pytest.mark.parametrize("case", ["cp1252 late", "quoted newline late", "title line",
                                  "ragged rows", "semicolons"])
def test_odd_files_as_whole(case, tmp_path, monkeypatch):
    head = "order_id,customer_id,date,amount,status\n"
    data = (head + _body(6000)).encode()
    if case == "cp1252 late":
        data += "9999,Zoë,2026-03-02,1.00,paid\n".encode("cp1252")
    elif case == "quoted newline late":
        data += b'9999,"multi\nline",2026-03-02,1.00,paid\n' + _body(300).encode()
    elif case == "title line":
        data = b"Orders export\n" + data
    elif case == "ragged rows":
        data = (head + _body(3000) + _body(50, ",extra") + _body(3000)).encode()
    else:
        data = data.replace(b",", b";").replace(b".50", b",50")
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    ref = whole(path, Settings(), monkeypatch)
    monkeypatch.setattr(streamed, "STREAM_OVER", 0)
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    got = folder.parse_file(path, Settings())
    same(got, ref)
    assert got[1].rows_kept == ref[0].num_rows > 6000 - 1


def test_progress_by_batches_of_the_file(tmp_path):
    # the monitor's progress bar moves while one big file is read (by its share read)
    line = lambda i: f"{i},C{i % 97:04d},2026-01-{1 + i % 28:02d} 10:00:00,{i % 50}.25,EUR,paid\n"  # noqa: E731
    path = tmp_path / "big.csv"
    path.write_text("order_id,customer_id,created_at,amount,currency,status\n" + rows(6000, line))
    size, told = path.stat().st_size, []
    with streamed.reporting(told.append):
        got = streamed.parse_streamed(path, Settings(), block=BLOCK)
    assert got is not None and got[0].num_rows == 6000
    assert size == 273_745 and len(told) == 34  # ceil(273,745 / 8,192) batches
    assert told == pytest.approx([min(1.0, k * BLOCK / size) for k in range(1, 35)], abs=1e-12)


def test_refresh_progress_moves_within_a_big_file(tmp_path, monkeypatch):
    from kpi_tui.watch.state import FolderState
    line = lambda i: f"{i},C{i % 97:04d},2026-01-{1 + i % 28:02d} 10:00:00,{i % 50}.25,EUR,paid\n"  # noqa: E731
    (tmp_path / "a.csv").write_text("order_id,customer_id,created_at,amount\n1,c1,2026-01-01,10.00\n")
    (tmp_path / "b.csv").write_text("order_id,customer_id,created_at,amount,currency,status\n"
                                    + rows(6000, line))
    monkeypatch.setattr(streamed, "STREAM_OVER", 64 << 10)
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    seen = []
    FolderState(tmp_path, Settings(cache=False)).refresh(
        progress=lambda done, total, path: seen.append((round(done, 4), total, path.name)))
    assert seen[:3] == [(0, 2, "a.csv"), (1, 2, "b.csv"), (round(1 + BLOCK / 273_745, 4), 2, "b.csv")]
    assert len(seen) == 2 + 34 and seen[-1] == (2.0, 2, "b.csv")


def as_json_lines(src: Path, dst: Path, times: int, extra=lambda i: {}) -> Path:
    """A CSV fixture as JSON Lines (every cell a string, one object a line), `times` over."""
    import csv
    import json

    text = src.read_text(encoding="utf-8-sig")
    delim = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    recs = list(csv.DictReader(text.splitlines(), delimiter=delim))
    lines = [json.dumps({**{k: v for k, v in r.items() if k}, **extra(i)}, ensure_ascii=False)
             for i, r in enumerate(recs * times)]
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


@pytest.mark.parametrize("src", sorted((FIXTURES / "golden").glob("*.csv"))
                         + [FIXTURES / "layouts" / "generic-de.csv",
                            FIXTURES / "layouts" / "woocommerce-rest.csv"], ids=lambda p: p.name)
@pytest.mark.parametrize("ext", [".jsonl", ".json"])
def test_json_lines_batched_as_whole(src, ext, tmp_path, monkeypatch):
    path = as_json_lines(src, tmp_path / (src.stem + ext), max(2, (200 << 10) // src.stat().st_size))
    ref = whole(path, Settings(), monkeypatch)
    got = batched(path, Settings())
    if ref[1].layout in streamed.ROW_BY_ROW:  # one object a line, the same keys: streams
        assert got is not None
    if got is not None:
        same(got, ref)
    monkeypatch.setattr(streamed, "STREAM_OVER", 0)
    monkeypatch.setattr(streamed, "BLOCK", BLOCK)
    same(folder.parse_file(path, Settings()), ref)


def test_json_lines_counts_bad_lines_and_nested(tmp_path, monkeypatch):
    def line(i):
        if i % 1000 == 999:
            return "{not json\n"
        if i % 1500 == 0:
            return "[1, 2]\n"  # not an object: a malformed line
        rec = {"order_id": i, "customer": {"id": f"C{i % 97:04d}"}, "created_at":
               f"2026-01-{1 + i % 28:02d}T10:00:00Z", "total": f"{i % 50}.25", "currency": "EUR"}
        import json
        return json.dumps(rec) + "\n"
    path = tmp_path / "big.jsonl"
    path.write_text("\ufeff" + rows(6000, line), encoding="utf-8")
    ref = whole(path, Settings(), monkeypatch)
    got = batched(path, Settings())
    assert got is not None
    same(got, ref)
    assert ref[1].drops == {"malformed line": 10}
    assert ref[1].rows_read == 6000
    assert ref[0].num_rows == 5990


@pytest.mark.parametrize("text", [
    '{"orders": [\n{"order_id": 1}\n]}\n',  # one document over several lines
    '[{"order_id": 1},\n{"order_id": 2}]\n',
])
def test_json_documents_are_read_whole(text, tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(text * 1)
    assert streamed.parse_streamed(path, Settings(), block=BLOCK) is None


def test_json_lines_with_new_keys_later_read_whole(tmp_path, monkeypatch):
    import json
    recs = [{"order_id": i, "customer_id": f"C{i % 50}", "date": "2026-01-05",
             "amount": "10.00", **({"note": "x"} if i > 4000 else {})} for i in range(5000)]
    path = tmp_path / "late.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert streamed.parse_streamed(path, Settings(), block=BLOCK) is None  # columns differ
    ref = whole(path, Settings(), monkeypatch)
    assert ref[1].rows_read == 5000


def test_big_file_read_ahead_a_few_blocks_only(tmp_path, monkeypatch):
    """pyarrow's reader would read 32 blocks ahead (256 MB of text at 8 MB blocks): the file's
    reads wait for the batches to be used, never for the safety valve."""
    from kpi_tui.ingest.readers import paced

    path = inflate(FIXTURES / "golden" / "orders-2026-02.csv", tmp_path / "big.csv", 1000)
    made, ahead = [], []
    real = paced.Paced

    class Watched(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

        def read(self, n=-1):
            ahead.append(self._reads - self._used)
            return super().read(n)

    monkeypatch.setattr(paced, "WAIT", 30.0)
    monkeypatch.setattr("kpi_tui.ingest.readers.delimited.Paced", Watched)
    got = batched(path, Settings())
    assert got is not None and len(made) == 1
    assert made[0].waited_out == 0 and made[0].closed
    assert len(ahead) > 20 and max(ahead) <= 4
    same(got, whole(path, Settings(), monkeypatch))


def test_batches_no_longer_wanted_never_stall(tmp_path, monkeypatch):
    """A layout with rules over several rows stops the batched read after its first batch: the
    paced reads are let go at once (not after the safety valve's wait), then read whole."""
    import time

    from kpi_tui.ingest.readers import paced

    path = inflate(FIXTURES / "layouts" / "shopify-orders.csv", tmp_path / "shop.csv", 400)
    made = []
    real = paced.Paced

    class Watched(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(paced, "WAIT", 30.0)
    monkeypatch.setattr("kpi_tui.ingest.readers.delimited.Paced", Watched)
    t = time.monotonic()
    assert batched(path, Settings()) is None
    assert time.monotonic() - t < 10
    assert len(made) == 1 and made[0].waited_out == 0 and made[0].closed
