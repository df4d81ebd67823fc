"""Parsed files, cached in the user cache dir (honours XDG_CACHE_HOME); never in the data folder.

An entry is keyed by the file's path, size and mtime and by the settings that change parsing;
it holds the file's transactions (Arrow IPC, memory-mapped on read) and its FileReport.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from kpi_tui import __version__, dirs, safe
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport

FORMAT = 3  # bump when the cache layout changes


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the ingest code: a change of parsing never reuses old cached results."""
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).resolve().parent
    for f in sorted(here.rglob("*.py")):
        h.update(str(f.relative_to(here)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def resolver():
    """str(Path(p).resolve()) of many paths: a file that is no link is its folder's real path
    and its name (each folder resolved once, not each file's every component: 20,000 files)."""
    folders: dict[str, str] = {}

    def real(p) -> str:
        s = os.fspath(p)
        head, name = os.path.split(s)
        if os.path.islink(s) or not name or name in (".", ".."):
            return str(Path(s).resolve())
        if head not in folders:
            folders[head] = str(Path(head or ".").resolve())
        return os.path.join(folders[head], name)

    return real


def cache_dir() -> Path:
    return dirs.cache_dir("parsed")


def _h(text: str) -> str:
    return hashlib.sha256(safe.encode(text)).hexdigest()[:24]


class ParseCache:
    def __init__(self, fingerprint: str, root: Path | None = None):
        self.root = root or cache_dir()
        self.fingerprint = f"{code_version()}/{FORMAT}/{fingerprint}"
        self._entries: dict[str, set[str]] | None = None  # prefix -> its files, read once
        self._prefix: dict[Path, str] = {}
        self._real = resolver()  # path.resolve(), each folder once
        self._writer: ThreadPoolExecutor | None = None  # entries written beside the parsing
        self._pending: list[tuple[str, Future]] = []  # (entry's JSON name, its writing)
        self._behind = False  # within behind(): entries written by a thread
        self._holding = False  # within held(): entries kept for write_held()
        self._held: list[tuple] = []
        self._lock = threading.RLock()  # put and get may come from several reading threads

    def _older(self, prefix: str) -> set[str]:
        """The cache's files of one export (its older versions): the folder is listed once,
        not once a file (a glob a file made a drop folder of 20,000 exports quadratic)."""
        with self._lock:
            if self._entries is None:
                entries: dict[str, set[str]] = {}
                try:
                    with os.scandir(self.root) as it:
                        for e in it:
                            entries.setdefault(e.name.split("-", 1)[0], set()).add(e.name)
                except OSError:  # no cache yet
                    pass
                self._entries = entries
            return self._entries.setdefault(prefix, set())

    def _paths(self, path: Path, st: os.stat_result) -> tuple[str, Path, Path]:
        prefix = self._prefix.get(path)
        if prefix is None:  # resolved once a path (has, get and put each need it)
            prefix = self._prefix[path] = _h(self._real(path))
        key = _h(f"{st.st_size}/{st.st_mtime_ns}/{self.fingerprint}")
        base = self.root / f"{prefix}-{key}"
        return prefix, base.with_suffix(".arrow"), base.with_suffix(".json")

    def has(self, path: Path) -> bool:
        """Whether an entry for the file as it is now exists (not checked: `get` does)."""
        try:
            prefix, _, meta = self._paths(path, path.stat())
        except OSError:
            return False
        return meta.name in self._older(prefix)  # the folder as listed once

    def get(self, path: Path, st: os.stat_result):
        """(table, report, content_hash, other_ids) or None. Any entry that does not match its
        checksums, or fails to load in any way, is a miss (issue 13): never a crash."""
        prefix, data, meta = self._paths(path, st)
        if meta.name not in self._older(prefix):  # (listed once: no open a missing entry)
            return None
        with self._lock:
            pending = [f for name, f in self._pending if name == meta.name]
        for f in pending:  # put a moment ago: written first
            f.result()
        try:
            info = read_json(meta)
            if info is None or not verify(data, info["sums"]["data"]):
                return None
            table = pa.ipc.open_file(pa.memory_map(str(data))).read_all()
            other_ids = None
            if info.get("other_ids"):
                ids_file = data.with_suffix(".ids.arrow")
                if not verify(ids_file, info["sums"]["ids"]):
                    return None
                other_ids = pa.ipc.open_file(pa.memory_map(str(ids_file))).read_all().column(0)
                other_ids = other_ids.combine_chunks()
            if table.schema != TXN_SCHEMA:
                return None
            rep = info["report"]
            rep["path"] = path
            return table, FileReport(**rep), info.get("content_hash"), other_ids
        except Exception:  # noqa: BLE001 - a damaged entry costs a parse, nothing else
            return None

    def put(self, path: Path, st: os.stat_result, table: pa.Table, report: FileReport,
            content_hash: str | None, other_ids: pa.Array | None = None) -> None:
        """Write an entry; within `behind()`, in the background (a thread: pyarrow and zlib let
        the GIL go, so the second core writes while the next file is parsed); within `held()`,
        at `write_held()`. The report is copied now: the caller goes on changing it."""
        rep = {k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
               for k, v in vars(report).items()}  # (asdict deep-copies: ~0.7 ms a file)
        rep["path"] = str(report.path)
        with self._lock:
            if self._holding:
                self._held.append((path, st, table, rep, content_hash, other_ids))
                return
        self._enter(path, st, table, rep, content_hash, other_ids)

    def _enter(self, path: Path, st: os.stat_result, table: pa.Table, rep: dict,
               content_hash: str | None, other_ids: pa.Array | None) -> None:
        prefix, data, meta = self._paths(path, st)
        with self._lock:
            older = self._older(prefix)
            stale = set(older)  # older versions of this file: removed before the new one is written
            older.clear()
            older.update((data.name, meta.name) + ((data.with_suffix(".ids.arrow").name,)
                                                   if other_ids is not None else ()))
            if self._behind and self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="kpi-tui-cache")
            writer = self._writer if self._behind else None
        if writer is None:
            return self._put(stale, data, meta, table, rep, content_hash, other_ids)
        self._wait(1)  # at most two tables held for the writer
        job = writer.submit(self._put, stale, data, meta, table, rep, content_hash, other_ids)
        with self._lock:
            self._pending.append((meta.name, job))

    @contextlib.contextmanager
    def behind(self):
        """Within: entries written in the background; all written on the way out."""
        self._behind = True
        try:
            yield self
        finally:
            self._behind = False
            self.flush()

    @contextlib.contextmanager
    def held(self):
        """Within: entries kept, not written (the monitor's first read: its writes would take
        a core from the reading), until `write_held()`."""
        with self._lock:
            self._holding = True
        try:
            yield self
        finally:
            with self._lock:
                self._holding = False

    @property
    def holds(self) -> bool:
        """Entries are waiting for write_held()."""
        return bool(self._held)

    def write_held(self) -> None:
        """Write the entries held, here, one after another."""
        while True:
            with self._lock:
                if not self._held:
                    return
                entry = self._held.pop(0)
            self._enter(*entry)

    def flush(self) -> None:
        """Wait until every entry put is written."""
        self._wait(0)

    def _wait(self, most: int) -> None:
        """Wait until at most `most` entries are being written."""
        while True:
            with self._lock:
                if len(self._pending) <= most:
                    return
                job = self._pending.pop(0)[1]
            job.result()

    def _put(self, stale, data: Path, meta: Path, table: pa.Table, rep: dict,
             content_hash: str | None, other_ids: pa.Array | None) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for old in stale:
                (self.root / old).unlink(missing_ok=True)
            sums = {"data": _write(data, table.cast(TXN_SCHEMA))}
            if other_ids is not None:
                sums["ids"] = _write(data.with_suffix(".ids.arrow"), pa.table({"id": other_ids}))
            # no fsync: an entry torn by a crash fails its checksums, a miss (one parse again);
            # the JSON last: until it is there, the entry is a miss
            write_json(meta, {"report": rep, "content_hash": content_hash,
                              "other_ids": other_ids is not None, "sums": sums}, durable=False)
        except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time
            pass


SMALL = 1 << 20  # tables written from memory, checksum and all (no second pass over the file)


def _write(dest: Path, table: pa.Table) -> str:
    """Write an Arrow IPC file (temp, rename); returns its checksum."""
    tmp = _tmp_for(dest)
    if table.nbytes > SMALL:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)
        return commit(tmp, dest, durable=False)
    out = pa.BufferOutputStream()
    with pa.ipc.new_file(out, table.schema) as w:
        w.write_table(table)
    buf = out.getvalue()
    with open(tmp, "wb") as f:
        f.write(buf)
    os.replace(tmp, dest)
    return f"{buf.size}:{zlib.crc32(buf):08x}" if buf.size else "0:0"


