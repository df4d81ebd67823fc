"""Turn one export file into raw tables of strings (CSV/TSV/TXT, Excel, Parquet, Arrow, JSON,
inside .gz or .zip too). Nothing is typed here: every column is pa.string(), null for empty cells.

Modules by concern: `source` (opening safely), `sniff` (what a file holds, its encoding),
`dispatch` (the {kind: reader} table), one module a format (`delimited`, `excel`, `columnar`,
`jsonfile`), `archives` (zip, gzip) and `base` (the raw table, the memory budget).
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

import pyarrow as pa

from kpi_tui import safe
from kpi_tui.ingest.readers import delimited, sniff
from kpi_tui.ingest.readers.base import (MAX_EXCEL_XML, MAX_JSON, MAX_UNCOMPRESSED, SAMPLE,
                                         RawTable, TooLarge, _Budget)
from kpi_tui.ingest.readers.dispatch import READERS, read_content
from kpi_tui.ingest.readers.source import _fd_path, _nul_padding, open_regular
from kpi_tui.ingest.schema import UnusableFile

__all__ = ["MAX_EXCEL_XML", "MAX_JSON", "MAX_UNCOMPRESSED", "READERS", "RawTable", "TooLarge",
           "open_regular", "read_head", "read_raw"]


def read_head(path: Path) -> RawTable | None:
    """The header and first rows (SAMPLE bytes) of a plain delimited text file, so that a
    large export can be judged from its header before it is read whole; None for other kinds
    or when the sample cannot tell."""
    try:
        fh, st = open_regular(path)
        with fh:
            head = fh.read(SAMPLE)
    except (UnusableFile, OSError):
        return None
    if len(head) < SAMPLE or sniff._kind(path.name, head) != "csv" or b"\n" not in head:
        return None
    try:
        return delimited._read_delimited(safe.name(path), None, head[: head.rindex(b"\n") + 1], head)
    except Exception:  # noqa: BLE001 - the whole read will say what is wrong
        return None


def read_raw(path: Path, max_uncompressed: int = MAX_UNCOMPRESSED) -> list[RawTable]:
    """Read one file into raw string tables; raise UnusableFile (one sentence) when it cannot."""
    path = Path(path)
    name = safe.name(path)
    try:
        fh, st = open_regular(path)
        with fh:
            if st.st_size == 0:
                raise UnusableFile(f"{name} is empty.")
            head = fh.read(SAMPLE)
            budget = _Budget(max_uncompressed, name)
            pad = _nul_padding(fh, st.st_size, head)
            if pad:  # text padded with NULs (a crashed writer, a pre-allocated file): dropped
                fh.seek(0)
                data = fh.read(st.st_size - pad)
                if not data.strip():
                    raise UnusableFile(f"{name} is empty (only NUL bytes).")
                return read_content(name, path.name, None, data, data[:SAMPLE], budget)
            return read_content(name, path.name, _fd_path(fh, path), None, head, budget)
    except FileNotFoundError:
        raise UnusableFile(f"{name} was removed before it could be read.") from None
    except UnusableFile:
        raise
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UnusableFile(f"{name} could not be read ({safe.text(why)}).") from None
    except pa.ArrowException as exc:
        raise UnusableFile(f"{name} could not be read ({safe.text(str(exc).splitlines()[0])}).") from None
    except MemoryError:
        raise UnusableFile(f"{name} is too large to read into memory.") from None
