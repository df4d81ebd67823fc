"""What the watcher knows about its folder: one parsed Part + FileReport per file.

`refresh()` lists the folder again (discover), parses only files whose size or mtime_ns changed,
drops deleted ones, and reassembles the dataset. A file whose new version cannot be read keeps
its previous figures and is retried when it changes again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpi_tui import ahead, ledger_cache
from kpi_tui.assembly import Assembler, Last
from kpi_tui.metrics.ledger import Ledger, period_sums
from kpi_tui.ingest import grouped, streamed
from kpi_tui.ingest.cache import ParseCache
from kpi_tui.ingest.dedupe import Part
from kpi_tui.ingest.discover import discover
from kpi_tui.ingest.folder import Dataset, fingerprint, ids_ahead, load_file
from kpi_tui.ingest.schema import FileReport
from kpi_tui.session import Snapshot
from kpi_tui.settings import Settings

Sig = tuple[int, int]  # (size, mtime_ns)


def signature(path: Path) -> Sig | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass
class Entry:
    sig: Sig  # the version the figures come from (or the failed version)
    part: Part | None  # last good parse, None if the file never parsed
    report: FileReport
    failed: Sig | None = None  # a newer version that could not be read


@dataclass
class Refresh:
    changed: bool = False  # figures must be recomputed
    received: list[Path] = field(default_factory=list)  # new or changed files now counted
    removed: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)  # could not be read (named in the reports)
    waiting: list[Path] = field(default_factory=list)  # changed but not ready (being written)


Ready = Callable[[Path, Sig], bool]


def _advances(progress: Callable[[float, int, Path], None]) -> Callable[[float, int, Path], None]:
    """`progress`, told only what moves it forward (two files read at once tell their shares
    apart: the earlier file's, once the later one is announced, would move it back)."""
    lock, last = threading.Lock(), [float("-inf")]

    def told(done: float, total: int, path: Path) -> None:
        with lock:
            if done < last[0]:
                return
            last[0] = done
        progress(done, total, path)

    return told


class FolderState:
    def __init__(self, root: Path, settings: Settings, cache: ParseCache | None = None):
        self.root = Path(root)
        self.settings = settings
        if cache is None and settings.cache:
            cache = ParseCache(fingerprint(settings))
        self.cache = cache
        self.entries: dict[Path, Entry] = {}
        self.skipped: list[FileReport] = []  # from discover (unsupported, hidden...)
        self._assembler = Assembler(self.root, settings)
        self._built = False  # a snapshot was built (the ledger cache serves the first only)
        self._saving: threading.Thread | None = None  # saves the latest ledger, then ends
        self._unsaved: tuple | None = None  # (place, dataset, ledger) to save: the latest
        self._save_lock = threading.Lock()

    def refresh(self, ready: Ready | None = None,
                progress: Callable[[int, int, Path], None] | None = None) -> Refresh:
        """Bring the state in line with the folder; `ready(path, sig)` may hold a file back;
        `progress(done, total, path)` is told of each file before it is read, and of a big
        file's share read (done + share, a float) as its batches are."""
        out = Refresh()
        paths, skipped = discover(self.root)
        if _keys(skipped) != _keys(self.skipped):
            out.changed = True
        self.skipped = list(skipped)
        present, todo = set(), []
        for n, path in enumerate(paths):
            present.add(path)
            sig = signature(path)
            if sig is None:
                continue  # gone between listing and stat: next refresh drops it
            e = self.entries.get(path)
            if e is not None and (e.sig == sig or e.failed == sig):
                continue
            if ready is not None and not ready(path, sig):
                out.waiting.append(path)
                continue
            todo.append((n, path, sig, e))
        # small exports of one header are read together, a chunk ahead (ingest.grouped)
        groups = grouped.ahead([t[1] for t in todo], self.settings, self.cache)
        with self._writing():
            self._read(todo, groups, len(paths), progress, out)
        for path in list(self.entries):
            if path not in present:
                del self.entries[path]
                out.removed.append(path)
                out.changed = True
        return out

    def _writing(self):
        """How the parse cache is written during a read: the first read's entries held until its
        figures are out (then written by the ledger's saving thread: both cores read), later
        ones by a thread beside the reading."""
        if self.cache is None:
            return contextlib.nullcontext()
        return self.cache.held() if not self.entries else self.cache.behind()

    def forget(self) -> None:
        """Parse everything again at the next refresh (settings changed)."""
        self.entries.clear()
        self.skipped = []
        self._assembler = Assembler(self.root, self.settings)
        self._built = False
        with self._save_lock:  # a save under way finishes (its own key: still right)
            self._unsaved = None
        if self.settings.cache:
            self.cache = ParseCache(fingerprint(self.settings))
        else:
            self.cache = None

    def _read(self, todo, groups, total: int, progress, out: Refresh) -> None:
        """Read the new and changed files into their entries (refresh's loop): small exports
        of one header together (`groups`: ingest.grouped), the others two at once by threads
        (ahead.in_order: both cores), in order."""
        told = None if progress is None else _advances(progress)
        first = not self.entries

        def announced():  # in order, as each file is about to be read
            for t, (_, parsed) in zip(todo, groups):
                if told is not None:
                    told(t[0], total, t[1])
                yield t, parsed

        def read(item):
            (n, path, _, _), parsed = item
            within = None if told is None else (  # a big file: by its batches
                lambda share: told(n + share, total, path))
            with streamed.reporting(within):
                part, report = load_file(path, self.settings, self.cache, parsed)
            if first and total > 1:  # the first read is deduplicated whole
                ids_ahead(part)
            return item[0], (part, report)

        for (n, path, sig, e), (part, report) in ahead.in_order(
                read, announced(), inline=lambda item: item[1] is not None):
            out.changed = True
            if part is not None:
                self.entries[path] = Entry(sig, part, report)
                out.received.append(path)
            elif e is not None and e.part is not None:
                # keep the previous figures of this file; retry when it changes again
                note = (f"latest version could not be read ({report.error}); "
                        "showing the previous one")
                rep = dataclasses.replace(e.report, notes=[*_own_notes(e.report), note])
                self.entries[path] = Entry(e.sig, e.part, rep, failed=sig)
                out.failed.append(path)
            else:
                self.entries[path] = Entry(sig, None, report, failed=sig)
                out.failed.append(path)

    def _dataset_and_ledger(self):
        """The dataset and its ledger. After a restart, from the ledger cache when the folder
        is as it was; when exports only arrive, the previous ledger and period sums with the new
        rows added; else everything again. Each new ledger is saved, in the background, for
        the next restart."""
        key = None
        if self.settings.cache:
            files = [(p, *e.sig) for p, e in self.entries.items()]
            key = ledger_cache.folder_key(self.root, self.settings, files, self.skipped)
            if not self._built:
                hit = ledger_cache.lookup(self.root, key)
                if hit is not None:
                    self._built = True
                    return hit
        ds, ledger = self._assemble()
        self._built = True
        if key is not None:
            with self._save_lock:  # saved once the figures are out
                self._unsaved = (ledger_cache.place(self.root, key), ds, ledger)
        return ds, ledger

    def _save(self) -> None:
        """Save the latest ledger in the background (its sort and checksums: after the figures),
        after the parse-cache entries the first read held. One thread at a time: one that is
        saving takes the newest ledger next (a ledger that came while it saved an older one was
        dropped: the restart read everything again)."""
        with self._save_lock:
            idle = self._unsaved is None and not (self.cache is not None and self.cache.holds)
            if idle or self._saving is not None:
                return
            self._saving = threading.Thread(target=self._saver, name="kpi-tui-ledger-cache",
                                            daemon=True)
            self._saving.start()

    def _saver(self) -> None:
        while True:
            cache = self.cache
            if cache is not None:  # the first read's parse-cache entries, then the ledger
                try:
                    cache.write_held()
                except Exception:  # noqa: BLE001 - an entry not written costs a parse
                    pass
            with self._save_lock:
                todo, self._unsaved = self._unsaved, None
                if todo is None:
                    self._saving = None
                    return
            try:
                ledger_cache.store(*todo)
            except Exception:  # noqa: BLE001 - a cache not written costs the next start time
                pass

    def wait_saved(self, timeout: float | None = None) -> bool:
        """Wait (at most `timeout` s) until the latest ledger is saved; True when it is."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._save_lock:
                t = self._saving
            if t is None:
                return True
            t.join(None if end is None else max(0.0, end - time.monotonic()))
            if t.is_alive():
                return False

    def _assemble(self) -> tuple[Dataset, Ledger]:
        """The one assembly of the folder (kpi_tui.assembly), adding only the new files' rows
        when that is all that changed."""
        entries = [self.entries[p] for p in sorted(self.entries)]
        parts = [e.part for e in entries if e.part is not None]
        reports = [_copy(e.report) for e in entries] + [_copy(r) for r in self.skipped]
        return self._assembler(parts, reports)

    @property
    def _last(self) -> Last | None:
        return self._assembler.last

    def snapshot(self, eager: tuple[str, ...] | None = None) -> Snapshot:
        """The folder's Snapshot with the `eager` granularities (default: the settings' one)
        computed now, from period sums kept for the next incremental update; the others are
        computed on first use (`snap.fill()` does them all)."""
        s = self.settings
        ds, ledger = self._dataset_and_ledger()
        last = self._last if self._last is not None and self._last.ledger is ledger else None
        snap = Snapshot(ds, ledger, s, last.sums if last is not None else None)
        for g in eager or (s.granularity,):
            if last is not None and last.sums.get(g) is None:
                ps = period_sums(ledger, g)
                if ps is not None:
                    last.sums[g] = ps  # merged with new rows next time
            snap.figures(g)
        self._save()
        return snap


def _keys(reports: list[FileReport]) -> list[tuple[str, str | None]]:
    return sorted((str(r.path), r.error) for r in reports)


def _own_notes(report: FileReport) -> list[str]:
    return [n for n in report.notes if not n.startswith("latest version could not be read")]


def _copy(r: FileReport) -> FileReport:
    return dataclasses.replace(r, drops=dict(r.drops), notes=list(r.notes),
                               mapping=dict(r.mapping), currencies=list(r.currencies))

