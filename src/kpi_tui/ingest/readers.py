"""Turn one export file into raw tables of strings (CSV/TSV/TXT, Excel, Parquet, Arrow, JSON,
inside .gz or .zip too). Nothing is typed here: every column is pa.string(), null for empty cells."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import gzip
import io
import json
import os
import stat
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kpi_tui import safe
from kpi_tui.ingest.discover import ignored
from kpi_tui.ingest.schema import UnusableFile

# Memory budget (docs/reliability.md): archives may unpack to MAX_UNCOMPRESSED in all; readers
# that hold a whole document in memory refuse inputs that would take more than about 2 GB:
MAX_UNCOMPRESSED = 2 * 1024**3
MAX_EXCEL_XML = 256 * 1024**2  # an xlsx/ods's unpacked XML (calamine needs ~5x this in memory)
MAX_JSON = 128 * 1024**2  # a JSON document (Python objects take ~15x its size)
SAMPLE = 64 * 1024
MAX_DEPTH = 64  # JSON objects nested deeper than this are not records of a table
BLOCK = 8 << 20  # pyarrow CSV block: large enough to be fast, small enough to keep memory low
DELIMITERS = ",;\t|"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

EXT_KIND = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "text",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".xlsb": "excel", ".ods": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".gz": "gzip", ".zip": "zip",
}  # fmt: skip
# Encodings of non-Latin scripts that charset_normalizer may rightly find; any other guess for
# bytes that are not UTF-8 is read as Windows-1252 (Western exports; Latin-1's text is a subset).
NON_LATIN = {
    "cp1251", "koi8_r", "koi8_u", "cp866", "iso8859_5", "mac_cyrillic", "cp1253", "iso8859_7",
    "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874", "tis_620", "big5", "big5hkscs",
    "gb2312", "gbk", "gb18030", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949", "johab",
}  # fmt: skip


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
    if len(head) < SAMPLE or _kind(path.name, head) != "csv" or b"\n" not in head:
        return None
    try:
        return _read_delimited(safe.name(path), None, head[: head.rindex(b"\n") + 1], head)
    except Exception:  # noqa: BLE001 - the whole read will say what is wrong
        return None


def open_regular(path: Path) -> tuple[io.BufferedReader, os.stat_result]:
    """Open `path` for reading without blocking (a FIFO swapped in after discover never hangs
    us), and refuse anything the descriptor shows is not a regular file. Raises UnusableFile."""
    name = safe.name(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UnusableFile(f"{name} was removed before it could be read.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnusableFile(f"{name} is a symbolic link loop.") from None
        raise UnusableFile(f"{name} could not be read ({exc.strerror or exc}).") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableFile(f"{name} is not a regular file.")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


MAGIC = (b"PK", OLE_MAGIC, b"\x1f\x8b", b"PAR1", b"ARROW1", b"FEA1", b"\xff\xff\xff\xff")


def _nul_padding(fh, size: int, head: bytes) -> int:
    """How many NUL bytes end a text file (0 for binary formats and UTF-16 text)."""
    if head.startswith(MAGIC) or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            or _utf16_nobom(head):
        return 0
    pad, end = 0, size
    while end > 0:
        start = max(0, end - SAMPLE)
        fh.seek(start)
        chunk = fh.read(end - start)
        kept = len(chunk.rstrip(b"\x00"))
        pad += len(chunk) - kept
        if kept:
            break
        end = start
    return pad


def _fd_path(fh, path: Path) -> Path:
    """A path that reaches the very file behind `fh` (Linux: /proc/self/fd/N, so readers that
    want a path never resolve the name again and names that are not UTF-8 never matter)."""
    proc = Path(f"/proc/self/fd/{fh.fileno()}")
    return proc if os.path.isdir("/proc/self/fd") else path


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
                return _read(name, path.name, None, data, data[:SAMPLE], budget)
            return _read(name, path.name, _fd_path(fh, path), None, head, budget)
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


def _open(path: Path | None, data) -> io.BufferedIOBase:
    return open(path, "rb") if path is not None else io.BytesIO(data)


def _kind(fname: str, head: bytes) -> str:
    """What the content is, by magic bytes first, then by extension, then by sniffing."""
    low = fname.lower()
    by_ext = EXT_KIND.get(os.path.splitext(low)[1], "")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "excel" if by_ext == "excel" else "zip"  # zip() spots xlsx/ods by content too
    if head.startswith(OLE_MAGIC):
        return "excel"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"ARROW1", b"FEA1", b"\xff\xff\xff\xff")):
        return "arrow"
    if by_ext in ("csv", "json", "jsonl"):
        return by_ext
    if _looks_binary(head):
        # a damaged known format gets its own reader's message; anything else is not a table
        return by_ext if by_ext not in ("", "text") else "binary"
    stripped = _decode_head(head).lstrip("\ufeff \t\r\n")
    if stripped[:1] == "<":
        return "markup"
    return "json" if stripped[:1] in ("{", "[") else "csv"


def _read(name: str, fname: str, path: Path | None, data, head: bytes, budget: _Budget) -> list[RawTable]:
    kind = _kind(fname, head)
    if kind == "csv":
        return [_read_delimited(name, path, data, head)]
    if kind == "excel":
        return _read_excel(name, fname, path, data, head, budget)
    if kind == "parquet":
        return [_read_arrow_file(name, path, data, parquet=True)]
    if kind == "arrow":
        return [_read_arrow_file(name, path, data, parquet=False)]
    if kind in ("json", "jsonl"):
        size = len(data) if path is None else os.path.getsize(path)
        if size > MAX_JSON:
            raise UnusableFile(f"{name} is {_size(size)} of JSON, more than kpi-tui reads at once "
                               f"({_size(MAX_JSON)}); export it as CSV to use it.")
        raw = _read_bytes(path, data)
        return [_read_json(name, raw, lines=kind == "jsonl")]
    if kind == "gzip":
        with _open(path, data) as fh, gzip.GzipFile(fileobj=fh) as gz:
            try:
                inner = budget.read_all(gz)
            except (EOFError, OSError, zlib.error) as exc:
                raise UnusableFile(f"{name} is a damaged gzip file ({exc}).") from None
        if not inner.strip():
            raise UnusableFile(f"{name} is empty once uncompressed.")
        inner_name = fname[:-3] if fname.lower().endswith(".gz") else fname
        return _read(name, inner_name, None, inner, bytes(inner[:SAMPLE]), budget)
    if kind == "zip":
        return _read_zip(name, path, data, budget)
    if kind == "markup":
        raise UnusableFile(
            f"{name} is a web page or XML document, not a table; save it as .xlsx or .csv to use it."
        )
    raise UnusableFile(f"{name} is not a table file that kpi-tui can read (binary content).")


def _read_bytes(path: Path | None, data):
    if path is None:
        return data
    with open(path, "rb") as fh:
        return fh.read()


# ---------------------------------------------------------------- archives


def _read_zip(name: str, path: Path | None, data, budget: _Budget) -> list[RawTable]:
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
                tables += _read(member, inner, None, content, bytes(content[:SAMPLE]), budget)
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


# ---------------------------------------------------------------- text and CSV


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_nobom(head):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13, 26))
    return ctrl > max(2, len(head) // 100)


def _utf16_nobom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16 text (ASCII-heavy: every other byte NUL)."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _encoding(head: bytes, complete: bool) -> str:
    """Python codec for the bytes: BOM, then valid UTF-8, then charset_normalizer (cp1252 first)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if nobom := _utf16_nobom(head):
        return nobom
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        return _guess_8bit(head)


