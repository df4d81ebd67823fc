"""kpi_tui.ingest.readers: every format, encoding and kind of bad file (exact figures)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pytest

from kpi_tui.ingest.readers import RawTable, read_raw
from kpi_tui.ingest.schema import UnusableFile


def rows(raw: RawTable) -> list[dict]:
    return raw.table.to_pylist()


def only(path: Path, **kw) -> RawTable:
    tables = read_raw(path, **kw)
    assert len(tables) == 1
    assert all(t == pa.string() for t in tables[0].table.schema.types)
    return tables[0]


# ---------------------------------------------------------------- a minimal xlsx writer
# (openpyxl is not a dependency; this writes just enough OOXML for calamine.)

_EPOCH = dt.datetime(1899, 12, 30)


def _cell_xml(ref: str, v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        if not isinstance(v, dt.datetime):
            v = dt.datetime(v.year, v.month, v.day)
        serial = (v - _EPOCH).total_seconds() / 86400
        style = 1 if v.time() == dt.time(0) else 2
        return f'<c r="{ref}" s="{style}"><v>{serial!r}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'


def make_xlsx(sheets: dict[str, list[list]]) -> bytes:
    def col(i: int) -> str:
        return chr(ord("A") + i)

    sheet_xml = {}
    for n, (name, data) in enumerate(sheets.items(), 1):
        body = "".join(
            f'<row r="{r}">' + "".join(_cell_xml(f"{col(c)}{r}", v) for c, v in enumerate(vals)) + "</row>"
            for r, vals in enumerate(data, 1)
        )
        sheet_xml[n] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{body}</sheetData></worksheet>"
        )
    ns = "http://schemas.openxmlformats.org"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in sheet_xml
            )
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            + "".join(
                f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(sheets, 1)
            )
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{ns}/officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in sheet_xml
            )
            + f'<Relationship Id="rId999" Type="{ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
            '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        for n, xml in sheet_xml.items():
            z.writestr(f"xl/worksheets/sheet{n}.xml", xml)
    return buf.getvalue()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


ORDERS = [
    {"order_id": "A1", "customer": "Müller", "amount": "12.50"},
    {"order_id": "A2", "customer": "Zoë", "amount": "-3"},
]
ORDERS_TEXT = "order_id,customer,amount\nA1,Müller,12.50\nA2,Zoë,-3\n"


# ---------------------------------------------------------------- delimited text


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters(tmp_path, delim):
    text = ORDERS_TEXT.replace(",", delim)
    raw = only(write(tmp_path, "orders.csv", text))
    assert raw.name == "orders.csv"
    assert rows(raw) == ORDERS
    assert raw.bad_rows == 0


def test_semicolon_with_decimal_commas_and_quotes(tmp_path):
    text = 'Kunde;Betrag;Notiz\nK1;1.234,56;"a; b"\nK2;12,50;"He said ""hi"""\n'
    raw = only(write(tmp_path, "de.csv", text))
    assert rows(raw) == [
        {"Kunde": "K1", "Betrag": "1.234,56", "Notiz": "a; b"},
        {"Kunde": "K2", "Betrag": "12,50", "Notiz": 'He said "hi"'},
    ]


def test_quoted_newline_in_value(tmp_path):
    text = 'id,note,amount\n1,"line one\nline two",5\n2,plain,6\n'
    raw = only(write(tmp_path, "multi.csv", text))
    assert rows(raw) == [
        {"id": "1", "note": "line one\nline two", "amount": "5"},
        {"id": "2", "note": "plain", "amount": "6"},
    ]


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
     ("utf-16-le", b"")],
)
def test_unicode_encodings(tmp_path, encoding, prefix):
    raw = only(write(tmp_path, "orders.csv", prefix + ORDERS_TEXT.encode(encoding)))
    assert rows(raw) == ORDERS
    assert raw.table.column_names == ["order_id", "customer", "amount"]


def test_excel_unicode_text_is_utf16_tab_separated_txt(tmp_path):
    data = b"\xff\xfe" + ORDERS_TEXT.replace(",", "\t").replace("\n", "\r\n").encode("utf-16-le")
    raw = only(write(tmp_path, "export.txt", data))
    assert rows(raw) == ORDERS


