"""DatabaseMonitor: poll a database source and hand a new DatabaseSnapshot to the screen or the
headless watcher when its rows changed. The FolderMonitor's interface:

    m = DatabaseMonitor(url, settings, on_snapshot, on_status, on_error, poll=60, table="orders")
    m.start(); ...; m.paused = True; m.reload(); m.stop(); m.findings()

Every `poll` seconds one cheap query (DatabaseSource.probe: row count, latest date, latest
updated-at) decides whether the figures are queried again. The database going away leaves the
last figures, says "source unreachable since HH:MM: reason" (on_error once, and as a finding
while it lasts), retries after poll, 2 × poll, 4 × poll… (at most `max_backoff` s, reconnecting
each time), and recovers by itself.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kpi_tui.alerts.rules import Finding
from kpi_tui.database.snapshot import DatabaseSnapshot
from kpi_tui.database.url import QueryCancelled, SourceError
from kpi_tui.settings import ConfigError, Settings
from kpi_tui.watch.worker import Worker, noop

DEFAULT_POLL = 60.0  # seconds
MAX_BACKOFF = 300.0  # seconds between retries while the source is unreachable, at most


@dataclass
class DatabaseStatus:
    label: str  # the URL without its password, and the table
    last_check: dt.datetime | None = None  # the last probe that answered
    last_data: dt.datetime | None = None  # when the figures last changed
    query_seconds: float = 0.0  # how long the figures' queries took
    poll: float = DEFAULT_POLL
    down_since: dt.datetime | None = None
    problem: str | None = None
    mode: str = ""  # "polling every N s" (the screen shows "watching (mode)")
    last_file = None  # FolderMonitor's WatchStatus fields the screen reads
    waiting = 0

    def __str__(self) -> str:
        bits = [self.label]
        if self.last_check is not None:
            bits.append(f"checked {self.last_check:%H:%M:%S}")
        bits.append(f"queries {self.query_seconds:.1f} s")
        bits.append(self.mode)
        if self.problem:
            bits.append(self.problem)
        return " · ".join(bits)


class DatabaseMonitor(Worker):
    THREAD_NAME = "kpi-tui-db-watch"

    def __init__(self, url: str, settings: Settings, on_snapshot: Callable,
                 on_status: Callable[[str], None] | None = None,
                 on_error: Callable[[str], None] | None = None, poll: float | None = None, *,
                 table: str | None = None, sql: str | None = None, source=None,
                 max_backoff: float = MAX_BACKOFF, clock: Callable[[], dt.datetime] = dt.datetime.now,
                 **_folder_options):
        if source is not None:  # reopened with the same table or query after an outage
            table, sql = source.table_name, source.sql
        self.url, self.table, self.sql = url, table, sql
        self.settings = settings
        self.on_snapshot = on_snapshot
        self.on_status = on_status or noop
        self.on_error = on_error or noop
        self.poll = float(poll) if poll else DEFAULT_POLL
        self.max_backoff = max(max_backoff, self.poll)
        self.clock = clock
        self.source = source  # a DatabaseSource, opened (again) by the worker when None
        self.status = DatabaseStatus(source.label if source is not None else _label(url, table, sql),
                                     poll=self.poll, mode=f"polling every {self.poll:g} s")
        self.snapshot: DatabaseSnapshot | None = None
        self.computes = 0  # snapshots made (tests)
        self.probes = 0  # probes that answered (tests)
        self._key: tuple | None = None
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._paused = False
        self._reload: Settings | bool = False
        self._failures = 0
        self._shown: str | None = None
        self._thread: threading.Thread | None = None

    # --- public interface: FolderMonitor's (start, stop, reload, paused, alive: Worker) ---
    def findings(self) -> list[Finding]:
        """The source-unreachable finding while the source is down (none otherwise)."""
        st = self.status
        if st.down_since is None or st.problem is None:
            return []
        if st.problem.startswith("query cancelled"):
            return [Finding("query_cancelled", "query_cancelled", "warning", f"⚠ {st.problem}",
                            detail=f"{st.label}: the engine cancelled a query slower than the "
                            "limit; the last figures stay on screen; retrying. Raise the limit "
                            "with --query-timeout SECONDS or [source] query_timeout.")]
        return [Finding("source_unreachable", "source_unreachable", "warning", f"⚠ {st.problem}",
                        detail=f"{st.label}: the last figures stay on screen; retrying")]

    def stop(self, timeout: float = 5.0) -> None:
        """Worker.stop, the running query interrupted first (a large table's: minutes)."""
        src = self.source
        if src is not None:
            src.conn.stop_queries()
        super().stop(timeout)

    # --- worker ---
    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.poll
            if not self._paused or self.snapshot is None:
                try:
                    self._check()
                    delay = self.poll
                except (SourceError, ConfigError) as e:
                    delay = self._down(e)
                except Exception as e:  # a bug must not stop the watcher silently
                    delay = self._down(SourceError(f"watcher error: {type(e).__name__}: {e}"))
            self._wake.wait(delay)
            self._wake.clear()

    def _check(self) -> None:
        from kpi_tui.database.source import DatabaseSource

        reload, self._reload = self._reload, False
        if isinstance(reload, Settings):
            self.settings = reload
            self.source = None
        if self.source is None:
            self.source = DatabaseSource(self.url, self.table, self.sql, self.settings)
            self.status.label = self.source.label
        self._file_there()
        key = self._probe()
        self.probes += 1
        st = self.status
        st.last_check = self.clock()
        was_down = st.down_since is not None
        st.down_since, st.problem, self._failures, self._shown = None, None, 0, None
        if key != self._key or reload is not False or self.snapshot is None:
            snap = DatabaseSnapshot(self.source, self._lock, key)
            self._key, self.snapshot = key, snap
            self.computes += 1
            st.query_seconds, st.last_data = snap.query_seconds, self.clock()
            self._emit(snap)
            try:  # the other granularities now, off the screen's thread, giving way to the
                with snap.background():  # lists the user opens meanwhile
                    snap.fill(self._stop.is_set)
            except Exception:  # noqa: BLE001 - queried again on first use
                pass
        elif was_down:
            self._emit(self.snapshot)  # the last figures, judged again without the finding
        self._status()

    def _probe(self) -> tuple:
        """The source's probe, in the background: a list the user opens meanwhile goes first
        (a probe that interrupted the at-risk card's query every poll would never let a large
        table's finish)."""
        gate = self.source.conn.gate
        with gate.background():
            return gate.retried(self.source.probe)

    def _file_there(self) -> None:
        """A DuckDB file renamed or deleted: an open connection would still read the old one."""
        if self.source.conn.engine != "duckdb":
            return
        from urllib.parse import unquote, urlsplit

        path = unquote(urlsplit(self.url).path)
        if path and not os.path.exists(path):
            raise SourceError(f"{self.source.conn.label}: no such DuckDB file: {path}")

    def _down(self, e: Exception) -> float:
        """The source cannot be read: say so once, keep the figures, retry later."""
        st = self.status
        if st.down_since is None:
            st.down_since = self.clock()
        label = st.label.split(" ")[0]
        reason = str(e).removeprefix(f"{label}: ").removeprefix("cannot connect: ")
        if isinstance(e, QueryCancelled):  # the source answers: the query is too slow
            st.problem = reason[reason.index("query cancelled"):]
        else:
            st.problem = f"source unreachable since {st.down_since:%H:%M}: {reason}"
        self._close()  # reconnect at the next try
        self._failures += 1
        if self._shown is None:  # once per outage; the finding keeps the latest reason
            self._shown = st.problem
            try:
                self.on_error(st.problem)
            except Exception:
                pass
            if self.snapshot is not None:
                self._emit(self.snapshot)  # judged again: the unreachable finding shows
        self._status()
        return min(self.poll * 2 ** (self._failures - 1), self.max_backoff)

    def _close(self) -> None:
        src, self.source = self.source, None
        try:
            if src is not None:
                src.conn.backend.disconnect()
        except Exception:  # noqa: BLE001 - a connection already gone
            pass

    def _emit(self, snap) -> None:
        try:
            self.on_snapshot(snap)
        except Exception:
            pass

    def _status(self) -> None:
        try:
            self.on_status(str(self.status))
        except Exception:
            pass


def _label(url: str, table: str | None, sql: str | None) -> str:
    from kpi_tui.database.url import redact

    return f"{redact(url)} {'table ' + table if table else '(--sql query)'}"


def history_path(label: str, kind: str = "headless"):
    """The alert history of a database source (`kind`: headless or monitor), in the user state
    folder, keyed by the URL without its password and the table."""
    import hashlib

    from kpi_tui.session import state_dir

    key = hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()
    return state_dir() / f"{kind}-db-{key[:16]}.json"
