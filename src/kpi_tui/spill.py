"""One big export's rows spilled to disk by customer (issue 12): `report` on a one-file folder
of more than SPILL_ROWS rows keeps memory flat at any size.

The file is read in batches (ingest.streamed); each batch, once parsed, normalised and
screened, has its counted columns (customer, day, amount, currency code) appended to Arrow IPC
part files in the user cache dir, a hash of the customer choosing the part: each part holds
every row of its customers. The period AGGREGATES are then computed part by part and added
up (a customer's movements are exact within its part), and so are the trailing windows'.
Within one file rows are never merged (METRICS.md): only the refunded-status rule looks across
rows, from the negative rows' order ids and the flagged rows kept aside in memory.

Anything the spill cannot do exactly (several files, e-mail linking, a layout not read in
batches, too many flagged rows, sums near int64's limits) falls back to the whole read, with
the reason logged at debug level. The parts are kept as the cache (a warm run reads them, not
the file), or with --no-cache deleted at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import ahead, arrow, dirs, safe
from kpi_tui.ingest import advice, plausible, refunded, rules, streamed
from kpi_tui.ingest.cache import read_json, write_json
from kpi_tui.ingest.currency import left_out_warnings, pick_currency
from kpi_tui.ingest.discover import discover
from kpi_tui.ingest.folder import Dataset
from kpi_tui.ingest.readers.base import SAMPLE
from kpi_tui.ingest.readers.source import open_regular
from kpi_tui.ingest.readers.sniff import _kind
from kpi_tui.ingest.schema import FileReport, UnusableFile
from kpi_tui.metrics.figures import as_of_day, window_sums, window_view, windows
from kpi_tui.metrics.figures import finish as finish_rows
from kpi_tui.metrics.ledger import (LIMIT, MICROS, Ledger, ledger_from_batches, period_sums,
                                    sorted_by_customer_day)
from kpi_tui.metrics.movements import AGGREGATES, aggregates, series_from_aggregates
from kpi_tui.metrics.periods import WINDOW_DAYS, period_of
from kpi_tui.session import Snapshot

log = logging.getLogger(__name__)

SPILL_ROWS = 12_000_000  # estimated rows of the one file beyond which report spills
PART_ROWS = 1 << 18  # rows a part, about: two summed at once bound the peak (1 << 20: +120 MB)
FLAGGED_MAX = 1_000_000  # refunded-status rows kept aside in memory; more: the whole read
NEGATIVES_MAX = 4_000_000  # negative rows' ids kept for them; more, with such rows: the same
KINDS = ("csv", "json", "jsonl", "parquet")  # read in batches by ingest.streamed
FORMAT = 1
SCHEMA = pa.schema([("customer", pa.string()), ("date", pa.int32()), ("amount", pa.float64()),
                    ("code", pa.int32())])  # code: of the currency in the meta's list, -1 none
STALE_TMP_SECONDS = 3600


class _Abort(Exception):
    """The spill cannot give the whole read's figures: read the folder the usual way."""


def threshold() -> int:
    """SPILL_ROWS, or the environment's KPI_TUI_SPILL_ROWS (0: every one-file folder)."""
    v = os.environ.get("KPI_TUI_SPILL_ROWS", "").strip()
    try:
        return int(v) if v else SPILL_ROWS
    except ValueError:
        return SPILL_ROWS


def estimate_rows(path: Path, size: int) -> tuple[str | None, int]:
    """(kind of the file, its rows estimated from the bytes per line of its first MB)."""
    f, _ = open_regular(path)  # never blocks on a FIFO swapped in
    with f:
        head = f.read(1 << 20)
    kind = _kind(path.name, head[:SAMPLE])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return kind, pq.ParquetFile(path).metadata.num_rows
    lines = head.count(b"\n")
    return kind, size if not lines else int(size * lines / len(head))


# ---- where the parts go (the user cache dir, never the data folder) ------------------------

def _root() -> Path:
    return dirs.cache_dir("spill")


def _dir(root: Path, key: str) -> Path:
    tag = hashlib.sha256(safe.encode(str(Path(root).resolve()))).hexdigest()[:16]
    return _root() / tag / key


