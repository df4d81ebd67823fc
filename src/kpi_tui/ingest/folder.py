"""Read every export of a data folder into one table of transactions (METRICS.md, Input)."""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import ahead, arrow, safe
from kpi_tui.ingest import advice, plausible
from kpi_tui.ingest.cache import ParseCache
from kpi_tui.ingest.currency import (convert_rows, count_currencies, left_out_warnings,
                                     only_code, pick_currency)
from kpi_tui.ingest.dedupe import SMALL_FILES, Part, dedupe_masks, scope_of
from kpi_tui.ingest import grouped, rules, streamed
from kpi_tui.ingest.discover import discover
from kpi_tui.ingest.layouts import normalize
from kpi_tui.ingest.readers import open_regular, read_head, read_raw
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport, UnusableFile, empty_transactions
from kpi_tui.settings import Settings


PROBE_OVER = 16 << 20  # text files larger than this are judged from their header first


@dataclass
class Selection:
    """One file's table and what of it counts: rows to keep, amounts after conversion."""

    table: pa.Table
    keep: np.ndarray | None = None  # None: every row
    amount: pa.Array | None = None  # None: the table's own amounts

    def batches(self, columns=("customer", "date", "amount"), release: bool = False):
        """`release`: this selection is let go as it is read (its other columns at once, then
        each batch once yielded: a streamed file's memory goes back batch by batch)."""
        t = self.table.select(list(columns))  # batch by batch: no copy of a streamed file
        if self.amount is not None and "amount" in columns:
            t = t.set_column(t.schema.get_field_index("amount"), "amount", self.amount)
        batches = t.to_batches()
        del t
        if release:
            self.table = self.amount = None
        off = 0
        for i in range(len(batches)):
            b = batches[i]
            if release:
                batches[i] = None
                pa.default_memory_pool().release_unused()  # the batch before it, given back
            n = b.num_rows
            if self.keep is not None:
                k = self.keep[off:off + n]
                if not k.all():
                    b = b.filter(arrow.array(k))
            off += n
            if b.num_rows:
                yield b


class Dataset:
    """The folder's transactions: TXN_SCHEMA rows, deduplicated, in the reporting currency,
    with every file's report, the reporting currency and the warnings.

    The rows are either one table (`transactions`), or (the folder loader, to save memory) each
    file's table with the rows that count (`selections`), or gone: `drain()` let them go into a
    ledger, or they were never loaded (the ledger cache); then `rows` says how many there were."""

    def __init__(self, root: Path, currency: str | None, files: list[FileReport],
                 warnings: list[str] | None = None, *, selections: list[Selection] | None = None,
                 transactions: pa.Table | None = None, rows: int | None = None):
        self.root = root
        self.currency = currency
        self.files = files
        self.warnings = list(warnings or [])
        self.selections = selections
        self._transactions = transactions
        self._released = selections is None and transactions is None
        if self._released and rows is None:
            raise ValueError("a Dataset without rows needs their number")
        self._rows = rows

    def batches(self, columns=("customer", "date", "amount")):
        """Record batches of the counted rows, one file at a time."""
        if self._released:
            raise RuntimeError("the rows were let go when the ledger was built")
        if self.selections is None:
            yield from self._transactions.select(list(columns)).to_batches()
        else:
            for s in self.selections:
                yield from s.batches(columns)

    @property
    def transactions(self) -> pa.Table:
        if self._transactions is None:
            b = list(self.batches(TXN_SCHEMA.names))
            self._transactions = pa.Table.from_batches(b, TXN_SCHEMA) if b else empty_transactions()
        return self._transactions

    @property
    def rows(self) -> int:
        if self._rows is None:
            if self.selections is None:
                self._rows = self._transactions.num_rows
            else:
                self._rows = sum(s.table.num_rows if s.keep is None else int(s.keep.sum())
                                 for s in self.selections)
        return self._rows

    def drain(self):
        """The counted rows as record batches, each file's let go once read (memory):
        afterwards only the files' reports, currency, warnings and row count remain."""
        self.rows  # noqa: B018 - counted while the rows are here
        if self.selections is None:
            yield from self.batches()
        else:
            while self.selections:
                yield from self.selections.pop(0).batches(release=True)
                pa.default_memory_pool().release_unused()
        self.selections, self._transactions, self._released = [], None, True
        pa.default_memory_pool().release_unused()

    @property
    def used(self) -> list[FileReport]:
        return [f for f in self.files if f.usable]

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if not f.usable]


def fingerprint(settings: Settings) -> str:
    m = asdict(settings.mapping) if settings.mapping else None
    # the currency too: layouts read with it ($ is that dollar; Stripe's converted amounts)
    return json.dumps([settings.timezone, settings.date_order, m, settings.currency], sort_keys=True,
                      default=str)


