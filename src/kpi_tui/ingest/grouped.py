"""Small delimited exports of the same header parsed together (issue 12: a drop folder of
20,000 hourly exports): one pyarrow read and one normalise a group, rows split back to their
files by offsets. Each file keeps its own table, report (drops in its own order), ids left out
and cache entry: the results equal `folder.parse_file`'s, file by file.

Only where the group's work is the files' work: plain small text files (one SAMPLE, so the
sample is the file), no title lines nor quoted newlines, no malformed line, a row-by-row layout
(`generic`, `mapping`), no note, and only the parse decisions that hold for any subset of the
values (every amount a number, every date ISO, offsets on every value or on none). Anything else
and the file (or the group) is left to `parse_file`, alone, as before.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow, safe
from kpi_tui.ingest import parse, plausible
from kpi_tui.ingest.layouts import normalize
from kpi_tui.ingest.layouts.common import Columns, clean_text, says_refunded
from kpi_tui.ingest.readers import delimited, sniff
from kpi_tui.ingest.readers.base import SAMPLE, RawTable, _finish
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport, UnusableFile
from kpi_tui.settings import Settings

ROW_BY_ROW = frozenset({"generic", "mapping"})  # layouts without rules over several rows
# decisions that, taken on a group's values, each file's own values would take too
SUBSET_SAFE = frozenset({("amount", "number"), ("iso dates", True), ("offsets", "none"),
                         ("offsets", "all")})
GROUP_BYTES = 4 << 20  # text parsed at once (a group of ~8,000 exports of 10 rows)
CHUNK = 1024  # files read ahead (by a thread) while the previous ones are used


@dataclasses.dataclass
class _Small:
    path: Path
    st: os.stat_result  # when read (the bytes read are the file's size)
    key: tuple  # encoding, delimiter, header line: files that can be read together
    body: bytes  # the lines after the header, each ending in a newline
    rows: int
    width: int


def _small(path: Path) -> _Small | None:
    """A small plain delimited file, ready to be read with others; None for anything else."""
    try:
        data, st = _head(path)
        if not data or len(data) > SAMPLE or b"\x00" in data or sniff._kind(path.name, data) != "csv":
            return None
        enc, delim, skip, multiline, width = _plain(data) or \
            delimited._dialect(safe.name(path), data, True)
    except (UnusableFile, OSError, UnicodeError, ValueError):
        return None
    if enc not in ("utf-8", "utf-8-sig") or skip or multiline or len(data) != st.st_size:
        return None
    lines = data.splitlines()  # \n, \r\n and \r: pyarrow's line ends
    header = lines[0]
    rows = sum(1 for ln in lines[1:] if ln)  # pyarrow skips empty lines
    rest = data[len(header):]
    body = rest[2:] if rest.startswith(b"\r\n") else rest[1:]
    if not body.endswith((b"\n", b"\r")):
        body += b"\n"
    return _Small(path, st, (enc, delim, header), body, rows, width)


_OPEN = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


def _head(path: Path) -> tuple[bytes, os.stat_result]:
    """The first SAMPLE + 1 bytes of a regular file (as readers.open_regular opens it: a FIFO
    never blocks), and its stat. Raises OSError (the file is then read alone, which says why)."""
    fd = os.open(path, _OPEN)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        parts, left = [], SAMPLE + 1
        while left > 0 and (got := os.read(fd, left)):
            parts.append(got)
            left -= len(got)
        return b"".join(parts), st
    finally:
        os.close(fd)


_PRINTABLE = bytes(range(32, 127)) + b"\t\n\r"


def _plain(data: bytes) -> tuple | None:
    """`delimited._dialect` of a whole file, for the plainest text (the usual export), without
    its sniffing: printable ASCII, no quote, one candidate delimiter, as many times on every
    line (the header's first). Then: UTF-8, that delimiter, no title line, no quoted newline,
    one more field than delimiters. None for anything else (the full sniff decides)."""
    if data.translate(None, _PRINTABLE) or b'"' in data or b"'" in data:
        return None
    present = [d for d in (b",", b";", b"\t", b"|") if d in data]
    if len(present) != 1:
        return None
    d = present[0]
    lines = data.splitlines()
    if not lines or not lines[0].strip():
        return None
    if len({ln.count(d) for ln in lines if ln.strip()}) != 1:
        return None
    return "utf-8", d.decode(), 0, False, lines[0].count(d) + 1


def _groups(files: list[_Small]):
    by_key: dict[tuple, list[_Small]] = {}
    for f in files:
        by_key.setdefault(f.key, []).append(f)
    for members in by_key.values():
        group, size = [], 0
        for f in members:
            group.append(f)
            size += len(f.body)
            if size >= GROUP_BYTES:
                yield group
                group, size = [], 0
        if group:
            yield group


def parse_group(group: list[_Small], settings: Settings) -> dict[Path, tuple]:
    """{path: (stat, (table, report, ids not counted), screened)} for the group's files whose
    results are exactly those of a read of their own; the others are left out. `screened`:
    `plausible.screen` would leave the file's table as it is (no need to call it)."""
    enc, delim, header = group[0].key
    text = b"".join([header, b"\n", *(f.body for f in group)])
    try:
        table, bad, split = delimited._pyarrow_csv(None, text, enc, delim, 0, False,
                                                   max(f.width for f in group))
    except (pa.ArrowException, UnicodeError, ValueError):
        return {}
    if bad or split or table.num_rows - 1 != sum(f.rows for f in group):
        return {}
    names = list(table.slice(0, 1).to_pylist()[0].values())
    if any(n is None or not str(n).replace("\ufeff", "").strip() for n in names):
        return {}  # a blank-named column is kept or dropped by its own values: file by file
    raw = RawTable(safe.name(group[0].path), _finish(names, table.slice(1).columns))
    try:
        with parse.recording() as decided:
            norm = normalize(raw, settings)
    except UnusableFile:
        return {}
    if norm.layout not in ROW_BY_ROW or norm.notes or "store" in norm.mapping \
            or not set(decided) <= SUBSET_SAFE:
        return {}
    return _split(group, raw, norm, settings)


def _split(group: list[_Small], raw: RawTable, norm, settings) -> dict[Path, tuple]:
    from kpi_tui.ingest.folder import describe  # (folder imports this module)

    why = norm.left_out
    keep = why < 0
    reasons = list(norm.drops)
    oid = norm.mapping.get("txn_id", "none")
    ids = clean_text(Columns(raw.table).col(oid)) if oid != "none" and not keep.all() else None
    table = norm.table.cast(TXN_SCHEMA)
    refunded = _says_refunded(raw, norm, table)
    bad = plausible.unscreened(table, settings)  # screened for all files at once
    # per file, from the group's rows at once: its rows (at), rows kept (ns, from kat), ...
    at = np.concatenate([[0], np.cumsum([f.rows for f in group])])
    ns = _per_file(keep, at)
    kat = np.concatenate([[0], np.cumsum(ns)])
    no_customer = _per_file(arrow.to_numpy(pc.is_null(table.column("customer"))), kat)
    marked = _per_file(refunded, at) if refunded is not None else None
    dropped = _per_file(bad, kat) if bad is not None else None
    told = _described(table, ns)
    emails = table.column("email").null_count < table.num_rows
    unmarked = pa.nulls(int(ns.max(initial=0)), pa.bool_())
    out = {}
    for j, f in enumerate(group):
        n, a, b, kept = int(ns[j]), int(at[j]), int(at[j + 1]), int(kat[j])
        if not n or no_customer[j] == n:  # else its own notes say why
            continue
        t = table.slice(kept, n)
        report = FileReport(path=f.path, layout=norm.layout, mapping=dict(norm.mapping),
                            rows_read=f.rows, drops=_drops(why[a:b], reasons) if n < f.rows else {})
        if emails:
            t = _own_emails(t)
        if marked is not None and not marked[j]:  # its own read: no such status
            t = t.set_column(t.schema.get_field_index("refunded_status"), "refunded_status",
                             unmarked.slice(0, n))
        if told is None:
            describe(report, t)
        else:
            report.rows_kept = n
            report.date_min, report.date_max, report.currencies = told(kept)
        clean = dropped is not None and not dropped[j]
        left = _left_ids(ids, a, b, keep[a:b]) if n < f.rows else None
        out[f.path] = (f.st, (t, report, left), clean)
    return out


def _per_file(mask: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many of `mask` each file holds (file j: positions at[j] to at[j + 1])."""
    c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return c[at[1:]] - c[at[:-1]]


def _described(table: pa.Table, sizes: np.ndarray):
    """`folder.describe` of each file's rows at once: a function of a file's first row in
    `table` giving (date_min, date_max, currencies); None where each file must be described
    on its own (null dates, or several currencies or none)."""
    cur = table.column("currency")
    if not table.num_rows or table.column("date").null_count or cur.null_count:
        return None
    codes = pc.unique(cur).to_pylist()
    if len(codes) != 1:
        return None
    at = np.concatenate([[0], np.cumsum(sizes)])[:-1]
    nonempty = np.asarray(sizes) > 0
    day = arrow.to_numpy(table.column("date").cast(pa.int32()))
    lo = np.minimum.reduceat(day, at[nonempty])
    hi = np.maximum.reduceat(day, at[nonempty])
    iso = functools.lru_cache(None)(plausible.iso)
    by_start = {int(s): (iso(int(a)), iso(int(b))) for s, a, b in zip(at[nonempty], lo, hi)}
    return lambda start: (*by_start[start], list(codes))


def _says_refunded(raw: RawTable, norm, table: pa.Table) -> np.ndarray | None:
    """Rows whose status says refunded, when the group marked some (a file marks its rows
    only when one of its own statuses says so)."""
    col = norm.mapping.get("status")
    if col is None or table.column("refunded_status").null_count == table.num_rows:
        return None
    enc = pc.dictionary_encode(Columns(raw.table).col(col))
    hit = np.array([v is not None and says_refunded(v) for v in enc.dictionary.to_pylist()] + [False])
    return hit[arrow.to_numpy(arrow.fill_null(enc.indices, -1))]


def _drops(why: np.ndarray, reasons: list[str]) -> dict[str, int]:
    """One file's drops in the order its own read writes them: statuses (dropped first) by
    their first row in the file, then the other reasons in the order they were dropped."""
    left = why[why >= 0]
    if not len(left):
        return {}
    counts = np.bincount(left, minlength=len(reasons))
    first = {i: int(np.argmax(why == i)) for i in np.flatnonzero(counts)}
    order = sorted(first, key=lambda i: (0, first[i]) if reasons[i].startswith("status ") else (1, i))
    return {reasons[i]: int(counts[i]) for i in order}


def _left_ids(ids: pa.Array | None, a: int, b: int, keep: np.ndarray) -> pa.Array | None:
    if ids is None or keep.all():
        return None
    left = pc.drop_null(ids.slice(a, b - a).filter(arrow.array(~keep)))
    return pc.unique(left).cast(pa.string()) if len(left) else None


def _own_emails(t: pa.Table) -> pa.Table:
    """The file's own e-mail dictionary (the group's would be written in each cache entry)."""
    col = t.column("email")
    if col.null_count == len(col):
        return t
    own = pc.dictionary_encode(col.cast(pa.string())).cast(TXN_SCHEMA.field("email").type)
    return t.set_column(t.schema.get_field_index("email"), "email", own)


def _chunk(paths: list[Path], settings: Settings) -> dict[Path, tuple]:
    out: dict[Path, tuple] = {}
    small = [s for s in map(_small, paths) if s is not None]
    for f in small:  # an hour without orders: its read alone would say just this
        if not f.rows:
            out[f.path] = (f.st, UnusableFile(f"{safe.name(f.path)}: has a header but no rows"))
    for group in _groups([f for f in small if f.rows]):
        if len(group) > 1:
            try:
                out.update(parse_group(group, settings))
            except Exception:  # noqa: BLE001 - its files are read alone, which says what is wrong
                pass
    return out


def ahead(paths: list[Path], settings: Settings, cache=None):
    """(path, parsed or None) for every path, in order; `parsed` is for `matching`. The small
    files not in `cache` are read in groups, a chunk ahead, by a thread (pyarrow lets the GIL
    go: the second core parses while this one uses the previous chunk)."""
    todo = [p for p in paths if cache is None or not cache.has(p)]
    chunks = iter([todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)])
    pending: collections.deque = collections.deque()
    done: dict[Path, tuple] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="kpi-tui-grouped") as pool:

        def submit() -> None:
            if (c := next(chunks, None)) is not None:
                pending.append((set(c), pool.submit(_chunk, c, settings)))

        submit()
        submit()
        for path in paths:
            if pending and path in pending[0][0]:
                done = pending.popleft()[1].result()
                submit()
            yield path, done.pop(path, None)


def stat_when_read(parsed) -> os.stat_result | None:
    """The file's stat when the group read it (None: not read with a group)."""
    return None if parsed is None else parsed[0]


def matching(parsed, st) -> tuple | None:
    """The group's result for a file, when the file is still as it was read: (table, report,
    ids not counted, screened); raises UnusableFile for a file of a header alone."""
    if parsed is None or (parsed[0].st_size, parsed[0].st_mtime_ns) != (st.st_size, st.st_mtime_ns):
        return None
    if isinstance(parsed[1], UnusableFile):  # a header alone (raised as parse_file would)
        raise parsed[1]
    return (*parsed[1], parsed[2])
