"""CSV/TSV/TXT: delimiter, title lines and encoding sniffed from a sample, read by pyarrow."""

from __future__ import annotations

import codecs
import csv
import functools
import os
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from kpi_tui.ingest.readers.base import SAMPLE, RawTable, _finish, _open
from kpi_tui.ingest.readers.paced import Paced
from kpi_tui.ingest.readers.sniff import (_decode_head, _encoding, _guess_8bit, _looks_binary,
                                          _utf16_nobom)
from kpi_tui.ingest.schema import UnusableFile

BLOCK = 8 << 20  # pyarrow CSV block: large enough to be fast, small enough to keep memory low
DELIMITERS = ",;\t|"


def _plain(lines: list[str]) -> bool:
    """No quote nor NUL: csv.reader would split each line at every delimiter."""
    return not any('"' in ln or "\x00" in ln for ln in lines)


def _field_counts(lines: list[str], delim: str) -> list[int]:
    if _plain(lines):  # (csv.reader's count without it: ~10x faster, each file's sample)
        return [ln.count(delim) + 1 for ln in lines if ln]
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


def _only_delimiter(lines: list[str]) -> str | None:
    """The delimiter when the sample leaves no choice: no quotes, one candidate character in
    it, as many times on every line (what the Sniffer would find, ~30x faster: many files)."""
    text = "\n".join(lines)
    if '"' in text or "'" in text:
        return None
    present = [d for d in DELIMITERS if d in text]
    if len(present) != 1:
        return None
    d = present[0]
    return d if len({ln.count(d) for ln in lines}) == 1 else None


def _by_header(lines: list[str]) -> str | None:
    """The delimiter when the header names it: no quote in the header, one candidate in it,
    and the lines split alike by it (the Sniffer's own test below; ~20x faster)."""
    if not lines or '"' in lines[0] or "'" in lines[0]:
        return None
    present = [d for d in DELIMITERS if d in lines[0]]
    if len(present) != 1:
        return None
    share, n = _consistent(_field_counts(lines, present[0]))
    return present[0] if n > 1 and share >= 0.9 else None


def _sniff_delimiter(lines: list[str]) -> str:
    if only := _only_delimiter(lines[:50]) or _by_header(lines[:50]):
        return only
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
    head = lines[:60]
    counts = [ln.count(delim) + 1 if ln else 0 for ln in head] if _plain(head) else \
        [len(r) if r else 0 for r in _rows(head, delim)]
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
    enc, delim, skip, multiline, width = _dialect(name, head, complete)
    while True:
        try:
            table, bad, split = _pyarrow_csv(path, data, enc, delim, skip, multiline, width)
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
            table2, bad2, _ = _pyarrow_csv(path, data, enc, delim, skip, True, width)
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


def _dialect(name: str, head: bytes, complete: bool) -> tuple[str, str, int, bool, int]:
    """(encoding, delimiter, title lines to skip, quoted newlines seen, most fields on a line)
    from the sample."""
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
    counts = _field_counts(lines, delim)
    multiline = any('"' in ln for ln in lines) and len(lines) > len(counts)
    return enc, delim, skip, multiline, max(counts, default=0)


class Unsteady(Exception):
    """A file read in batches met what only a whole read handles (ingest.streamed)."""


def stream_delimited(name: str, path: Path, head: bytes, block: int = BLOCK, stop=None):
    """Raw tables of a large delimited file, one per `block` bytes, parsed by pyarrow's
    streaming reader; the last value sent back is the count of malformed rows skipped. Raises
    Unsteady when the whole-file reader must decide (a quoted newline between blocks, bytes
    not in the encoding...). `stop` (a threading.Event): set when the batches are no longer
    wanted (the reads let go: readers.paced)."""
    enc, delim, skip, multiline, width = _dialect(name, head, complete=False)
    bad = _BadRows()
    # one thread (the caller's: streamed reads in a thread of its own, while the batch before
    # is normalised): its memory is given back there, not held by pyarrow's pool threads
    read, parse, convert = _options(enc, delim, skip, multiline, bad, width, block, threads=False)
    header = None
    with Paced(path, stop=stop) as fh:  # read ahead a few blocks, not pyarrow's 32
        for batch in pacsv.open_csv(fh, read_options=read, parse_options=parse,
                                    convert_options=convert):
            fh.used()
            if bad.split:
                raise Unsteady("a quoted newline fell between blocks")
            if not _all_text(batch.schema):
                raise Unsteady("more columns than the sample showed")
            if header is None:
                header = [batch.column(i)[0].as_py() for i in range(batch.num_columns)]
                batch = batch.slice(1)
            if batch.num_rows:
                yield RawTable(name, _finish(header, batch.columns))
    if bad.split:
        raise Unsteady("a quoted newline fell between blocks")
    return bad.count


class _BadRows:
    """pyarrow's handler of malformed rows: skipped, counted, and whether one had an open quote."""

    def __init__(self):
        self.count, self.split = 0, False

    def __call__(self, row) -> str:
        self.count += 1
        self.split = self.split or (row.text or "").count('"') % 2 == 1
        return "skip"


def _options(enc: str, delim: str, skip: int, multiline: bool, on_bad, width: int = 4096,
             block: int = BLOCK, size: int | None = None, threads: bool = True):
    """`size`: the text's bytes, when known: one block is parsed without threads (a pool's
    start costs more than it gives: 4 ms against 8 ms for the sample's 290 KB exports)."""
    # Header read as data row 0, so each column is typed string by position (f0, f1, ...).
    read = pacsv.ReadOptions(
        block_size=block,
        use_threads=threads and (size is None or size > block),
        skip_rows=skip,
        autogenerate_column_names=True,
        encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
    )
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=multiline, invalid_row_handler=on_bad)
    return read, parse, _all_strings(min(4096, 1 << (width + 8).bit_length()))


@functools.cache
def _all_strings(width: int) -> pacsv.ConvertOptions:
    """Columns f0 .. f{width-1} strings, empty = null: as many as the sample shows, with room
    (4,096 column types cost ~1 ms a file); a wider line is read again (`_all_text`)."""
    return pacsv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(width)},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )


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


def _size(path) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def _whole(path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _all_text(schema: pa.Schema) -> bool:
    return all(pa.types.is_string(t) for t in schema.types)


def _pyarrow_csv(path, data, enc: str, delim: str, skip: int, multiline: bool,
                 width: int = 4096) -> tuple[pa.Table, int, bool]:
    """(table with the header as row 0, malformed rows skipped, whether one had an open quote)."""
    bad = _BadRows()
    size = len(data) if path is None else _size(path)
    read, parse, convert = _options(enc, delim, skip, multiline, bad, width, size=size)
    if path is not None and size is not None and size <= BLOCK:
        data, path = _whole(path), None  # (one block: from memory ~25% faster than the file)
    source = str(path) if path is not None else pa.BufferReader(pa.py_buffer(data))
    table = pacsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    if not _all_text(table.schema) and width < 4096:  # a header wider than the sample's lines
        return _pyarrow_csv(path, data, enc, delim, skip, multiline)
    return table, bad.count, bad.split
