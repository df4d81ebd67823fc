"""The folder's ledger, cached: a restart on an unchanged folder skips reading, dedupe and
currency work. Keyed by every file's path, size and mtime, the settings that change the
figures, and the code version; stored in the user cache dir, never in the data folder."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from kpi_tui import arrow, dirs, safe
from kpi_tui.ingest import plausible
from kpi_tui.assembly import ledger_of
from kpi_tui.ingest.cache import (code_version, commit, fsync_path, read_json, resolver, verify,
                                  write_json)
from kpi_tui.ingest.discover import discover
from kpi_tui.ingest.folder import Dataset, fingerprint, load_folder
from kpi_tui.ingest.schema import FileReport
from kpi_tui.metrics.ledger import Ledger, by_customer_day
from kpi_tui.settings import Settings

FORMAT = 2


def folder_key(root: Path, settings: Settings, files: list | None = None,
               skipped: list | None = None) -> str | None:
    """What the ledger depends on: every file as (path, size, mtime_ns), read from the folder
    unless given, and the skipped entries. None when the folder cannot be listed."""
    if files is None:
        try:
            paths, skipped = discover(root)
            files = []
            for p in paths:
                st = p.stat()
                files.append((p, st.st_size, st.st_mtime_ns))
        except OSError:
            return None
    real = resolver()
    files = sorted((real(p), size, mtime) for p, size, mtime in files)
    s = [fingerprint(settings), settings.currency, sorted(settings.rates.items()),
         getattr(settings, "link_identities", True),
         [d.isoformat() for d in plausible.window(settings)]]
    here = Path(__file__).resolve()
    code = [code_version()] + [hashlib.sha256(f.read_bytes()).hexdigest()[:16]
                               for f in (here, here.parent / "metrics" / "ledger.py")]
    blob = json.dumps([FORMAT, code, str(Path(root).resolve()), files,
                       sorted(str(r.path) for r in skipped), s], default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


STALE_TMP_SECONDS = 3600  # a writer's folder this old was left by a crash


def _dir(root: Path, key: str) -> Path:
    """One folder of ledgers a data folder; one ledger a folder state."""
    tag = hashlib.sha256(safe.encode(str(Path(root).resolve()))).hexdigest()[:16]
    return dirs.cache_dir("ledgers", tag, key)


def lookup(root: Path, key: str | None) -> tuple[Dataset, Ledger] | None:
    return None if key is None else _get(root, key)


def place(root: Path, key: str | None) -> Path | None:
    """Where the ledger of folder state `key` is saved, the user cache dir read now (a save
    in the background goes where the cache was when it was asked for)."""
    return None if key is None else _dir(root, key)


def store(where: Path | None, ds: Dataset, ledger: Ledger) -> None:
    """Save a ledger at `place()`'s folder."""
    if where is not None:
        _put(where, ds, ledger)


def load(root: Path, settings: Settings, use_cache: bool = True,
         behind: bool = False) -> tuple[Dataset, Ledger]:
    """The folder's dataset (files, currency, warnings; its rows let go) and ledger.
    `behind`: a new ledger is saved by a thread while the caller computes its figures (its
    sort and writing: ~1 s at 10M rows); `wait_saved()` before the process ends."""
    key = folder_key(root, settings) if use_cache else None
    if key is not None:
        hit = _get(root, key)
        if hit is not None:
            return hit
    ds = load_folder(root, settings, use_cache=use_cache)
    ledger = ledger_of(ds)
    if key is not None:
        if behind:
            t = threading.Thread(target=_put_quietly, args=(_dir(root, key), ds, ledger),
                                 name="kpi-tui-ledger-save", daemon=True)
            _saving.append(t)
            t.start()
        else:
            _put(_dir(root, key), ds, ledger)
    return ds, ledger


_saving: list[threading.Thread] = []  # ledgers being saved by load(behind=True)


def _put_quietly(d: Path, ds: Dataset, ledger: Ledger) -> None:
    """_put on a thread: a ledger that cannot be saved costs the next run time, and prints
    no thread's traceback under the figures."""
    try:
        _put(d, ds, ledger)
    except Exception:  # noqa: BLE001
        pass


