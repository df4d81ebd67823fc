"""Filesystem events from watchdog, reduced to what the monitor needs.

`Events` collects, per path, whether the file is still being written (created/modified with no
close yet) or done (closed after write, renamed in), plus a "something happened" time for the
debounce. Hidden, temporary and lock files are ignored with the discover rules.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from kpi_tui.ingest.discover import ignored

# NEW: created (or moved in from outside the folder, which inotify reports alike): read once its
# size is stable. WRITING: written to and not closed yet. DONE: closed after writing, renamed in.
NEW, WRITING, DONE = "new", "writing", "done"


@dataclass
class Mark:
    state: str  # NEW, WRITING or DONE
    at: float  # monotonic time of the last event


class Events(FileSystemEventHandler):
    """Thread-safe event sink; `take()` hands the pending burst to the worker."""

    def __init__(self, root: Path, wake: threading.Event | None = None):
        self.root = Path(root)
        self.lock = threading.Lock()
        self.marks: dict[Path, Mark] = {}
        self.first: float | None = None  # first event of the pending burst
        self.last: float | None = None  # latest event of the pending burst
        self.settled = True  # the burst holds only finished changes (closed, renamed in, deleted)
        self.count = 0  # events seen (tests, status)
        self.wake = wake or threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._record(event)
        except Exception:  # never let the dispatch thread die
            with self.lock:
                self._touch(time.monotonic())
            self.wake.set()

    def _record(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        now = time.monotonic()
        src = Path(os.fsdecode(event.src_path))
        dest = Path(os.fsdecode(event.dest_path)) if event.dest_path else None
        with self.lock:
            if event.is_directory:  # entries added, removed or renamed: look again
                self._touch(now, settled=kind == "modified")
            else:
                relevant = False
                settled = kind in ("closed", "moved", "deleted")
                if kind == "created" and self._watched(src):
                    self.marks[src] = Mark(NEW, now)
                    relevant = True
                elif kind == "modified" and self._watched(src):
                    self.marks[src] = Mark(WRITING, now)
                    relevant = True
                elif kind == "attrib" and self._watched(src):
                    relevant = True  # e.g. touched: a stable-size check decides
                elif kind == "closed" and self._watched(src):
                    self.marks[src] = Mark(DONE, now)
                    relevant = True
                elif kind == "moved":
                    if self._watched(src):
                        self.marks.pop(src, None)
                        relevant = True
                    if dest is not None and self._watched(dest):
                        self.marks[dest] = Mark(DONE, now)
                        relevant = True
                elif kind == "deleted" and self._watched(src):
                    self.marks.pop(src, None)
                    relevant = True
                if relevant:
                    self._touch(now, settled)
        self.wake.set()

    def _touch(self, now: float, settled: bool = False) -> None:
        self.count += 1
        if self.first is None:
            self.first = now
            self.settled = settled
        else:
            self.settled = self.settled and settled
        self.last = now

    def pending(self) -> tuple[float | None, float | None, bool]:
        """(first, last) event times of the pending burst (None: none), and whether it holds
        only finished changes."""
        with self.lock:
            return self.first, self.last, self.settled

    def take(self) -> dict[Path, Mark]:
        """The current marks (a copy); the burst timer restarts."""
        with self.lock:
            self.first = self.last = None
            return dict(self.marks)

    def consumed(self, path: Path, mark: Mark) -> None:
        """Forget `mark` for `path` unless a newer event replaced it meanwhile."""
        with self.lock:
            if self.marks.get(path) is mark:
                del self.marks[path]

    def poke(self) -> None:
        """Ask for a recompute as if an event arrived (rescan, reload)."""
        with self.lock:
            self._touch(time.monotonic(), settled=True)
        self.wake.set()


    def _watched(self, path: Path) -> bool:
        """False for what discover never reads: hidden, temporary, lock files, hidden folders."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            parts = path.parts[-1:]
        return bool(parts) and not any(ignored(p) for p in parts)


def make_observer(root: Path, handler: Events, poll: float | None) -> BaseObserver:
    """A started observer on `root` (recursive). Raises OSError (watch limit, permission...)."""
    obs = PollingObserver(timeout=poll) if poll else Observer()
    obs.daemon = True
    obs.schedule(handler, str(root), recursive=True)
    obs.start()
    return obs


def healthy(obs: BaseObserver | None) -> bool:
    if obs is None or not obs.is_alive():
        return False
    return all(e.is_alive() for e in obs.emitters)


def stop_observer(obs: BaseObserver | None) -> None:
    if obs is None:
        return
    try:
        obs.stop()
        obs.join(timeout=2)
    except Exception:  # a broken observer is dropped anyway
        pass