def _guess_8bit(sample: bytes) -> str:
    """Encoding of non-UTF-8 bytes: a non-Latin script only when there is enough text to tell."""
    from charset_normalizer import from_bytes

    lines = [ln for ln in sample.splitlines() if max(ln, default=0) >= 0x80]  # ASCII tells nothing
    high = sum(1 for ln in lines for b in ln if b >= 0x80)
    best = from_bytes(b"\n".join(lines)).best() if high >= 16 else None
    enc = best.encoding if best is not None and best.encoding in NON_LATIN else "cp1252"
    if enc == "cp1252":
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8d, ...)
            enc = "latin-1"
    return enc


def _decode_head(head: bytes, enc: str | None = None) -> str:
    enc = enc or _encoding(head, complete=False)
    return codecs.getincrementaldecoder(enc)(errors="replace").decode(head, final=False)


def _field_counts(lines: list[str], delim: str) -> list[int]:
    try:
        return [len(row) for row in csv.reader(lines, delimiter=delim, quotechar='"') if row]
    except csv.Error:
        return []


def _consistent(counts: list[int]) -> tuple[float, int]:
    """(share of lines with the most common field count, that count) for one delimiter."""
    if not counts:
        return 0.0, 0
    n, hits = Counter(counts).most_common(1)[0]
    return hits / len(counts), n


def _sniff_delimiter(lines: list[str]) -> str:
    text = "\n".join(lines[:50])
    try:
        delim = csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
        share, n = _consistent(_field_counts(lines[:50], delim))
        if n > 1 and share >= 0.9:
            return delim
    except csv.Error:
        pass
    # Fallback: the delimiter that splits the header and the rows alike, into the most fields.
    scores = []
    for delim in DELIMITERS:
        share, n = _consistent(_field_counts(lines[:50], delim))
        if n > 1:
            scores.append((share >= 0.9, share, n, delim))
    return max(scores)[3] if scores else ","


