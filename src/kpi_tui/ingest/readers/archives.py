"""Zip and gzip archives, read in memory within the uncompressed budget (nested ones too)."""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from pathlib import Path

from kpi_tui import safe
from kpi_tui.ingest.discover import ignored
from kpi_tui.ingest.readers.base import SAMPLE, RawTable, TooLarge, _Budget, _open, _size
from kpi_tui.ingest.schema import UnusableFile


def _read_gzip(name: str, fname: str, path: Path | None, data, head: bytes,
               budget: _Budget) -> list[RawTable]:
    from kpi_tui.ingest.readers.dispatch import read_content

    with _open(path, data) as fh, gzip.GzipFile(fileobj=fh) as gz:
        try:
            inner = budget.read_all(gz)
        except (EOFError, OSError, zlib.error) as exc:
            raise UnusableFile(f"{name} is a damaged gzip file ({exc}).") from None
    if not inner.strip():
        raise UnusableFile(f"{name} is empty once uncompressed.")
    inner_name = fname[:-3] if fname.lower().endswith(".gz") else fname
    return read_content(name, inner_name, None, inner, bytes(inner[:SAMPLE]), budget)


def _read_zip(name: str, path: Path | None, data, budget: _Budget) -> list[RawTable]:
    from kpi_tui.ingest.readers.dispatch import read_content
    from kpi_tui.ingest.readers.excel import _read_excel

    try:
        zf = zipfile.ZipFile(str(path) if path is not None else io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnusableFile(f"{name} is not a valid zip archive.") from None
    with zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" in names or "content.xml" in names and "mimetype" in names:
            return _read_excel(name, name + ".xlsx", path, data, b"PK", budget)
        tables: list[RawTable] = []
        notes: list[str] = []
        for info in zf.infolist():
            inner = info.filename.rstrip("/").rsplit("/", 1)[-1]
            if info.is_dir() or info.filename.startswith("__MACOSX/") or ignored(inner):
                continue
            member = f"{name}:{safe.text(info.filename)}"
            if info.flag_bits & 0x1:
                notes.append(f"{member} is password-protected.")
                continue
            try:
                with zf.open(info) as fh:
                    content = budget.read_all(fh)
                if not content.strip():
                    notes.append(f"{member} is empty.")
                    continue
                tables += read_content(member, inner, None, content, bytes(content[:SAMPLE]), budget)
            except TooLarge:
                raise
            except UnusableFile as exc:
                notes.append(str(exc))
            except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error, OSError) as exc:
                notes.append(f"{member} could not be unpacked ({exc}).")
        if not tables:
            if notes:
                raise UnusableFile(notes[0] if len(notes) == 1 else f"{name}: {'; '.join(notes)}")
            raise UnusableFile(f"{name} holds no file that kpi-tui can read.")
        tables[0].notes += notes
        return tables


def _check_zip_size(name: str, path: Path | None, data, budget: _Budget,
                    what: str = "") -> None:
    """Refuse by the sizes the headers state, then stream every member through a counter:
    zip headers may lie about sizes. Nothing is parsed before this."""
    too_big = TooLarge(f"{name} is larger than {_size(budget.cap)} when uncompressed"
                       + (f", too large for {what}; save it as .csv to use it." if what
                          else " (possible zip bomb)."))
    try:
        with zipfile.ZipFile(str(path) if path is not None else io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > budget.left:
                raise too_big
            for info in zf.infolist():
                with zf.open(info) as fh:
                    left = budget.left
                    while chunk := fh.read(1 << 20):
                        left -= len(chunk)
                        if left < 0:
                            raise too_big
                    budget.left = left
    except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error, RuntimeError):
        raise UnusableFile(f"{name} is not a valid Excel file (it may be damaged).") from None
