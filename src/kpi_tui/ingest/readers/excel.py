"""Excel and OpenDocument workbooks (python-calamine), every sheet with data a table."""

from __future__ import annotations

import io
import os
from pathlib import Path

from kpi_tui import safe
from kpi_tui.ingest.readers.archives import _check_zip_size
from kpi_tui.ingest.readers.base import (MAX_EXCEL_XML, OLE_MAGIC, RawTable, _Budget,
                                         _columns_from_rows, _cell, _finish, _read_bytes)
from kpi_tui.ingest.schema import UnusableFile


def _read_excel(name: str, fname: str, path: Path | None, data, head: bytes, budget: _Budget) -> list[RawTable]:
    import python_calamine as cal

    ext = os.path.splitext(fname.lower())[1]
    if head.startswith(OLE_MAGIC) and ext in (".xlsx", ".xlsm", ".xlsb"):
        # An encrypted xlsx is an OLE container, not a zip.
        raise UnusableFile(f"{name} is password-protected or not a valid Excel file.")
    if head.startswith(b"PK"):
        excel = _Budget(min(budget.left, MAX_EXCEL_XML), name)
        _check_zip_size(name, path, data, excel, "an Excel file")
        budget.left -= excel.cap - excel.left
    try:
        src = io.BytesIO(_read_bytes(path, data))
        book = cal.CalamineWorkbook.from_filelike(src)
        sheets = [(s, book.get_sheet_by_name(s).to_python(skip_empty_area=True)) for s in book.sheet_names]
    except cal.PasswordError:
        raise UnusableFile(f"{name} is password-protected; save it without a password to use it.") from None
    except Exception:  # calamine raises many kinds of errors on damaged files
        if head.startswith(OLE_MAGIC):
            raise UnusableFile(f"{name} is password-protected or not a valid Excel file.") from None
        raise UnusableFile(f"{name} is not a valid Excel file (it may be damaged).") from None
    out = []
    for sheet, rows in sheets:
        rows = [[_cell(v) for v in r] for r in rows]
        rows = [r for r in rows if any(v is not None for v in r)]
        if not rows:
            continue
        # Skip title lines (a single filled cell) above a wider header.
        width = max(sum(v is not None for v in r) for r in rows)
        while len(rows) > 1 and width > 1 and sum(v is not None for v in rows[0]) <= 1:
            rows.pop(0)
        header, cols = _columns_from_rows(rows)
        out.append(RawTable(f"{name}:{safe.text(sheet)}", _finish(header, cols)))
    if not out:
        raise UnusableFile(f"{name} has no data in any sheet.")
    return out