def _header_skip(lines: list[str], delim: str) -> int:
    """Title lines (one field at most, or blank) above a wider header, to skip."""
    counts = [len(r) if r else 0 for r in _rows(lines[:60], delim)]
    modal = Counter(c for c in counts if c > 1).most_common(1)
    if not modal:
        return 0
    skip = 0
    while skip < min(len(counts) - 1, 20) and counts[skip] <= 1:
        skip += 1
    return skip if counts[skip] == modal[0][0] else 0


def _rows(lines: list[str], delim: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delim, quotechar='"'))
    except csv.Error:
        return []


def _read_delimited(name: str, path: Path | None, data, head: bytes) -> RawTable:
    complete = (len(data) if data is not None else os.path.getsize(path)) <= len(head)
    if complete and not head.endswith((b"\n", b"\r")) and not _utf16_nobom(head) \
            and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data, path = head + b"\n", None  # a last line without its newline (a header alone)
        head = data
    if _looks_binary(head):
        raise UnusableFile(f"{name} is not a text table (it holds binary data).")
    enc = _encoding(head, complete)
    text = _decode_head(head, enc)
    if not text.strip("\ufeff \t\r\n\x00\x1a"):
        raise UnusableFile(f"{name} is empty.")
    lines = text.lstrip("\ufeff").splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the sample cut the last line
    delim = _sniff_delimiter([ln for ln in lines if ln.strip()])
    skip = _header_skip(lines, delim)
    lines = [ln for ln in lines if ln.strip()]
    # A quoted field spanning lines in the sample: let pyarrow split blocks quote-aware (slower).
    multiline = any('"' in ln for ln in lines) and len(lines) > len(_field_counts(lines, delim))
    while True:
        try:
            table, bad, split = _pyarrow_csv(path, data, enc, delim, skip, multiline)
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "newlines_in_values" in msg and not multiline:
                multiline = True  # a quoted newline after the sample: read quote-aware
            elif "UTF8" in msg and enc.startswith("utf-8"):
                enc = _guess_8bit(_invalid_utf8_window(path, data))
            else:
                raise UnusableFile(f"{name} could not be parsed as a delimited text table.") from None
            continue
        except UnicodeDecodeError:
            if enc != "cp1252":
                raise UnusableFile(f"{name} holds bytes that are not valid {enc} text.") from None
            enc = "latin-1"  # bytes cp1252 leaves undefined, after the sample
            continue
        if split and not multiline:  # a quoted newline fell between blocks: read quote-aware
            table2, bad2, _ = _pyarrow_csv(path, data, enc, delim, skip, True)
            if bad2 < bad:
                table, bad = table2, bad2
        break
    if table.num_rows == 0:
        raise UnusableFile(f"{name} is empty.")
    header = [v for v in table.slice(0, 1).to_pylist()[0].values()]
    body = table.slice(1)
    if body.num_rows == 0 and bad:
        raise UnusableFile(f"{name}: none of its rows has as many fields as its header.")
    return RawTable(name, _finish(header, body.columns), bad_rows=bad)


def _invalid_utf8_window(path: Path | None, data) -> bytes:
    """Bytes around the first invalid UTF-8 sequence, found in chunks (no whole-file copy)."""
    fh = _open(path, data)
    with fh:
        decoder, offset = codecs.getincrementaldecoder("utf-8")(), 0
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                fh.seek(max(0, offset + exc.start - SAMPLE // 2))
                return fh.read(SAMPLE)
            offset += len(chunk)
        fh.seek(0)
        return fh.read(SAMPLE)


def _pyarrow_csv(path, data, enc: str, delim: str, skip: int, multiline: bool) -> tuple[pa.Table, int, bool]:
    """(table with the header as row 0, malformed rows skipped, whether one had an open quote)."""
    bad, split = 0, False

    def on_bad(row) -> str:
        nonlocal bad, split
        bad += 1
        split = split or (row.text or "").count('"') % 2 == 1
        return "skip"

    # Header read as data row 0, so each column is typed string by position (f0, f1, ...).
    read = pacsv.ReadOptions(
        block_size=BLOCK,
        use_threads=True,
        skip_rows=skip,
        autogenerate_column_names=True,
        encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
    )
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=multiline, invalid_row_handler=on_bad)
    convert = pacsv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(4096)},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    source = str(path) if path is not None else pa.py_buffer(data)
    if path is None:
        source = pa.BufferReader(source)
    table = pacsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    return table, bad, split


# ---------------------------------------------------------------- building tables


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
    cols = [pa.array([r[i] if i < len(r) else None for r in body], pa.string()) for i in range(width)]
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