def wait_saved() -> None:
    """Wait until every ledger load() began saving is saved."""
    while _saving:
        _saving.pop(0).join()


def _get(root: Path, key: str) -> tuple[Dataset, Ledger] | None:
    d = _dir(root, key)
    try:  # every file checked against its checksum first; any load error is a miss
        meta = read_json(d / "meta.json")
        if meta is None or not all(verify(d / f, v) for f, v in meta["sums"].items()):
            return None
        return _load(root, meta, d)
    except Exception:  # noqa: BLE001 - a damaged entry costs a read, never a crash
        return None


def _load(root: Path, meta: dict, d: Path) -> tuple[Dataset, Ledger]:
    arrays = {n: np.load(d / f"{n}.npy", mmap_mode="r") for n in ("customer", "day", "micros")}
    names = pa.ipc.open_file(pa.memory_map(str(d / "names.arrow"))).read_all().column(0)
    reports = []
    for r in meta["reports"]:
        r["path"] = Path(r["path"])
        reports.append(FileReport(**r))
    ds = Dataset(root, meta["currency"], reports, meta["warnings"], rows=meta["rows"])
    ledger = Ledger(np.asarray(arrays["customer"]), np.asarray(arrays["day"]),
                    np.asarray(arrays["micros"]),
                    arrow.to_numpy(names).astype(object),
                    meta["unattributed_micros"], meta["first_day"], meta["last_day"],
                    meta["scale"])
    return ds, ledger


CHUNK = 1 << 20  # rows put in order and written at a time


def _save(path: Path, a: np.ndarray, order: np.ndarray | None) -> None:
    """np.save(path, a[order]), a chunk at a time: no copy of every row (the save runs beside
    the figures: memory)."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": np.lib.format.dtype_to_descr(a.dtype), "fortran_order": False,
                "shape": a.shape})
        for i in range(0, len(a), CHUNK):
            f.write((a[i:i + CHUNK] if order is None else a[order[i:i + CHUNK]]).tobytes())


def _put(d: Path, ds: Dataset, ledger: Ledger) -> None:
    tmp = None
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        # a folder of its own for each writer: two threads or processes storing at once never
        # write (or checksum through mmap) each other's files
        tmp = Path(tempfile.mkdtemp(prefix=f"{d.name}.tmp", dir=d.parent))
        now = time.time()
        for old in d.parent.iterdir():  # the folder's older states go; others' writes in flight stay
            if old.name != d.name and old != tmp and (
                    ".tmp" not in old.name or now - old.stat().st_mtime > STALE_TMP_SECONDS):
                shutil.rmtree(old, ignore_errors=True)
        order = by_customer_day(ledger)  # saved in that order: a restart's sums need no hashing
        for n in ("customer", "day", "micros"):
            a = getattr(ledger, n)
            _save(tmp / f"{n}.npy", a, order)
        del order
        names = pa.table({"name": arrow.strings(ledger.names)})
        with pa.OSFile(str(tmp / "names.arrow"), "wb") as sink, \
                pa.ipc.new_file(sink, names.schema) as w:
            w.write_table(names)
        names_ = [f.name for f in dataclasses.fields(FileReport)]
        reports = []
        for r in ds.files:  # asdict's fields, without its deep copy (20,000 files: ~2 s)
            x = {n: getattr(r, n) for n in names_}
            x["path"] = str(r.path)
            reports.append(x)
        meta = {"currency": ds.currency, "warnings": ds.warnings, "rows": ds.rows,
                "reports": reports, "unattributed_micros": ledger.unattributed_micros,
                "first_day": ledger.first_day, "last_day": ledger.last_day, "scale": ledger.scale}
        meta["sums"] = {f.name: commit(f, f) for f in sorted(tmp.iterdir())}  # fsync each
        write_json(tmp / "meta.json", meta)
        os.replace(tmp, d)
        fsync_path(d.parent)
    except OSError:  # a cache that cannot be written only costs time
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