def test_windows_1252(tmp_path):
    text = "Client;Montant;Libellé\nMüller;12,50 €;crème brûlée\nÉlodie;3;naïve café\n"
    raw = only(write(tmp_path, "fr.csv", text.encode("cp1252")))
    assert rows(raw) == [
        {"Client": "Müller", "Montant": "12,50 €", "Libellé": "crème brûlée"},
        {"Client": "Élodie", "Montant": "3", "Libellé": "naïve café"},
    ]


def test_latin1_after_a_long_ascii_start(tmp_path):
    # The non-UTF-8 byte comes after the sample: pyarrow's UTF-8 check catches it, then cp1252.
    body = "".join(f"C{i},{i}.00\n" for i in range(20_000))
    raw = only(write(tmp_path, "late.csv", ("customer,amount\n" + body + "Gärtner,1.00\n").encode("latin-1")))
    assert raw.table.num_rows == 20_001
    assert rows(raw)[-1] == {"customer": "Gärtner", "amount": "1.00"}


def test_header_names_stripped_blank_named_and_deduplicated(tmp_path):
    text = "\ufeff Customer ,Amount,Amount,,\nc1,1,2,x,\n"
    raw = only(write(tmp_path, "h.csv", text))
    assert raw.table.column_names == ["Customer", "Amount", "Amount.1", "column_4"]
    assert rows(raw) == [{"Customer": "c1", "Amount": "1", "Amount.1": "2", "column_4": "x"}]


def test_empty_cells_are_null_and_leading_zeros_kept(tmp_path):
    raw = only(write(tmp_path, "z.csv", 'id,zip,note\n007,01234,""\n008,,x\n'))
    assert rows(raw) == [
        {"id": "007", "zip": "01234", "note": None},
        {"id": "008", "zip": None, "note": "x"},
    ]


def test_title_lines_above_header_are_skipped(tmp_path):
    text = "Sales report\n\nid;amount\n1;2\n3;4\n"
    raw = only(write(tmp_path, "titled.csv", text))
    assert rows(raw) == [{"id": "1", "amount": "2"}, {"id": "3", "amount": "4"}]


def test_unknown_extension_sniffed_as_csv(tmp_path):
    raw = only(write(tmp_path, "orders.export", ORDERS_TEXT.replace(",", "|")))
    assert rows(raw) == ORDERS


def test_big_csv_spans_several_blocks(tmp_path):
    n = 300_000  # > one 8 MB pyarrow block
    body = "".join(f"ORD-{i},C{i % 977},2024-01-{i % 28 + 1:02d},{i % 1000}.25\n" for i in range(n))
    raw = only(write(tmp_path, "big.csv", "order_id,customer_id,created_at,amount\n" + body))
    assert raw.table.num_rows == n
    assert raw.table.slice(n - 1).to_pylist() == [
        {"order_id": f"ORD-{n - 1}", "customer_id": f"C{(n - 1) % 977}", "created_at": "2024-01-08", "amount": "999.25"}
    ]


# ---------------------------------------------------------------- bad text files


def test_header_only_gives_zero_rows(tmp_path):
    raw = only(write(tmp_path, "h.csv", "order_id;customer;amount\n"))
    assert raw.table.num_rows == 0
    assert raw.table.column_names == ["order_id", "customer", "amount"]
    assert raw.bad_rows == 0


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, data):
    with pytest.raises(UnusableFile, match=r"^e\.csv is empty\.$"):
        read_raw(write(tmp_path, "e.csv", data))


def test_random_bytes_named_csv(tmp_path):
    data = bytes((i * 7919 + 13) % 256 for i in range(5000))
    with pytest.raises(UnusableFile, match=r"^noise\.csv is not a text table \(it holds binary data\)\.$"):
        read_raw(write(tmp_path, "noise.csv", data))


