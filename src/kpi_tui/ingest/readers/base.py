"""What every reader shares: the raw table, the memory budget, building string columns."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from kpi_tui import arrow
from kpi_tui.ingest.schema import UnusableFile

# Memory budget (docs/reliability.md): archives may unpack to MAX_UNCOMPRESSED in all; readers
# that hold a whole document in memory refuse inputs that would take more than about 2 GB:
MAX_UNCOMPRESSED = 2 * 1024**3
MAX_EXCEL_XML = 256 * 1024**2  # an xlsx/ods's unpacked XML (calamine needs ~5x this in memory)
MAX_JSON = 128 * 1024**2  # a JSON document (Python objects take ~15x its size)
SAMPLE = 64 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAGIC = (b"PK", OLE_MAGIC, b"\x1f\x8b", b"PAR1", b"ARROW1", b"FEA1", b"\xff\xff\xff\xff")


@dataclass
class RawTable:
    name: str  # file name, or "archive.zip:inner.csv", or "book.xlsx:Sheet1"
    table: pa.Table  # every column pa.string() (null for empty cells), header names stripped
    bad_rows: int = 0  # malformed rows skipped (wrong number of fields, undecodable JSON line)
    notes: list[str] = field(default_factory=list)  # e.g. archive members that could not be read


class TooLarge(UnusableFile):
    """More uncompressed bytes than allowed: the whole archive is refused, not one member."""


class _Budget:
    """Uncompressed bytes an archive may still produce (shared by nested members)."""

    def __init__(self, cap: int, name: str):
        self.left, self.cap, self.name = cap, cap, name

    def read_all(self, stream) -> bytearray:
        buf = bytearray()
        while chunk := stream.read(1 << 20):
            buf += chunk
            if len(buf) > self.left:
                raise TooLarge(
                    f"{self.name} is larger than {_size(self.cap)} when uncompressed "
                    "(possible zip bomb)."
                )
        self.left -= len(buf)
        return buf


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return str(n)


def _open(path: Path | None, data) -> io.BufferedIOBase:
    return open(path, "rb") if path is not None else io.BytesIO(data)


def _read_bytes(path: Path | None, data):
    if path is None:
        return data
    with open(path, "rb") as fh:
        return fh.read()


def _finish(header: list, columns: list) -> pa.Table:
    """Name columns (stripped, unique; 'column_N' when blank); drop blank-named empty columns."""
    names, cols, seen = [], [], Counter()
    for i, (raw, col) in enumerate(zip(header, columns)):
        label = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        if not label and col.null_count == len(col):
            continue
        label = label or f"column_{i + 1}"
        seen[label] += 1
        if seen[label] > 1:
            label = f"{label}.{seen[label] - 1}"
        names.append(label)
        cols.append(col)
    return pa.table(cols, names=names) if cols else pa.table({})


def _columns_from_rows(rows: list[list]) -> tuple[list, list[pa.Array]]:
    width = max((len(r) for r in rows), default=0)
    header = list(rows[0]) + [None] * (width - len(rows[0]))
    body = rows[1:]
    cols = [arrow.strings([r[i] if i < len(r) else None for r in body]) for i in range(width)]
    return header, cols


def _num(v: float) -> str:
    """12.5 -> '12.5', 100.0 -> '100', 0.1+0.2 -> '0.3', 1e-7 -> '0.0000001'."""
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    s = f"{v:.15g}"
    if "e" in s:
        s = format(Decimal(s), "f")
    return s


def _cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _json_cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, str):
        return v if v != "" else None
    return _cell(v)
