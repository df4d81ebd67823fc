"""Parsed files, cached in the user cache dir (honours XDG_CACHE_HOME); never in the data folder.

An entry is keyed by the file's path, size and mtime and by the settings that change parsing;
it holds the file's transactions (Arrow IPC, memory-mapped on read) and its FileReport.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import platformdirs
import pyarrow as pa

from kpi_tui import __version__, safe
from kpi_tui.ingest.schema import TXN_SCHEMA, FileReport

FORMAT = 2  # bump when the cache layout changes


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the ingest code: a change of parsing never reuses old cached results."""
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).resolve().parent
    for f in sorted(here.rglob("*.py")):
        h.update(str(f.relative_to(here)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("kpi-tui")) / "parsed"


def _h(text: str) -> str:
    return hashlib.sha256(safe.encode(text)).hexdigest()[:24]


class ParseCache:
    def __init__(self, fingerprint: str, root: Path | None = None):
        self.root = root or cache_dir()
        self.fingerprint = f"{code_version()}/{FORMAT}/{fingerprint}"

    def _paths(self, path: Path, st: os.stat_result) -> tuple[str, Path, Path]:
        prefix = _h(str(path.resolve()))
        key = _h(f"{st.st_size}/{st.st_mtime_ns}/{self.fingerprint}")
        base = self.root / f"{prefix}-{key}"
        return prefix, base.with_suffix(".arrow"), base.with_suffix(".json")

    def get(self, path: Path, st: os.stat_result):
        """(table, report, content_hash, other_ids) or None."""
        _, data, meta = self._paths(path, st)
        try:
            info = json.loads(meta.read_text())
            table = pa.ipc.open_file(pa.memory_map(str(data))).read_all()
            other_ids = None
            if info.get("other_ids"):
                ids_file = data.with_suffix(".ids.arrow")
                other_ids = pa.ipc.open_file(pa.memory_map(str(ids_file))).read_all().column(0)
                other_ids = other_ids.combine_chunks()
        except (OSError, ValueError, KeyError, pa.ArrowInvalid):
            return None
        if table.schema != TXN_SCHEMA:
            return None
        rep = info["report"]
        rep["path"] = path
        return table, FileReport(**rep), info.get("content_hash"), other_ids

    def put(self, path: Path, st: os.stat_result, table: pa.Table, report: FileReport,
            content_hash: str | None, other_ids: pa.Array | None = None) -> None:
        prefix, data, meta = self._paths(path, st)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for old in self.root.glob(f"{prefix}-*"):  # older versions of this file
                old.unlink(missing_ok=True)
            _write(data, table.cast(TXN_SCHEMA))
            if other_ids is not None:
                _write(data.with_suffix(".ids.arrow"), pa.table({"id": other_ids}))
            rep = asdict(report)
            rep["path"] = str(report.path)
            meta.write_text(json.dumps({"report": rep, "content_hash": content_hash,
                                        "other_ids": other_ids is not None}))
        except OSError:
            pass  # a cache that cannot be written only costs time


def _write(dest: Path, table: pa.Table) -> None:
    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    os.replace(tmp, dest)