# ---------------------------------------------------------------- durable, checked entries
# Shared with the ledger cache: every file of an entry is fsynced before its rename, and its
# CRC-32 and size are kept in a JSON file that carries its own checksum. Loading verifies them
# before anything is memory-mapped: a torn or overwritten entry is a miss, never wrong figures.


def checksum(path: Path) -> str:
    """'size:crc32' of a file, read 1 MB at a time (a mapping of the whole file would count
    in the process's memory: +350 MB for a 10M-row file's entry)."""
    buf, crc, size = bytearray(1 << 20), 0, 0
    view = memoryview(buf)
    with open(path, "rb") as f:
        while n := f.readinto(buf):
            crc, size = zlib.crc32(view[:n], crc), size + n
    return "0:0" if size == 0 else f"{size}:{crc:08x}"


def verify(path: Path, expected: str) -> bool:
    try:
        return checksum(path) == expected
    except (OSError, ValueError):
        return False


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_for(dest: Path) -> Path:
    """A name of this writer's own (process and thread): two writers of one entry never write
    or checksum (mmap) each other's file (a file truncated under an mmap is a SIGBUS)."""
    return dest.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")


def commit(tmp: Path, dest: Path, durable: bool = True) -> str:
    """fsync `tmp` (when `durable`), rename it to `dest`, fsync the folder; returns the
    checksum. Parsed files are not durable: 4 fsyncs a file cost more than parsing it."""
    if durable:
        fsync_path(tmp)
    value = checksum(tmp)
    os.replace(tmp, dest)
    if durable:
        try:
            fsync_path(dest.parent)
        except OSError:
            pass  # some file systems cannot fsync a folder
    return value


def write_json(dest: Path, body, durable: bool = True) -> None:
    """`body` as JSON with its own checksum (durably: see commit)."""
    text = json.dumps(body, sort_keys=True)
    tmp = _tmp_for(dest)
    tmp.write_text(json.dumps({"crc32": f"{zlib.crc32(text.encode()):08x}", "body": text}))
    commit(tmp, dest, durable)


def read_json(path: Path):
    """The body written by write_json, or None when it is missing or does not match."""
    try:
        outer = json.loads(path.read_text())
        text = outer["body"]
        if f"{zlib.crc32(text.encode()):08x}" != outer["crc32"]:
            return None
        return json.loads(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