def parse_file(path: Path, settings: Settings) -> tuple[pa.Table, FileReport, pa.Array | None]:
    """Read and normalise one file: (transactions, report, ids of rows not counted).
    Raises UnusableFile."""
    report = FileReport(path=path)
    tables, layouts, mappings, other_ids = [], [], {}, []
    size = path.stat().st_size
    probe = read_head(path) if size > PROBE_OVER else None
    if probe is not None and probe.table.num_rows:
        normalize(probe, settings)  # a large file without the columns needed: refused unread
    if done := streamed.parse_streamed(path, settings, size=size):
        table, report, other = done
        describe(report, table)
        return table, report, other
    raws = read_raw(path)
    errors = []
    for raw in raws:
        try:
            norm = normalize(raw, settings)
        except UnusableFile as e:
            errors.append(e)
            continue
        tables.append(norm.table.cast(TXN_SCHEMA))
        if norm.dropped_ids is not None:
            other_ids.append(norm.dropped_ids.cast(pa.string()))
        layouts.append(norm.layout)
        mappings.update(norm.mapping)
        report.rows_read += norm.rows_read + getattr(raw, "bad_rows", 0)
        for k, n in norm.drops.items():
            report.drops[k] = report.drops.get(k, 0) + n
        if getattr(raw, "bad_rows", 0):
            report.drops["malformed line"] = report.drops.get("malformed line", 0) + raw.bad_rows
        report.notes.extend(norm.notes)
    for raw in raws:
        report.notes.extend(getattr(raw, "notes", []))
    if not tables:
        raise errors[0] if errors else UnusableFile(f"{path.name}: no table found in the file")
    if errors:
        report.notes.extend(map(str, errors))
    table = pa.concat_tables(tables).unify_dictionaries() if len(tables) > 1 else tables[0]
    report.layout = ", ".join(dict.fromkeys(layouts))
    report.mapping = mappings
    describe(report, table)
    return table, report, pa.concat_arrays(other_ids) if other_ids else None


def describe(report: FileReport, table: pa.Table) -> None:
    report.rows_kept = table.num_rows
    report.date_min = report.date_max = None
    if table.num_rows:  # as int32 days: a date Python cannot hold (year 0) never raises
        mm = pc.min_max(table.column("date").cast(pa.int32())).as_py()
        report.date_min = plausible.iso(mm["min"]) if mm["min"] is not None else None
        report.date_max = plausible.iso(mm["max"]) if mm["max"] is not None else None
        report.currencies = sorted(pc.unique(pc.drop_null(table.column("currency"))).to_pylist())


def _content_hash(path: Path) -> str | None:
    try:
        f, _ = open_regular(path)  # never blocks on a FIFO swapped in
        with f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except (OSError, UnusableFile):
        return None


def load_file(path: Path, settings: Settings, cache: ParseCache | None, parsed=None):
    """(Part or None, FileReport) for one file; never raises: any error in reading, parsing,
    normalising or caching skips the file with its reason (issue 13). `parsed`: from
    grouped.ahead (read with other small files)."""
    try:
        return _load_file(path, settings, cache, parsed)
    except MemoryError:
        return None, FileReport(path=path, error=f"{safe.name(path)} is too large to read into memory.")
    except Exception as e:  # noqa: BLE001 - one poison file never stops the others
        why = safe.text(str(e).splitlines()[0] if str(e) else "")
        return None, FileReport(path=path, error=f"{safe.name(path)} could not be read "
                                                 f"({type(e).__name__}{': ' + why if why else ''}).")


def _load_file(path: Path, settings: Settings, cache: ParseCache | None, parsed=None):
    try:
        st = grouped.stat_when_read(parsed) or path.stat()  # a group's file: as it was when read
    except OSError as e:
        return None, FileReport(path=path, error=f"{safe.name(path)}: cannot be read ({e.strerror})")
    hit = cache.get(path, st) if cache else None
    screened = False  # True: screen() would leave the table as it is
    if hit:
        table, report, chash, other_ids = hit
    else:
        try:
            if got := grouped.matching(parsed, st):  # a small file, read with others
                table, report, other_ids, screened = got
                cache = None  # no entry: reading it again with its group costs less than one
            else:
                table, report, other_ids = parse_file(path, settings)
        except UnusableFile as e:
            return None, FileReport(path=path, size=st.st_size, mtime=st.st_mtime, error=str(e),
                                    headers=e.headers, guess=e.guess)
        except (OSError, MemoryError) as e:
            msg = getattr(e, "strerror", None) or type(e).__name__
            return None, FileReport(path=path, size=st.st_size, mtime=st.st_mtime,
                                    error=f"{safe.name(path)}: cannot be read ({msg})")
        report.size, report.mtime = st.st_size, st.st_mtime
        no_ids = table.column("txn_id").null_count == table.num_rows
        chash = _content_hash(path) if no_ids else None
        if cache:
            cache.put(path, st, table, report, chash, other_ids)
        pa.default_memory_pool().release_unused()  # what parsing freed goes back to the OS
    # after the cache: today's window
    table, drops, dropped = (table, {}, None) if screened else plausible.screen(table, settings)
    if drops:
        for reason, n in drops.items():
            report.drops[reason] = report.drops.get(reason, 0) + n
        describe(report, table)
        if dropped is not None:
            other_ids = dropped if other_ids is None else pc.unique(pa.concat_arrays([other_ids, dropped]))
    return Part(str(path), st.st_mtime, table, chash, other_ids, scope=scope_of(report),
                last_day=_day(report.date_max)), report