def test_truncated_last_line_keeps_other_rows(tmp_path):
    raw = only(write(tmp_path, "cut.csv", "id,customer,amount\n1,a,10\n2,b,20\n3,c"))
    assert rows(raw) == [
        {"id": "1", "customer": "a", "amount": "10"},
        {"id": "2", "customer": "b", "amount": "20"},
    ]
    assert raw.bad_rows == 1


def test_some_bad_rows_dropped_and_counted(tmp_path):
    text = "id,customer,amount\n1,a,10\n2,b\n3,c,30\n4,d,40,extra,more\n5,e,50\n"
    raw = only(write(tmp_path, "bad.csv", text))
    assert [r["id"] for r in rows(raw)] == ["1", "3", "5"]
    assert raw.bad_rows == 2


def test_no_row_matches_the_header(tmp_path):
    with pytest.raises(UnusableFile, match="none of its rows has as many fields as its header"):
        read_raw(write(tmp_path, "x.csv", "a,b,c\n1,2\n3,4\n"))


def test_unknown_extension_with_binary_content(tmp_path):
    with pytest.raises(UnusableFile, match=r"^logo\.png is not a table file that kpi-tui can read"):
        read_raw(write(tmp_path, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)))


def test_file_removed_before_read(tmp_path):
    p = write(tmp_path, "gone.csv", ORDERS_TEXT)
    p.unlink()
    with pytest.raises(UnusableFile, match=r"^gone\.csv was removed before it could be read\.$"):
        read_raw(p)


def test_fifo_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    p = tmp_path / "pipe.csv"
    os.mkfifo(p)
    with pytest.raises(UnusableFile, match=r"^pipe\.csv is not a regular file\.$"):
        read_raw(p)


# ---------------------------------------------------------------- Excel


def test_xlsx_cells_to_strings(tmp_path):
    book = make_xlsx(
        {
            "Orders": [
                ["Order ID", "Amount", "Date", "When", "Qty"],
                ["A1", 12.5, dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 5, 9), 3],
                ["A2", 100.0, dt.date(2024, 12, 31), None, 0.1 + 0.2],
                [None, None, None, None, None],
                ["A3", 1e-7, None, None, 12345678901.0],
            ],
            "Empty": [],
            "Refunds": [["Report"], ["Order ID", "Refunded"], ["A1", 2.5]],
        }
    )
    tables = read_raw(write(tmp_path, "book.xlsx", book))
    assert [t.name for t in tables] == ["book.xlsx:Orders", "book.xlsx:Refunds"]
    assert rows(tables[0]) == [
        {"Order ID": "A1", "Amount": "12.5", "Date": "2024-03-01", "When": "2024-03-01 14:05:09", "Qty": "3"},
        {"Order ID": "A2", "Amount": "100", "Date": "2024-12-31", "When": None, "Qty": "0.3"},
        {"Order ID": "A3", "Amount": "0.0000001", "Date": None, "When": None, "Qty": "12345678901"},
    ]
    assert rows(tables[1]) == [{"Order ID": "A1", "Refunded": "2.5"}]


def test_xlsx_header_only_and_xlsm(tmp_path):
    raw = only(write(tmp_path, "h.xlsm", make_xlsx({"S": [["a", "b"]]})))
    assert raw.name == "h.xlsm:S"
    assert raw.table.num_rows == 0
    assert raw.table.column_names == ["a", "b"]


