"""A large delimited, JSON Lines or Parquet export read in batches (issue 12): each batch parsed, normalised and kept
only as transactions before the next, so memory follows the batch, not the file's text.

Only when the batches add up to what a whole read gives: every batch of the same layout (one
whose rules are row by row), the same columns and mapping, and the same decisions of the
parses (ingest.parse.recording: fast paths, decimal separator, day/month order). Anything else
(another layout, a quoted newline between blocks, bytes outside the encoding, every row left
out) returns None and the file is read whole, as before: same figures either way.
"""

from __future__ import annotations

import contextvars
import queue
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow, safe
from kpi_tui.ingest import parse
from kpi_tui.ingest.layouts import normalize
from kpi_tui.ingest.readers import columnar, delimited, jsonfile, sniff
from kpi_tui.ingest.readers.base import SAMPLE
from kpi_tui.ingest.readers.source import _fd_path, open_regular
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport, UnusableFile
from kpi_tui.settings import Settings

STREAM_OVER = 64 << 20  # delimited files larger than this are read in batches
PARQUET_OVER = 16 << 20  # Parquet files (compressed: more rows a byte)
BLOCK = 8 << 20  # bytes of text a batch (about 150,000 rows of a 50-byte line; Parquet:
#                  BLOCK / 64 rows a batch, 131,072)
ROW_BY_ROW = frozenset({"generic", "mapping"})  # layouts without rules over several rows
_COUNTED = re.compile(r"^(\d[\d,]*) rows?( .*)$")  # "12 rows with a placeholder...": summed
_NOTHING_KEPT = "every row was left out"


class _Unsteady(Exception):
    pass


# told the share (0 to 1) of the big file read so far, batch by batch (a front end's progress)
_ON_READ: contextvars.ContextVar = contextvars.ContextVar("kpi_tui_on_read", default=None)


@contextmanager
def reporting(on_read):
    """Within: `on_read(share)` after each batch of a delimited file read in batches."""
    token = _ON_READ.set(on_read)
    try:
        yield
    finally:
        _ON_READ.reset(token)


