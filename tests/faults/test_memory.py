"""Issue 13, item 8: inputs that would need more memory than the budget are refused before
they are read (each run under an address-space limit)."""

import time
import zipfile

from faultkit import folder, limited

LIMIT_MB = 1024  # kpi-tui itself (Python, pyarrow, pandas) runs in far less


def test_xlsx_whose_sheet_xml_is_300_mb(tmp_path):
    d = folder(tmp_path, {})
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(d / "huge.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='S' r:id='rId1'/></sheets></workbook>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(b"<worksheet><sheetData>")
            chunk = row * 20_000
            for _ in range(300 * 1024 * 1024 // len(chunk)):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    assert (d / "huge.xlsx").stat().st_size < 2 << 20
    start = time.monotonic()
    code, out, err = limited(["check", d, "--no-cache"], LIMIT_MB)
    assert time.monotonic() - start < 60
    assert code == 0, err
    assert ("✗ huge.xlsx\n    huge.xlsx is larger than 256 MB when uncompressed, too large for "
            "an Excel file; save it as .csv to use it.\n") in out


def test_json_array_above_the_cap(tmp_path):
    d = folder(tmp_path, {})
    rec = b'{"customer":"c","date":"2026-01-09","amount":1},'
    with open(d / "big.json", "wb") as f:
        f.write(b"[")
        f.write(rec * (130 * 1024 * 1024 // len(rec)))
        f.write(b'{"customer":"c","date":"2026-01-09","amount":1}]')
    code, out, err = limited(["check", d, "--no-cache"], LIMIT_MB)
    assert code == 0, err
    assert ("✗ big.json\n    big.json is 130 MB of JSON, more than kpi-tui reads at once "
            "(128 MB); export it as CSV to use it.\n") in out


def test_large_csv_without_an_amount_column_is_judged_from_its_header(tmp_path):
    d = folder(tmp_path, {})
    line = b"c123456,2026-01-09,some text that is long enough to fill the file quickly\n"
    with open(d / "noamount.csv", "wb") as f:
        f.write(b"customer,date,comment\n")
        chunk = line * 100_000
        for _ in range(1024 * 1024 * 1024 // len(chunk)):  # 1 GB
            f.write(chunk)
    start = time.monotonic()
    code, out, err = limited(["check", d, "--no-cache"], LIMIT_MB)
    assert time.monotonic() - start < 30
    assert code == 0, err
    assert "✗ noamount.csv\n    noamount.csv: no amount column found" in out
