"""FolderMonitor: watch a data folder and hand a new Snapshot to the screen after each change.

    m = FolderMonitor(root, settings, on_snapshot, on_status, on_error, poll=None)
    m.start(); ...; m.paused = True; m.reload(); m.stop()

Callbacks run on the monitor's worker thread (from Textual use `app.call_from_thread`):
on_snapshot(Snapshot), on_status(str) one line for the status bar (`m.status` has the
details), on_error(str) one sentence for a watcher problem (shown until the next status).

A change is picked up from watchdog events (inotify, or `poll` seconds of polling for network
mounts) and debounced: quiet for `debounce` s (`debounce_done` s when every file of the burst
was closed or renamed in), at most `max_delay` s after the first event. A full rescan runs every
`rescan` s. A file still open for writing is read after its close event, or once its size and
mtime stay the same over two checks `settle` s apart.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kpi_tui.session import Snapshot
from kpi_tui.settings import Settings
from kpi_tui.watch.observer import (DONE, WRITING, Events, Mark, healthy, make_observer,
                                    stop_observer)
from kpi_tui.watch.state import FolderState, Sig
from kpi_tui.watch.worker import Worker, noop

FALLBACK_POLL = 5.0  # seconds, when inotify runs out of watches


@dataclass
class WatchStatus:
    root: Path
    files: int = 0  # files counted
    unreadable: int = 0
    last_file: Path | None = None  # last file received
    last_received: dt.datetime | None = None  # when (for a first scan: the file's mtime)
    last_data: dt.datetime | None = None  # last time any figures changed
    compute_seconds: float = 0.0
    mode: str = "events"  # "events" or "polling every N s"
    problem: str | None = None  # the current watcher error, if any
    waiting: int = 0  # files being written, not read yet

    def __str__(self) -> str:
        bits = [f"{self.files} file{'s' if self.files != 1 else ''}"]
        if self.last_file is not None and self.last_received is not None:
            bits.append(f"last: {self.last_file.name} at {self.last_received:%Y-%m-%d %H:%M:%S}")
        if self.unreadable:
            bits.append(f"{self.unreadable} not readable")
        if self.waiting:
            bits.append(f"{self.waiting} being written")
        bits.append(self.mode)
        if self.problem:
            bits.append(self.problem)
        return " · ".join(bits)


class FolderMonitor(Worker):
    def __init__(
        self,
        root: Path,
        settings: Settings,
        on_snapshot: Callable[[Snapshot], None],
        on_status: Callable[[str], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        poll: float | None = None,
        *,
        debounce: float = 0.25,
        debounce_done: float = 0.1,
        max_delay: float = 1.0,
        rescan: float = 60.0,
        settle: float | None = None,
        open_timeout: float = 30.0,
        check: float = 1.0,
        on_progress: Callable[[int, int, Path], None] | None = None,
    ):
        self.root = Path(root).absolute()
        self.settings = settings
        self.on_snapshot = on_snapshot
        self.on_status = on_status or noop
        self.on_error = on_error or noop
        self.on_progress = on_progress  # (done, total, path) while files are read
        self.poll = poll
        self.debounce, self.max_delay, self.rescan = debounce, max_delay, rescan
        self.debounce_done = min(debounce_done, debounce)
        self.settle = settle if settle is not None else max(poll or 1.0, debounce)
        self.open_timeout, self.check = open_timeout, check
        self.state = FolderState(self.root, settings)
        self.status = WatchStatus(self.root)
        self.snapshot: Snapshot | None = None
        self.computes = 0  # snapshots built (tests, benchmarks)
        self._wake = threading.Event()
        self.events = Events(self.root, self._wake)
        self._stop = threading.Event()
        self._paused = False
        self._reload: Settings | bool = False
        self._thread: threading.Thread | None = None
        self._observer = None
        self._root_id: tuple[int, int] | None = None
        self._missing = False
        self._error_shown: str | None = None
        self._pending: dict[Path, tuple[Sig, float]] = {}  # changed files: sig first seen, when
        self._recheck: float | None = None
        self._next_check = 0.0
        self._next_rescan = 0.0
        self._initial = True

    # --- public interface (start, reload, paused, alive: Worker) ------------------------
    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; the latest ledger's save is waited for (`timeout` s at most): the
        next start takes it from the cache."""
        end = time.monotonic() + timeout
        super().stop(timeout)
        stop_observer(self._observer)
        self._observer = None
        self.state.wait_saved(max(0.0, end - time.monotonic()))

    # --- worker ---------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop()
            except Exception as e:  # a bug must not stop the watcher silently
                self._error(f"watcher error: {type(e).__name__}: {e}")
                self._stop.wait(1.0)

    def _loop(self) -> None:
        if self._next_check == 0.0:
            self._health(time.monotonic())
            self._process(time.monotonic())
        while not self._stop.is_set():
            self._wake.wait(self._wait(time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                return
            now = time.monotonic()
            if now >= self._next_check:
                self._health(now)
            if self._paused:
                continue
            if self._due(now):
                self._process(now)

    def _due(self, now: float) -> bool:
        if self._reload is not False or now >= self._next_rescan:
            return True
        if self._recheck is not None and now >= self._recheck:
            return True
        first, last, settled = self.events.pending()
        quiet = self.debounce_done if settled else self.debounce
        return first is not None and (now - last >= quiet or now - first >= self.max_delay)

    def _wait(self, now: float) -> float:
        times = [self._next_check]
        if not self._paused:
            times.append(self._next_rescan)
            if self._recheck is not None:
                times.append(self._recheck)
            first, last, settled = self.events.pending()
            if first is not None:
                quiet = self.debounce_done if settled else self.debounce
                times.append(min(last + quiet, first + self.max_delay))
        return max(0.005, min(times) - now)

    # --- observer health ----------------------------------------------------------------
    def _health(self, now: float) -> None:
        self._next_check = now + self.check
        try:
            st = self.root.stat()
            is_dir = stat.S_ISDIR(st.st_mode)
        except OSError:
            is_dir = False
        if not is_dir:
            if not self._missing:
                self._missing = True
                stop_observer(self._observer)
                self._observer = None
                self._error(f"{self.root}: folder not found; figures kept, "
                            "waiting for it to come back")
            return
        root_id = (st.st_dev, st.st_ino)
        if self._missing or root_id != self._root_id or not healthy(self._observer):
            replaced = self._root_id not in (None, root_id)
            was = "missing" if self._missing else ("replaced" if replaced else None)
            if self._observer is not None and was is None:
                self._error("the folder watcher stopped; restarting it")
            self._missing = False
            self._root_id = root_id
            self._start_observer()
            if was is not None:
                self.events.poke()  # the folder came back or was replaced: rescan it

    def _start_observer(self) -> None:
        stop_observer(self._observer)
        self._observer = None
        poll = self.poll
        try:
            self._observer = make_observer(self.root, self.events, poll)
        except OSError as e:
            if poll is None and e.errno in (errno.ENOSPC, errno.EMFILE):
                poll = FALLBACK_POLL
                try:
                    self._observer = make_observer(self.root, self.events, poll)
                except OSError as e2:
                    self._error(f"cannot watch {self.root}: {e2.strerror or e2}; retrying")
                    return
                self.poll = poll
                self.settle = max(self.settle, poll)
                self._error(f"{e.strerror or e} (raise fs.inotify.max_user_watches); "
                            f"polling every {poll:g} s instead")
            else:
                self._error(f"cannot watch {self.root}: {e.strerror or e}; retrying")
                return
        self.status.mode = f"polling every {poll:g} s" if poll else "events"

    def _error(self, msg: str) -> None:
        self.status.problem = msg
        if msg != self._error_shown:
            self._error_shown = msg
            try:
                self.on_error(msg)
            except Exception:
                pass

    def _clear_error(self) -> None:
        self._error_shown = None
        self.status.problem = None

    # --- recompute ------------------------------------------------------------------------
    def _ready(self, path: Path, sig: Sig, marks: dict[Path, Mark], now: float) -> bool:
        m = marks.get(path)
        if m is not None and m.state == DONE:
            return True
        if m is not None and m.state == WRITING and not self.poll:
            if now - m.at < self.open_timeout:
                self._want(m.at + self.open_timeout)
                return False  # still open for writing: wait for its close event
        elif m is None and self._initial:
            return True  # first look at the folder: files already there are read at once
        seen = self._pending.get(path)
        if seen is not None and seen[0] == sig:
            if now - seen[1] >= self.settle:
                return True
            self._want(seen[1] + self.settle)
            return False
        self._pending[path] = (sig, now)
        self._want(now + self.settle)
        return False

    def _want(self, t: float) -> None:
        self._recheck = t if self._recheck is None else min(self._recheck, t)

    def _process(self, now: float) -> None:
        self._next_rescan = now + self.rescan
        self._recheck = None
        reload, self._reload = self._reload, False
        if self._missing:
            return
        if isinstance(reload, Settings):
            self.settings = self.state.settings = reload
            self.state.forget()
            self._initial = True  # files already there are read at once
        try:  # an unreadable folder keeps the figures (discover would see it empty)
            with os.scandir(self.root):
                pass
        except OSError as e:
            self._error(f"cannot read {self.root}: {e.strerror or e}; figures kept, retrying")
            self._want(now + max(self.check, 1.0))
            return
        marks = self.events.take()
        try:
            res = self.state.refresh(lambda p, s: self._ready(p, s, marks, time.monotonic()),
                                     self.on_progress if self.snapshot is None else None)
        except OSError as e:
            self._error(f"cannot read {self.root}: {e.strerror or e}; retrying")
            self._want(now + max(self.check, 1.0))
            return
        waiting = set(res.waiting)
        for path, mark in marks.items():
            if path not in waiting:
                self.events.consumed(path, mark)
        for path in list(self._pending):
            if path not in waiting:
                del self._pending[path]
        first = self._initial
        self._initial = False
        if self._error_shown and not self._missing and self._observer is not None:
            self._clear_error()
        st = self.status
        st.waiting = len(res.waiting)
        if res.received:
            newest = max(res.received, key=lambda p: self.state.entries[p].sig[1])
            st.last_file = newest
            st.last_received = (dt.datetime.fromtimestamp(self.state.entries[newest].sig[1] / 1e9)
                                if first else dt.datetime.now())
        if res.changed or first or reload is not False or self.snapshot is None:
            t0 = time.perf_counter()
            try:
                snap = self.state.snapshot()
            except Exception as e:  # keep the previous figures
                self._error(f"figures could not be computed: {type(e).__name__}: {e}")
                self._emit_status()
                return
            st.compute_seconds = time.perf_counter() - t0
            st.last_data = dt.datetime.now()
            self.snapshot = snap
            self.computes += 1
            st.files = len(snap.dataset.used)
            st.unreadable = len(snap.dataset.skipped)
            try:
                self.on_snapshot(snap)
            except Exception as e:
                self._error(f"screen update failed: {type(e).__name__}: {e}")
            self._emit_status()
            self._fill(snap)
        else:
            self._emit_status()

    def _fill(self, snap: Snapshot) -> None:
        """Compute the other granularities now, unless new events or a stop come first."""
        def busy() -> bool:
            return self._stop.is_set() or self.events.pending()[0] is not None

        try:
            snap.fill(busy)
        except Exception as e:  # computed again on first use
            self._error(f"figures could not be computed: {type(e).__name__}: {e}")

    def _emit_status(self) -> None:
        try:
            self.on_status(str(self.status))
        except Exception:
            pass