def test_corrupt_xlsx(tmp_path):
    book = make_xlsx({"S": [["a"], [1]]})
    p = write(tmp_path, "broken.xlsx", book[: len(book) // 2])
    with pytest.raises(UnusableFile, match=r"^broken\.xlsx is not a valid Excel file \(it may be damaged\)\.$"):
        read_raw(p)


def test_xlsx_that_is_random_bytes(tmp_path):
    with pytest.raises(UnusableFile, match=r"^junk\.xlsx is not a valid Excel file"):
        read_raw(write(tmp_path, "junk.xlsx", bytes(range(256)) * 4))


def test_password_protected_xlsx(tmp_path):
    # An encrypted xlsx is an OLE compound file, not a zip.
    p = write(tmp_path, "secret.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + os.urandom(4096))
    with pytest.raises(UnusableFile, match=r"^secret\.xlsx is password-protected or not a valid Excel file\.$"):
        read_raw(p)


def test_fake_ole_xls(tmp_path):
    p = write(tmp_path, "old.xls", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4096))
    with pytest.raises(UnusableFile, match=r"^old\.xls is password-protected or not a valid Excel file\.$"):
        read_raw(p)


def test_xls_that_is_really_tab_separated_text(tmp_path):
    raw = only(write(tmp_path, "report.xls", ORDERS_TEXT.replace(",", "\t")))
    assert rows(raw) == ORDERS


# ---------------------------------------------------------------- Parquet, Arrow, JSON


def _typed_table() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "amount": pa.array([12.5, 100.0]),
            "day": pa.array([dt.date(2024, 1, 5), None], pa.date32()),
            "at": pa.array([dt.datetime(2024, 1, 5, 10, 30), dt.datetime(2024, 2, 1)], pa.timestamp("us")),
            "utc": pa.array([dt.datetime(2024, 1, 5, 10, 30), None], pa.timestamp("ms", tz="UTC")),
            "status": pa.array(["paid", "paid"]).dictionary_encode(),
            "ok": pa.array([True, False]),
            "customer": pa.array([{"id": "c1"}, {"id": None}], pa.struct([("id", pa.string())])),
        }
    )


TYPED_ROWS = [
    {"id": "1", "amount": "12.5", "day": "2024-01-05", "at": "2024-01-05 10:30:00",
     "utc": "2024-01-05 10:30:00+00:00", "status": "paid", "ok": "true", "customer.id": "c1"},
    {"id": "2", "amount": "100", "day": None, "at": "2024-02-01 00:00:00",
     "utc": None, "status": "paid", "ok": "false", "customer.id": None},
]  # fmt: skip


def test_parquet(tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(_typed_table(), tmp_path / "t.parquet")
    assert rows(only(tmp_path / "t.parquet")) == TYPED_ROWS


@pytest.mark.parametrize("name", ["t.feather", "t.arrow"])
def test_feather_and_arrow(tmp_path, name):
    import pyarrow.feather as feather

    feather.write_feather(_typed_table(), tmp_path / name)
    assert rows(only(tmp_path / name)) == TYPED_ROWS


def test_arrow_stream_format(tmp_path):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, _typed_table().schema) as w:
        w.write_table(_typed_table())
    assert rows(only(write(tmp_path, "t.arrows", sink.getvalue().to_pybytes()))) == TYPED_ROWS


def test_corrupt_parquet(tmp_path):
    with pytest.raises(UnusableFile, match=r"^bad\.parquet is not a valid Parquet file"):
        read_raw(write(tmp_path, "bad.parquet", b"PAR1" + bytes(100)))


JSON_ROWS = [
    {"id": "1", "amount": "12.5", "customer.email": "a@x.com", "customer.name": "Zoë", "tags": '["a", "b"]', "paid": "true"},
    {"id": "2", "amount": "100", "customer.email": None, "customer.name": None, "tags": None, "paid": None},
]  # fmt: skip
JSON_RECORDS = [
    {"id": 1, "amount": 12.5, "customer": {"email": "a@x.com", "name": "Zoë"}, "tags": ["a", "b"], "paid": True},
    {"id": 2, "amount": 100.0, "customer": None},
]


def test_json_list(tmp_path):
    import json

    assert rows(only(write(tmp_path, "o.json", json.dumps(JSON_RECORDS)))) == JSON_ROWS


def test_json_object_holding_a_list(tmp_path):
    import json

    doc = {"meta": {"page": 1}, "data": JSON_RECORDS}
    assert rows(only(write(tmp_path, "o.json", json.dumps(doc)))) == JSON_ROWS


@pytest.mark.parametrize("name", ["o.jsonl", "o.ndjson", "o.json"])
def test_json_lines_with_a_bad_line(tmp_path, name):
    import json

    text = json.dumps(JSON_RECORDS[0]) + "\n{not json\n\n" + json.dumps(JSON_RECORDS[1]) + "\n"
    raw = only(write(tmp_path, name, text))
    assert rows(raw) == JSON_ROWS
    assert raw.bad_rows == 1