_temporary: list[Path] = []  # parts of --no-cache runs: deleted at exit


def cleanup() -> None:
    """Delete the parts of runs without the cache (the command line calls this before it
    ends; atexit too)."""
    while _temporary:
        shutil.rmtree(_temporary.pop(), ignore_errors=True)


atexit.register(cleanup)


def _tmp(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in parent.iterdir():  # left by a crash
        if ".tmp" in old.name and now - old.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="parts.tmp", dir=parent))


# ---- the snapshot ------------------------------------------------------------------------

def snapshot(root: Path, settings) -> Snapshot | None:
    """The folder's snapshot from spilled parts, or None (then read it the usual way)."""
    try:
        return _snapshot(Path(root), settings)
    except (_Abort, OSError, UnusableFile) as e:  # the usual read says what is wrong
        log.debug("not spilled: %s", e)
        return None


def _snapshot(root: Path, settings) -> Snapshot:
    limit = threshold()
    paths, skipped = discover(root)
    if len(paths) != 1:
        raise _Abort(f"{len(paths)} files")
    path = paths[0]
    st = path.stat()
    kind, rows = estimate_rows(path, st.st_size)
    if kind not in KINDS:
        raise _Abort(f"a {kind} file is not read in batches")
    if rows <= limit and limit:
        raise _Abort(f"~{rows:,} rows, not more than {limit:,}")
    key = _key(root, settings, path, st, skipped) if settings.cache else None
    if key is not None:
        d = _dir(root, key)
        meta = _meta(d)
        if meta is not None:
            log.debug("spilled parts of %s reused", d)
            return Spilled(root, settings, d, meta)
        tmp = _tmp(d.parent)
    else:
        tmp = _tmp(_root() / "no-cache")
        _temporary.append(tmp)
    try:
        meta = _write(path, st, skipped, settings, tmp, max(1, -(-rows // PART_ROWS)))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.debug("%s spilled into %d parts", safe.name(path), len(meta["parts"]))
    if key is None:
        return Spilled(root, settings, tmp, meta)
    try:
        for old in d.parent.iterdir():  # the folder's older states go
            if old.name != d.name and ".tmp" not in old.name:
                shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, d)
    except OSError:  # another run's parts there: use ours, once
        _temporary.append(tmp)
        return Spilled(root, settings, tmp, meta)
    return Spilled(root, settings, d, meta)


def _key(root: Path, settings, path: Path, st, skipped: list) -> str | None:
    """The ledger cache's key of the folder (files, settings, code), this module's code too."""
    from kpi_tui import ledger_cache

    key = ledger_cache.folder_key(root, settings, [(path, st.st_size, st.st_mtime_ns)], skipped)
    if key is None:
        return None
    return hashlib.sha256((key + Path(__file__).read_text()).encode()).hexdigest()[:32]


def _meta(d: Path) -> dict | None:
    """The meta of kept parts, when every part is there at its size."""
    try:
        meta = read_json(d / "meta.json")
        if meta is None or meta.get("format") != FORMAT:
            return None
        files = meta["ledgers"] if "ledgers" in meta else meta["parts"]  # finished or raw
        if all((d / n).stat().st_size == size for n, size in files.items()):
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


class Spilled(Snapshot):
    """A Snapshot whose figures and trailing windows are summed part by part. What needs
    every row at once (customer lists, cohorts) gets a ledger built from the parts."""

    def __init__(self, root: Path, settings, d: Path, meta: dict):
        reports = []
        for r in meta["reports"]:
            r = dict(r)
            r["path"] = Path(r["path"])
            reports.append(FileReport(**r))
        ds = Dataset(root, meta["currency"], reports, meta["warnings"], rows=meta["rows"])
        self.dir, self.meta = d, meta
        self._ledger: Ledger | None = None
        self._normal: Snapshot | None = None
        stand_in = Ledger(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.int64),
                          np.empty(0, object), 0, meta["first_day"], meta["last_day"])
        super().__init__(ds, stand_in, settings)
        self._unattributed: int | None = None

    @property
    def ledger(self) -> Ledger:
        if self._normal is not None:
            return self._normal.ledger
        if self._ledger is None:
            self._ledger = self._whole_ledger()
        return self._ledger

    @ledger.setter
    def ledger(self, value) -> None:
        self._stand_in = value

    @property
    def unattributed_revenue(self) -> float:
        if self._unattributed is None and self._normal is None:
            self.figures(self.settings.granularity)
        if self._normal is not None:  # (the parts could not be read)
            return self._normal.unattributed_revenue
        return self._unattributed / MICROS

    with_trailing = False  # True: the figures' read of the parts sums the trailing windows too

    def figures(self, g: str) -> list[dict]:
        return self._get("figures", g, lambda: self._pass(g, self.with_trailing)[0])

    def trailing(self, g: str) -> dict | None:
        return self._get("trailing", g, lambda: self._pass(g, True)[1])

    def _pass(self, g: str, trailing: bool):
        """(figures, trailing (with `trailing`)) of g, one read of the parts; both kept."""
        if self._normal is None:
            try:
                figs, trail, unattributed = _summed(self, g, trailing)
            except (OSError, pa.ArrowException, ValueError, _Abort) as e:
                log.debug("spilled parts unreadable (%s): the folder read the usual way", e)
                self._fall_back()
        if self._normal is not None:
            n = self._normal
            return n.figures(g), (n.trailing(g) if trailing else None)
        self._unattributed = unattributed
        if trailing:
            self._done.setdefault(("trailing", g), trail)
        self._done.setdefault(("figures", g), figs)
        return figs, trail

    def _fall_back(self) -> None:
        """The folder read the usual way (its figures from now on)."""
        from kpi_tui import ledger_cache

        shutil.rmtree(self.dir, ignore_errors=True)
        ds, ledger = ledger_cache.load(self.dataset.root, self.settings, self.settings.cache,
                                       behind=True)
        self._normal = Snapshot(ds, ledger, self.settings)

    def _whole_ledger(self) -> Ledger:
        """Every part's ledger end to end (customer codes shifted: in (customer, day) order)."""
        cs, ds, ms, names, unattributed, off = [], [], [], [], 0, 0
        for name in self.meta["parts"]:
            ledger, _ = _part_ledger(self, name, finish=False, names=True)
            ledger = sorted_by_customer_day(ledger)
            cs.append(ledger.customer + np.int32(off))
            ds.append(ledger.day)
            ms.append(ledger.micros)
            names.append(ledger.names)
            unattributed += ledger.unattributed_micros
            off += ledger.customers
        return Ledger(np.concatenate(cs), np.concatenate(ds), np.concatenate(ms),
                      np.concatenate(names), unattributed, self.meta["first_day"],
                      self.meta["last_day"], ordered=True)


# ---- figures from the parts --------------------------------------------------------------

def _factors(meta: dict, currency: str | None, rates: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per currency code (+1: index 0 is no currency): the rate to the reporting currency
    and whether its rows count (ingest.currency.convert_rows)."""
    codes = meta["codes"]
    factor = np.ones(len(codes) + 1, np.float64)
    counted = np.ones(len(codes) + 1, bool)
    if currency is not None:
        for i, c in enumerate(codes, 1):
            if c == currency:
                continue
            if c in rates:
                factor[i] = rates[c]
            else:
                counted[i] = False
    return factor, counted


def _part_ledger(snap: Spilled, name: str, finish: bool,
                 names: bool = False) -> tuple[Ledger, tuple | None]:
    """A part's ledger, from its finished form when there is one; `finish`: in (customer,
    day) order, saved in that form (a warm run's period sums are then runs of rows, with no
    string read nor hashed): (ledger, (part, {file: size}, [unattributed micros, customers])
    saved). `names`: the customers' names read too (else only their number is known)."""
    led = f"ledger-{name[5:]}"
    if name in snap.meta.get("ledgers_of", {}):
        u, n = snap.meta["ledgers_of"][name]
        # mapped, not copied (the mapping goes with the arrays)
        b = pa.ipc.open_file(pa.memory_map(str(snap.dir / led))).get_batch(0)
        customer, day, micros = (arrow.to_numpy(c) for c in b.columns)
        if names:
            src = pa.memory_map(str(snap.dir / f"names-{name[5:]}"))
            nm = arrow.to_numpy(pa.ipc.open_file(src).read_all().column(0)).astype(object)
        else:  # the sums need only how many there are
            nm = np.empty(n, object)
        return Ledger(customer, day, micros, nm, u, None, None, ordered=True), None
    t = _counted(snap, name)
    ledger = ledger_from_batches(t.to_batches(), t.num_rows)
    del t
    if ledger.scale != MICROS:
        raise _Abort("a part's sums need fewer decimals")
    if not finish:
        return ledger, None
    ledger = sorted_by_customer_day(ledger)
    cols = pa.record_batch([arrow.array(ledger.customer), arrow.array(ledger.day),
                            arrow.array(ledger.micros)], ["customer", "day", "micros"])
    nm = f"names-{name[5:]}"
    for f, b in ((led, cols), (nm, pa.record_batch([arrow.strings(ledger.names)], ["name"]))):
        with pa.OSFile(str(snap.dir / f), "wb") as sink, pa.ipc.new_file(sink, b.schema) as w:
            w.write_batch(b)
    sizes = {f: (snap.dir / f).stat().st_size for f in (led, nm)}
    return ledger, (name, sizes, [ledger.unattributed_micros, ledger.customers])


def _counted(snap: Spilled, name: str) -> pa.Table:
    """A part's counted rows (customer, date as int32 days, amount converted)."""
    meta = snap.meta
    factor, counted = _factors(meta, meta["currency"], snap.settings.rates)
    with pa.memory_map(str(snap.dir / name)) as src:
        t = pa.ipc.open_file(src).read_all().combine_chunks()
    if t.num_rows == 0:
        return t.drop_columns(["code"])
    code = arrow.to_numpy(t.column("code")) + 1
    keep = counted[code]
    if (factor != 1.0).any():
        amount = arrow.to_numpy(t.column("amount")) * factor[code]  # x * 1.0 is x
        t = t.set_column(2, "amount", arrow.array(amount))
    t = t.drop_columns(["code"])
    return t if keep.all() else t.filter(arrow.array(keep))


def _summed(snap: Spilled, g: str, trailing: bool):
    """(figures, trailing windows (with `trailing`, else None), unattributed micros) of g,
    summed part by part (two parts at once: both cores)."""
    meta, s = snap.meta, snap.settings
    first_day, last_day = meta["first_day"], meta["last_day"]
    d = as_of_day(snap._stand_in, s.as_of)  # (None: no row counts, no as-of date given)
    if first_day is None:  # no period; the windows of an as-of date, empty
        first, last, parts = 0, -1, []
    else:
        first, last, parts = period_of(first_day, g), period_of(last_day, g), list(meta["parts"])
    trailing = trailing and d is not None
    ws = windows(d, WINDOW_DAYS[g]) if trailing else {}
    pairs = (("previous", "current"), ("year_ago", "current")) if trailing else ()

    finish = snap.dir not in _temporary and "ledgers_of" not in meta  # kept: finished

    def part(name: str):
        ledger, saved = _part_ledger(snap, name, finish)
        ledger.first_day, ledger.last_day = first_day, last_day  # every part: one series
        aggs = aggregates(period_sums(ledger, g))
        wins = [aggregates(window_sums(ledger, ws[a], ws[b])) for a, b in pairs]
        return aggs, wins, ledger.unattributed_micros, saved

    total = {k: np.zeros(last - first + 1, np.int64) for k in AGGREGATES}
    wtotal = [{k: np.zeros(2, np.int64) for k in AGGREGATES} for _ in pairs]
    unattributed, saved = 0, []
    for aggs, wins, u, done in ahead.in_order(part, parts):
        unattributed += u
        saved.append(done)
        for k, v in aggs.items():
            total[k] += v
        for acc, w in zip(wtotal, wins):
            for k, v in w.items():
                acc[k] += v
    if finish and parts:
        _finished(snap, saved)
    figs = finish_rows(series_from_aggregates(first, last, total, s.margin, MICROS), g, d) \
        if parts else []
    if not trailing:
        return figs, None, unattributed
    prev, cur = series_from_aggregates(0, 1, wtotal[0], s.margin, MICROS)
    yago, cur_y = series_from_aggregates(0, 1, wtotal[1], s.margin, MICROS)
    return figs, window_view(g, ws, prev, cur, yago, cur_y), unattributed


def _finished(snap: Spilled, saved: list) -> None:
    """The meta says the parts are finished (ledgers); the raw parts go."""
    meta = dict(snap.meta)
    meta["ledgers"] = {f: size for _, sizes, _ in saved for f, size in sizes.items()}
    meta["ledgers_of"] = {name: u for name, _, u in saved}
    try:
        write_json(snap.dir / "meta.json", meta, durable=False)  # (fsync: waits for all)
    except OSError:
        return
    snap.meta = meta
    for name in meta["parts"]:
        with contextlib.suppress(OSError):
            (snap.dir / name).unlink()


# ---- writing the parts -------------------------------------------------------------------

WORDS = 8  # 8-byte words of a customer hashed (then its last 8 bytes)


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)  # k bytes of a word