def _day(iso: str | None) -> int | None:
    """Days since 1970-01-01 of describe()'s ISO date (None: unknown, or not plainly written)."""
    if iso is None or len(iso) != 10 or not iso[:4].isdigit():
        return None
    return int(np.datetime64(iso, "D").astype(np.int64))


def load_folder(root: Path, settings: Settings | None = None, use_cache: bool | None = None,
                cache: ParseCache | None = None) -> Dataset:
    settings = settings or Settings()
    if use_cache is None:
        use_cache = settings.cache
    if cache is None and use_cache:
        cache = ParseCache(fingerprint(settings))
    paths, skipped = discover(root)
    parts: list[Part] = []
    reports: list[FileReport] = list(skipped)
    cache = cache if use_cache else None
    with cache.behind() if cache is not None else contextlib.nullcontext():
        items = grouped.ahead(paths, settings, cache)
        for part, report in loaded(items, settings, cache, ids=len(paths) > 1):
            reports.append(report)
            if part is not None:
                parts.append(part)
    return assemble(root, parts, reports, settings)


def loaded(items, settings: Settings, cache: ParseCache | None, ids: bool = False):
    """load_file of each (path, parsed) of `items` (grouped.ahead), in order. Files to parse
    are read two at once by threads (both cores), and with `ids` (other files to dedupe
    against) their ids told apart there (Part.int_ids); a file read with its group is finished
    here (little is left to do)."""
    return ahead.in_order(lambda x: _load_ahead(*x, settings, cache, ids), items,
                          inline=lambda x: x[1] is not None)


def _load_ahead(path: Path, parsed, settings: Settings, cache: ParseCache | None, ids: bool):
    part, report = load_file(path, settings, cache, parsed)
    if ids:
        ids_ahead(part)
    return part, report


def ids_ahead(part: Part | None) -> None:
    """Dedupe's work on a big file's ids (told apart: numbers or text), done on the calling
    thread's core, for a dedupe of the whole folder to come (which uses it up)."""
    if part is not None and part.table.num_rows > SMALL_FILES and part.has_ids():
        part.int_ids()


@dataclass
class Assembled:
    """A folder's dataset and what it was made of, kept to add new files to it later."""

    dataset: Dataset
    counts: Counter  # rows per currency named, over the rows that count
    left_out: Counter  # rows left out per currency (no rate)
    applied: rules.Applied  # what the cross-file rules did


def assemble(root: Path, parts: list[Part], reports: list[FileReport],
             settings: Settings) -> Dataset:
    """Dedupe and convert currencies: the folder's transactions from its parsed files."""
    return assemble_parts(root, parts, reports, settings).dataset


def assemble_parts(root: Path, parts: list[Part], reports: list[FileReport], settings: Settings,
                   deduped: tuple[list[np.ndarray | None], dict] | None = None) -> Assembled:
    """`assemble`, with what it was made of. `deduped`: dedupe_masks' result when already known
    (each part's rows that count, and the drops); else the parts are deduplicated here."""
    keeps, drops = dedupe_masks(parts) if deduped is None else deduped
    tables = [p.table for p in parts]
    add_drops(reports, drops)
    one = only_code(tables) if len(tables) > 1 else None  # the usual: a single currency
    if settings.currency:
        counts = Counter()  # set: unused
    elif one is not None:
        n = sum(t.num_rows if k is None else int(k.sum()) for t, k in zip(tables, keeps))
        counts = Counter({one: n} if n else {})
    else:
        counts = count_currencies(tables, keeps)
    currency = pick_currency(counts, settings.currency)
    warnings: list[str] = []
    selections = []
    left_total: Counter = Counter()
    for t, keep in zip(tables, keeps):
        if one is not None and one == currency:  # nothing to convert nor leave out
            selections.append(Selection(t, keep))
            continue
        amount, keep, left_out, _ = convert_rows(t, keep, currency, settings.rates)
        left_total.update(left_out)
        selections.append(Selection(t, keep, amount))
    applied = rules.apply([p.key for p in parts], [p.scope for p in parts], selections, settings)
    rules.add_notes(reports, applied)
    warnings += left_out_warnings(left_total, currency)
    warnings += advice.warnings(reports, {p.key: t for p, t in zip(parts, tables)})
    reports.sort(key=lambda r: str(r.path))
    pa.default_memory_pool().release_unused()
    ds = Dataset(root, currency, reports, warnings, selections=selections)
    return Assembled(ds, counts, left_total, applied)


def add_drops(reports: list[FileReport], drops: dict[str, dict[str, int]]) -> None:
    """Dedupe's drops, added to the files' reports."""
    by_key = {str(r.path): r for r in reports}
    for key, d in drops.items():
        r = by_key[key]
        for reason, n in d.items():
            r.drops[reason] = r.drops.get(reason, 0) + n
            r.rows_kept -= n