def test_json_without_records(tmp_path):
    with pytest.raises(UnusableFile, match=r"^o\.json is JSON but does not hold a list of records\.$"):
        read_raw(write(tmp_path, "o.json", '{"total": 3}'))


# ---------------------------------------------------------------- gz and zip


def test_gz(tmp_path):
    p = write(tmp_path, "orders.csv.gz", gzip.compress(ORDERS_TEXT.replace(",", ";").encode("utf-8")))
    raw = only(p)
    assert raw.name == "orders.csv.gz"
    assert rows(raw) == ORDERS


def test_damaged_gz(tmp_path):
    data = gzip.compress(ORDERS_TEXT.encode() * 50)
    with pytest.raises(UnusableFile, match=r"^orders\.csv\.gz is a damaged gzip file"):
        read_raw(write(tmp_path, "orders.csv.gz", data[: len(data) // 2]))


def test_gz_bomb(tmp_path):
    p = write(tmp_path, "big.csv.gz", gzip.compress(b"a,b\n" + b"1,2\n" * 300_000))
    with pytest.raises(UnusableFile, match=r"^big\.csv\.gz is larger than 1 MB when uncompressed \(possible zip bomb\)\.$"):
        read_raw(p, max_uncompressed=1024**2)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_with_two_csvs_and_junk(tmp_path):
    data = _zip(
        {
            "feb/orders.csv": ORDERS_TEXT.encode(),
            "__MACOSX/feb/._orders.csv": b"\x00\x05\x16\x07junk",
            "mar.tsv": b"id\tamount\n9\t1.5\n",
            ".hidden.csv": b"x\n1\n",
            "notes/": b"",
        }
    )
    tables = read_raw(write(tmp_path, "exports.zip", data))
    assert [t.name for t in tables] == ["exports.zip:feb/orders.csv", "exports.zip:mar.tsv"]
    assert rows(tables[0]) == ORDERS
    assert rows(tables[1]) == [{"id": "9", "amount": "1.5"}]
    assert tables[0].notes == []


def test_zip_with_xlsx_gz_and_a_bad_member(tmp_path):
    data = _zip(
        {
            "book.xlsx": make_xlsx({"S": [["a", "b"], ["x", 2]]}),
            "o.csv.gz": gzip.compress(ORDERS_TEXT.encode()),
            "broken.csv": b"",
        }
    )
    tables = read_raw(write(tmp_path, "all.zip", data))
    assert [t.name for t in tables] == ["all.zip:book.xlsx:S", "all.zip:o.csv.gz"]
    assert rows(tables[0]) == [{"a": "x", "b": "2"}]
    assert rows(tables[1]) == ORDERS
    assert tables[0].notes == ["all.zip:broken.csv is empty."]


def test_zip_bomb(tmp_path):
    # 50 MB of zeros compress to ~50 KB; the cap is 1 MB.
    data = _zip({"bomb.csv": b"a,b\n" + bytes(50 * 1024**2)})
    assert len(data) < 200_000
    with pytest.raises(UnusableFile, match=r"^bomb\.zip is larger than 1 MB when uncompressed \(possible zip bomb\)\.$"):
        read_raw(write(tmp_path, "bomb.zip", data), max_uncompressed=1024**2)


def test_zip_bomb_spread_over_members(tmp_path):
    data = _zip({f"part{i}.csv": b"a,b\n" + b"1,2\n" * 100_000 for i in range(5)})  # 5 x 400 KB
    with pytest.raises(UnusableFile, match="possible zip bomb"):
        read_raw(write(tmp_path, "parts.zip", data), max_uncompressed=1024**2)


def test_zip_header_lying_about_size(tmp_path):
    data = bytearray(_zip({"a.csv": b"a,b\n" + b"1,2\n" * 500_000}))
    # Patch the central directory's uncompressed size to 10 bytes: zipfile must not trust it blindly.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    lh = data.find(b"PK\x03\x04")
    data[lh + 22 : lh + 26] = (10).to_bytes(4, "little")
    with pytest.raises(UnusableFile):
        read_raw(write(tmp_path, "liar.zip", bytes(data)), max_uncompressed=1024**2)


def test_xlsx_bomb(tmp_path):
    book = make_xlsx({"S": [["a", "b"]] + [["x" * 50, i] for i in range(20_000)]})
    with pytest.raises(UnusableFile, match=r"^b\.xlsx is larger than 1 MB when uncompressed"):
        read_raw(write(tmp_path, "b.xlsx", book), max_uncompressed=1024**2)


def test_zip_with_nothing_readable(tmp_path):
    with pytest.raises(UnusableFile, match=r"^z\.zip holds no file that kpi-tui can read\.$"):
        read_raw(write(tmp_path, "z.zip", _zip({"__MACOSX/x": b"1"})))


def test_not_a_zip(tmp_path):
    with pytest.raises(UnusableFile, match=r"^z\.zip is not a valid zip archive\.$"):
        read_raw(write(tmp_path, "z.zip", b"PK\x03\x04" + bytes(64)))


def test_file_removed_while_being_read(tmp_path, monkeypatch):
    """Read only through the descriptor opened first: a removal after it changes nothing."""
    from kpi_tui.ingest.readers import sniff

    p = write(tmp_path, "going.csv", ORDERS_TEXT)
    whole = read_raw(p)[0].table
    real_kind = sniff._kind

    def kind_then_remove(fname, head):
        p.unlink()  # gone after its first bytes were read
        return real_kind(fname, head)

    monkeypatch.setattr(sniff, "_kind", kind_then_remove)
    assert read_raw(p)[0].table.equals(whole)
    with pytest.raises(UnusableFile, match=r"^going\.csv was removed before it could be read\.$"):
        read_raw(p)


def test_xls_that_is_a_web_page(tmp_path):
    p = write(tmp_path, "report.xls", "<html><body><table><tr><td>a</td></tr></table></body></html>")
    with pytest.raises(UnusableFile, match=r"^report\.xls is a web page or XML document, not a table"):
        read_raw(p)


def test_zip_header_lying_about_size_message(tmp_path):
    data = bytearray(_zip({"a.csv": b"a,b\n" + b"1,2\n" * 1000}))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    lh = data.find(b"PK\x03\x04")
    data[lh + 22 : lh + 26] = (10).to_bytes(4, "little")
    with pytest.raises(UnusableFile, match=r"^liar\.zip:a\.csv could not be unpacked \(Bad CRC-32 for file 'a\.csv'\)\.$"):
        read_raw(write(tmp_path, "liar.zip", bytes(data)))


def test_quoted_newlines_after_the_sample_across_blocks(tmp_path, monkeypatch):
    from kpi_tui.ingest.readers import delimited

    monkeypatch.setattr(delimited, "BLOCK", 4096)  # many block boundaries
    plain = "".join(f"{i},plain,{i}.5\n" for i in range(5000))  # > 64 KB sample, no quotes
    quoted = "".join(f'{i},"two\nlines",{i}.5\n' for i in range(5000, 6000))
    raw = only(write(tmp_path, "late-quotes.csv", "id,note,amount\n" + plain + quoted))
    assert raw.table.num_rows == 6000
    assert raw.bad_rows == 0
    assert rows(raw)[-1] == {"id": "5999", "note": "two\nlines", "amount": "5999.5"}
    assert raw.table.column("note").to_pylist().count("two\nlines") == 1000


def test_cp1252_undefined_byte_far_after_the_first_accent(tmp_path):
    filler = b"x,1\n" * 30_000
    data = b"a,b\n" + filler + b"caf\xe9,2\n" + filler + b"\x81,3\n"
    raw = only(write(tmp_path, "mixed.csv", data))
    assert raw.table.num_rows == 60_002
    assert rows(raw)[30_000] == {"a": "café", "b": "2"}
    assert rows(raw)[-1] == {"a": "\x81", "b": "3"}