def bucket(customer: pa.Array, n: int) -> np.ndarray:
    """A part in [0, n) for each customer (a hash of its length, its first WORDS * 8 bytes and
    its last 8; null: as the empty string): the same customer, the same part."""
    if isinstance(customer, pa.ChunkedArray):
        customer = customer.combine_chunks()
    if n == 1 or len(customer) == 0:
        return np.zeros(len(customer), np.int32)
    bufs = customer.buffers()
    offs = np.frombuffer(bufs[1], np.int32, len(customer) + 1, customer.offset * 4)
    start, end = offs[:-1], offs[1:]
    raw = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    lo, hi = int(offs[0]), int(offs[-1])
    size = hi - lo + 8 * WORDS + 24
    data = np.zeros(size + (-size) % 8, np.uint8)  # zeros before and after
    data[8:8 + hi - lo] = raw[lo:hi]
    aligned = data.view(np.uint64)

    def word(p: np.ndarray) -> np.ndarray:
        """The 8 bytes at each position p of `data` as one uint64 (little-endian): two aligned
        words put together (an unaligned view's gather is 5x slower)."""
        r = ((p & 7) * 8).astype(np.uint64)
        q = p >> 3
        high = (aligned.take(q + 1) << (np.uint64(63) - r)) << np.uint64(1)  # 0 when r is 0
        return (aligned.take(q) >> r) | high

    at = (start - lo + 8).astype(np.int64)
    length = (end - start).astype(np.int64)
    k1, k2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)
    h = length.astype(np.uint64) * k1
    short, top = int(length.min()), int(length.max())
    for i in range(min(WORDS, -(-top // 8))):
        w = word(at + 8 * i)
        if short < 8 * (i + 1):  # some strings end within this word: their bytes only
            w &= _MASKS.take(np.clip(length - 8 * i, 0, 8))
        h ^= w
        h *= k2
        h ^= h >> np.uint64(31)
    if top > 8 * WORDS:
        h ^= np.where(length > 8 * WORDS, word(end.astype(np.int64) - lo), np.uint64(0))
        h *= k1
    h ^= h >> np.uint64(29)
    h *= k2
    return ((h >> np.uint64(32)) % np.uint64(n)).astype(np.int32)


class _Parts:
    """The batches' counted columns, appended to `n` IPC files by customer."""

    def __init__(self, d: Path, n: int, settings):
        self.d, self.n = d, n
        self.names = [f"part-{i:04d}.arrow" for i in range(n)]
        self._writers = [None] * n
        self.codes: dict[str | None, int] = {}  # currency -> code (None: -1)
        self.rows = Counter()  # code -> rows
        self.day_lo: dict[int, int] = {}  # code -> first day
        self.day_hi: dict[int, int] = {}
        self.negatives: list[pa.Table] | None = []  # txn_id, code of negative rows (None:
        self.negatives_n = 0  # more than NEGATIVES_MAX, let go while no row was flagged)
        self.flagged: list[pa.Table] = []  # refunded-status rows, kept aside
        self.flagged_n = 0
        self.abs_sum = 0.0
        self.screen = plausible.Screen(settings)
        self.linking = rules.linking(settings)

    def _code(self, t: pa.Table) -> np.ndarray:
        cur = t.column("currency").combine_chunks()
        if cur.null_count == len(cur):
            return np.full(len(cur), -1, np.int32)
        enc = pc.dictionary_encode(cur)
        local = np.array([self.codes.setdefault(v, len(self.codes))
                          for v in enc.dictionary.to_pylist()] + [-1], np.int32)
        return local[arrow.to_numpy(arrow.fill_null(enc.indices, -1))]

    def add(self, t: pa.Table) -> None:
        if self.linking and t.column("email").null_count < t.num_rows:
            raise _Abort("e-mail identities to link")
        t, mask = self.screen.batch(t)
        if mask is not None and pc.any(mask).as_py():
            t = t.filter(pc.invert(mask))
        if t.num_rows == 0:
            return
        code = self._code(t)
        day = arrow.to_numpy(t.column("date").cast(pa.int32()))
        amount = arrow.to_numpy(t.column("amount"))
        self.abs_sum += float(np.abs(amount).sum())
        self._days(code, day)
        neg = amount < 0
        if neg.any() and self.negatives is not None:
            ids = t.column("txn_id").filter(arrow.array(neg))
            self.negatives.append(pa.table({"txn_id": ids, "code": code[neg]}))
            self.negatives_n += len(ids)
            if self.negatives_n > NEGATIVES_MAX:
                self.negatives = None  # needed only by rows whose status says refunded
        flag = t.column("refunded_status")
        rows = pa.table({"customer": t.column("customer"), "date": arrow.array(day),
                         "amount": t.column("amount"), "code": arrow.array(code)}, SCHEMA)
        f = None
        if flag.null_count < len(flag) and pc.any(flag).as_py():
            f = arrow.fill_null(flag, False).combine_chunks()
            self.flagged_n += int(pc.sum(f).as_py())
            if self.flagged_n > FLAGGED_MAX:
                raise _Abort(f"more than {FLAGGED_MAX:,} rows whose status says refunded")
        if self.flagged_n and self.negatives is None:
            raise _Abort(f"rows whose status says refunded, and more than {NEGATIVES_MAX:,} "
                         "negative rows")
        if f is not None:
            ids = t.column("txn_id").filter(f)
            self.flagged.append(rows.filter(f).append_column("txn_id", ids))
            rows = rows.filter(pc.invert(f))
        self._write(rows)

    def _days(self, code: np.ndarray, day: np.ndarray) -> None:
        lo, hi = int(code.min()), int(code.max())
        groups = [(lo, slice(None))] if lo == hi else \
            [(c, code == c) for c in np.unique(code).tolist()]
        for c, m in groups:
            d = day[m]
            self.rows[c] += len(d)
            self.day_lo[c] = min(self.day_lo.get(c, 1 << 31), int(d.min()))
            self.day_hi[c] = max(self.day_hi.get(c, -(1 << 31)), int(d.max()))

    def _write(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        b = bucket(rows.column("customer"), self.n)
        order = np.argsort(b.astype(np.int16) if self.n < 2**15 else b, kind="stable")  # radix
        counts = np.bincount(b, minlength=self.n)
        rows = rows.take(arrow.array(order)).combine_chunks()
        at = 0
        for i, k in enumerate(counts.tolist()):
            if k:
                w = self._writers[i]
                if w is None:
                    w = self._writers[i] = pa.ipc.new_file(str(self.d / self.names[i]), SCHEMA)
                w.write_table(rows.slice(at, k))
                at += k

    def close(self) -> None:
        for i, w in enumerate(self._writers):
            if w is None:  # an empty part: written anyway (every part is in the meta)
                w = pa.ipc.new_file(str(self.d / self.names[i]), SCHEMA)
            w.close()

    def refunds(self, currency: str | None, rates: dict, key: str) -> list[str]:
        """The refunded-status rule (ingest.refunded) on the rows kept aside, whose amounts
        counted as 0 are set to 0 before they are written; its notes."""
        if not self.flagged:
            return []
        codes = [None] * len(self.codes)
        for c, i in self.codes.items():
            codes[i] = c
        _, counted = _factors({"codes": codes}, currency, rates)
        flagged = pa.concat_tables(self.flagged).combine_chunks()
        self.flagged = []
        is_counted = counted[arrow.to_numpy(flagged.column("code")) + 1]
        negs = None
        if self.negatives:
            n = pa.concat_tables(self.negatives)
            n = n.filter(arrow.array(counted[arrow.to_numpy(n.column("code")) + 1]))
            negs = pc.drop_null(n.column("txn_id")).combine_chunks()
        has = np.zeros(flagged.num_rows, bool) if negs is None or not len(negs) else \
            arrow.to_numpy(arrow.fill_null(pc.is_in(flagged.column("txn_id"), value_set=negs),
                                           False)).astype(bool)
        zero, kept = is_counted & ~has, is_counted & has
        if zero.any():
            amount = arrow.to_numpy(flagged.column("amount")).copy()
            amount[zero] = 0.0
            flagged = flagged.set_column(2, "amount", arrow.array(amount))
        self._write(flagged.drop_columns(["txn_id"]))
        notes = []
        if zero.any():
            notes.append(refunded._words(int(zero.sum()), refunded.ZEROED))
        if kept.any():
            notes.append(refunded._words(int(kept.sum()), refunded.KEPT))
        return notes


def _write(path: Path, st, skipped: list, settings, d: Path, n: int) -> dict:
    """Stream the file into `n` parts in `d`; the meta (also written there)."""
    parts = _Parts(d, n, settings)
    try:
        done = streamed.parse_streamed(path, settings, sink=parts.add)
    except _Abort:
        parts.close()
        raise
    if done is None:
        parts.close()
        raise _Abort("the file is not read in batches the same way as whole")
    _, report, _ = done
    report.size, report.mtime = st.st_size, st.st_mtime
    drops = parts.screen.drops()
    for reason, k in drops.items():
        report.drops[reason] = report.drops.get(reason, 0) + k
    codes = [None] * len(parts.codes)
    for c, i in parts.codes.items():
        codes[i] = c
    # describe(): the file's rows after the screen
    report.rows_kept = sum(parts.rows.values())
    if report.rows_kept == 0:
        parts.close()
        raise _Abort("every row left out")
    report.date_min = plausible.iso(min(parts.day_lo.values()))
    report.date_max = plausible.iso(max(parts.day_hi.values()))
    report.currencies = sorted(c for c in codes if c is not None)
    counts = Counter({codes[c]: k for c, k in parts.rows.items() if c >= 0})
    currency = pick_currency(counts, settings.currency)
    rates = settings.rates
    top = max([1.0] + [abs(r) for r in rates.values()])
    if parts.abs_sum * top * MICROS >= LIMIT / 4:
        parts.close()
        raise _Abort("sums near int64's limits")
    notes = parts.refunds(currency, rates, str(path))
    parts.close()
    report.notes.extend(x for x in notes if x not in report.notes)
    _, counted = _factors({"codes": codes}, currency, rates)
    kept = [c for c in parts.rows if counted[c + 1]]
    left = Counter({codes[c]: parts.rows[c] for c in parts.rows if not counted[c + 1]})
    reports = list(skipped) + [report]
    warnings = left_out_warnings(left, currency) + advice.warnings(reports, {})
    reports.sort(key=lambda r: str(r.path))
    fields = [f.name for f in dataclasses.fields(FileReport)]
    meta = {
        "format": FORMAT, "currency": currency, "warnings": warnings,
        "rows": sum(parts.rows[c] for c in kept), "codes": codes,
        "first_day": min((parts.day_lo[c] for c in kept), default=None),
        "last_day": max((parts.day_hi[c] for c in kept), default=None),
        "reports": [{**{f: getattr(r, f) for f in fields}, "path": str(r.path)} for r in reports],
        "parts": {name: (d / name).stat().st_size for name in parts.names},
    }
    write_json(d / "meta.json", meta, durable=False)  # its own crc: a torn one is a miss
    return meta