# ---------------------------------------------------------------- Excel


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


# ---------------------------------------------------------------- Parquet / Arrow


def _read_arrow_file(name: str, path: Path | None, data, parquet: bool) -> RawTable:
    source = str(path) if path is not None else pa.BufferReader(pa.py_buffer(data))
    try:
        if parquet:
            import pyarrow.parquet as pq

            table = pq.read_table(source)
        else:
            import pyarrow.feather as feather

            try:
                table = feather.read_table(source)
            except (pa.ArrowInvalid, OSError):
                if path is None:
                    source = pa.BufferReader(pa.py_buffer(data))
                table = pa.ipc.open_stream(source).read_all()
    except (pa.ArrowException, OSError, ValueError):
        kind = "Parquet" if parquet else "Arrow/Feather"
        raise UnusableFile(f"{name} is not a valid {kind} file (it may be damaged).") from None
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    cols = [_to_string(col) for col in table.columns]
    return RawTable(name, _finish(table.column_names, cols))


def _to_string(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_timestamp(t):
        col = col.cast(pa.timestamp("s", t.tz), safe=False)  # whole seconds: no ".000000"
        if t.tz:
            out = pc.strftime(col, format="%Y-%m-%d %H:%M:%S%z")
            return pc.replace_substring_regex(out, r"([+-]\d\d)(\d\d)$", r"\1:\2")
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_date64(t):
        col = col.cast(pa.date32())
    if pa.types.is_floating(t):
        col = pc.round(col.cast(pa.float64()), 10)
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(col), pa.string())])
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals = [v if v is None or isinstance(v, str) else _json_cell(v) for v in col.to_pylist()]
        return pa.chunked_array([pa.array(vals, pa.string())])


# ---------------------------------------------------------------- JSON


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


class _TooDeep(Exception):
    """A record nested deeper than MAX_DEPTH: skipped, never a RecursionError."""


def _flatten(obj: dict, prefix: str, out: dict, depth: int = 0) -> dict:
    # pandas.json_normalize would turn int columns with gaps into floats ("12.0"): flatten here.
    if depth > MAX_DEPTH:
        raise _TooDeep
    for key, v in obj.items():
        k = f"{prefix}{key}"
        if isinstance(v, dict) and v:
            _flatten(v, k + ".", out, depth + 1)
        else:
            try:
                out[k] = _json_cell(v)
            except RecursionError:  # a list nested deeper than Python can dump
                raise _TooDeep from None
    return out


def _records(doc, name: str) -> list:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list) and any(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
        if len(lists) > 1:
            raise UnusableFile(f"{name} holds several lists of records; kpi-tui cannot tell which to use.")
    raise UnusableFile(f"{name} is JSON but does not hold a list of records.")


def _read_json(name: str, raw, lines: bool) -> RawTable:
    raw = bytes(raw)
    text = raw.decode(_encoding(raw[:SAMPLE] if len(raw) > SAMPLE else raw, complete=len(raw) <= SAMPLE), "replace")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise UnusableFile(f"{name} is empty.")
    bad, deep_lines = 0, False
    if not lines:
        try:
            records = _records(json.loads(text), name)
        except RecursionError:
            raise UnusableFile(f"{name} is JSON nested too deeply to be a table.") from None
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":  # several documents: JSON Lines named .json
                raise UnusableFile(f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
            lines = True
    if lines:
        records = []
        for ln in text.splitlines():
            if ln.strip():
                try:
                    records.append(json.loads(ln))
                except json.JSONDecodeError:
                    bad += 1
                except RecursionError:
                    bad, deep_lines = bad + 1, True
        if not records and deep_lines:
            raise UnusableFile(f"{name} is JSON nested too deeply to be a table.")
        if not records:
            raise UnusableFile(f"{name} holds no valid JSON line.")
    flat, deep = [], 0
    for rec in records:
        try:
            if isinstance(rec, dict):
                flat.append(_flatten(rec, "", {}))
            else:
                bad += 1
        except _TooDeep:
            bad, deep = bad + 1, deep + 1
    if not flat and deep:
        raise UnusableFile(f"{name}: its records are nested more than {MAX_DEPTH} levels deep.")
    if not flat and bad:
        raise UnusableFile(f"{name} holds no JSON objects (records).")
    keys = list(dict.fromkeys(k for rec in flat for k in rec))
    # a key that is an object in some records and null in others: keep only its flattened fields
    keys = [k for k in keys if not (any(o.startswith(k + ".") for o in keys) and all(r.get(k) is None for r in flat))]
    cols = [pa.array([rec.get(k) for rec in flat], pa.string()) for k in keys]
    return RawTable(name, _finish(keys, cols), bad_rows=bad)