def parse_streamed(path: Path, settings: Settings, block: int | None = None,
                   size: int | None = None, sink=None):
    """(transactions, report, ids of rows not counted) like folder.parse_file, or None when
    the file is to be read whole (`size`: the file's, when it is to decide). `sink`: each
    batch's transactions are handed to it and not kept (the table returned is None; a file of
    under 64 KB is read too)."""
    over = {"csv": STREAM_OVER, "json": STREAM_OVER, "jsonl": STREAM_OVER, "parquet": PARQUET_OVER}
    if size is not None and size <= min(over.values()):
        return None
    try:
        fh, st = open_regular(path)
        with fh:
            head = fh.read(SAMPLE)
            kind = sniff._kind(path.name, head) if len(head) == SAMPLE or sink else None
            if size is not None and size <= over.get(kind, size):
                return None
            name, src, block = safe.name(path), _fd_path(fh, path), block or BLOCK
            share = None  # of the file, a batch
            stop = threading.Event()  # set when the batches are no longer wanted
            if kind == "csv":
                batches = delimited.stream_delimited(name, src, head, block, stop)
                share = block / max(st.st_size, 1)
            elif kind in ("json", "jsonl"):  # Python objects: ~15x the text, so half a block
                block = max(1, block // 2)
                batches = jsonfile.stream_json_lines(name, src, head, block, lines=kind == "jsonl")
                share = block / max(st.st_size, 1)
            elif kind == "parquet":
                batches = columnar.stream_parquet(name, src, max(1, block // 64))
            else:
                return None
            return _read(batches, settings, path, share, stop, sink)
    except (_Unsteady, delimited.Unsteady, UnusableFile, pa.ArrowException, UnicodeError,
            OSError, ValueError):
        return None  # the whole read says what is wrong, or reads it right


def _read(source, settings: Settings, path: Path, share: float | None = None, stop=None,
          sink=None):
    report = FileReport(path=path)
    tables, ids, notes, reasons = [], [], [], []
    batches_n = rows = 0
    counted: dict[str, int] = {}
    drops: dict[str, int] = {}
    first, shared = None, {}
    on_read = _ON_READ.get() if share else None
    batches = _ahead(source, stop=stop)
    while True:
        try:
            raw = next(batches)
        except StopIteration as stop:
            bad = stop.value or 0
            break
        with parse.recording() as decided:
            norm = normalize(raw, settings)
        same = (norm.layout, norm.mapping, raw.table.column_names, decided)
        if first is None:
            first = same
            if norm.layout not in ROW_BY_ROW:
                raise _Unsteady(norm.layout)
        elif same != first:
            raise _Unsteady("a batch decided otherwise")
        t = _lean(norm.table.cast(TXN_SCHEMA), shared)
        batches_n, rows = batches_n + 1, rows + t.num_rows
        if sink is None:
            tables.append(t)
        else:
            sink(t)
        del t
        if norm.dropped_ids is not None:
            ids.append(norm.dropped_ids.cast(pa.string()))
        report.rows_read += norm.rows_read
        for k, n in norm.drops.items():
            drops[k] = drops.get(k, 0) + n
        _merge_order(reasons, list(norm.drops))
        _merge_order(notes, _count_notes(counted, norm.notes))
        del raw, norm
        pa.default_memory_pool().release_unused()  # the batch's text goes back to the system
        if on_read is not None:
            on_read(min(1.0, batches_n * share))
    if not batches_n:
        raise _Unsteady("no rows")
    if rows == 0:
        raise _Unsteady("every row left out: the whole read words why")
    table = pa.concat_tables(tables) if sink is None else None
    report.drops = {k: drops[k] for k in reasons}
    if bad:
        report.rows_read += bad
        report.drops["malformed line"] = report.drops.get("malformed line", 0) + bad
    report.layout, report.mapping = first[0], first[1]
    report.notes = [_counted(n, counted) for n in notes]
    if table is not None and table.column("email").num_chunks > 1:
        table = table.unify_dictionaries()  # one e-mail dictionary: the cache's IPC file needs it
    other = pc.unique(pa.concat_arrays(ids)) if ids else None
    return table, report, other


def _repeat(value, n: int, type: pa.DataType) -> pa.Array:
    """`pa.array([value] * n, type)` (without pyarrow's pandas shim when it can)."""
    if value is None:
        return pa.nulls(n, type)
    if type == pa.string():
        return pa.repeat(arrow.scalar(value, type), n)
    return pa.array([value] * n, type)


def _lean(t: pa.Table, shared: dict) -> pa.Table:
    """A batch's column of one value (no e-mail; one currency, the usual export) as a slice of
    one array shared by the batches: the same values without their bytes in every row."""
    n = t.num_rows
    for name in ("email", "currency"):
        col = t.column(name)
        if col.null_count == n:
            value = None
        elif name == "currency" and col.null_count == 0 and len(one := pc.unique(col)) == 1:
            value = one[0].as_py()
        else:
            continue
        arr = shared.get((name, value))
        if arr is None or len(arr) < n:
            arr = shared[name, value] = _repeat(value, n + n // 4, col.type)
        t = t.set_column(t.schema.get_field_index(name), name, arr.slice(0, n))
    return t


def _ahead(source, depth: int = 2, stop: threading.Event | None = None):
    """`source` (a generator) run in a thread, `depth` items ahead: the next batch is parsed
    while this one is normalised (both in pyarrow, which lets the GIL go: the second core
    works). Returns what `source` returns, raises what it raises, and stops it when the
    consumer stops (`stop`, set then, is the source's too). The thread gives back what it freed
    after each item (mimalloc: only the thread that allocated can)."""
    q: queue.Queue = queue.Queue(depth)
    stop = stop or threading.Event()
    pool = pa.default_memory_pool()

    def put(x) -> bool:
        while not stop.is_set():
            try:
                q.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run():
        try:
            while True:
                try:
                    item = next(source)
                except StopIteration as e:
                    put(("end", e.value))
                    return
                if not put(("item", item)):
                    source.close()
                    return
                pool.release_unused()  # what this thread's reading freed (its own heap)
        except BaseException as e:  # noqa: BLE001 - raised again in the consumer
            put(("error", e))

    t = threading.Thread(target=run, name="kpi-tui-read-ahead", daemon=True)
    t.start()
    try:
        while True:
            kind, x = q.get()
            if kind == "error":
                raise x
            if kind == "end":
                return x
            yield x
    finally:
        stop.set()
        t.join()


def _count_notes(counted: dict[str, int], new: list[str]) -> list[str]:
    """A batch's notes, their counts taken out (summed into `counted`)."""
    out = []
    for n in new:
        if n.startswith(_NOTHING_KEPT):
            continue  # this batch's rows only: the file's are checked at the end
        m = _COUNTED.match(n)
        if m:
            n = m.group(2)
            counted[n] = counted.get(n, 0) + int(m.group(1).replace(",", ""))
        elif n[:1].isdigit():
            raise _Unsteady("a count in a note")
        out.append(n)
    return out


def _merge_order(order: list, new: list) -> None:
    """Add a batch's items (notes, reasons) where a whole read would have written them:
    after their predecessor in the batch, else before their successor."""
    for i, x in enumerate(new):
        if x in order:
            continue
        before = [y for y in new[:i] if y in order]
        after = [y for y in new[i + 1:] if y in order]
        at = order.index(before[-1]) + 1 if before else order.index(after[0]) if after else len(order)
        order.insert(at, x)


def _counted(note: str, counted: dict[str, int]) -> str:
    if note not in counted:
        return note
    k = counted[note]
    return f"{k:,} {'row' if k == 1 else 'rows'}{note}"
