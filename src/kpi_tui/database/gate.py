"""One query at a time on a connection, and the user's before the background's.

The monitor queries a database from several threads: the watcher fills in the other
granularities after the first screen, the at-risk card's totals are computed, and the user opens
a list. On a large table each of those queries takes seconds to minutes (10M rows: the at-risk
totals ~30 s on DuckDB; a granularity's figures ~20-45 s on PostgreSQL), and a list the user
asked for waited behind them. Here a query of a thread marked `background()` gives way: when a
foreground query (or a foreground computation, `foreground()`) waits, the running background
query is interrupted (`interrupt`: DuckDB's interrupt, PostgreSQL's cancel, MySQL's KILL
QUERY, Spark's job cancel; on another engine it runs to its end) and raises `Preempted`; no
background query starts while one waits. The background's caller runs it again after
(`wait_foreground`).

    gate = Gate(conn.preempt)
    with gate.query(): ...            # around each statement (Connection.limited)
    with gate.background(): ...       # this thread's queries give way
"""

from __future__ import annotations

import contextlib
import threading

from kpi_tui.database.url import SourceError

RETRY_PREEMPT = 0.25  # s: a foreground waiting interrupts the background query again


class Preempted(SourceError):
    """A background query stopped for one the user waits for; run it again after."""


class Gate:
    def __init__(self, interrupt=None):
        self._interrupt = interrupt  # () -> None: stops the statement running now
        self._cv = threading.Condition()
        self._owner: int | None = None  # thread of the statement running
        self._depth = 0
        self._bg_running = False
        self._preempting = False  # the running statement was interrupted by the gate
        self._waiting = 0  # foreground threads waiting (or computing: foreground())
        self._local = threading.local()

    # -- marks
    @property
    def in_background(self) -> bool:
        return bool(getattr(self._local, "background", 0))

    @contextlib.contextmanager
    def background(self):
        """This thread's queries give way to the foreground's."""
        self._local.background = getattr(self._local, "background", 0) + 1
        try:
            yield
        finally:
            self._local.background -= 1

    @contextlib.contextmanager
    def foreground(self):
        """A foreground computation (several queries, or a lock a background one may hold):
        background queries stop meanwhile. Nothing in a background thread."""
        if self.in_background:
            yield
            return
        with self._cv:
            self._waiting += 1
            self._stop_background()
        try:
            yield
        finally:
            with self._cv:
                self._waiting -= 1
                self._cv.notify_all()

    # -- statements
    @contextlib.contextmanager
    def query(self):
        """Around one statement: waits its turn (re-entrant in one thread). A background one
        raises Preempted instead of waiting while a foreground one waits."""
        me = threading.get_ident()
        with self._cv:
            if self._owner == me:
                self._depth += 1
            else:
                self._take(me)
        try:
            yield
        finally:
            with self._cv:
                self._depth -= 1
                if not self._depth:
                    self._owner, self._bg_running, self._preempting = None, False, False
                    self._cv.notify_all()

    def _take(self, me: int) -> None:
        bg = self.in_background
        if not bg:
            self._waiting += 1
        try:
            while self._owner is not None or (bg and self._waiting):
                if bg and self._waiting:
                    raise Preempted("a query of the background gave way to the user's")
                if not bg:  # (a background one waits its turn)
                    self._stop_background()
                self._cv.wait(RETRY_PREEMPT)
        finally:
            if not bg:
                self._waiting -= 1
        self._owner, self._depth, self._bg_running = me, 1, bg

    def _stop_background(self) -> None:
        """(Under the condition's lock.) Interrupt the running statement if it is a background
        one."""
        if self._bg_running and self._interrupt is not None:
            self._preempting = True
            try:
                self._interrupt()
            except Exception:  # noqa: BLE001 - best effort: it then runs to its end
                pass

    def preempted(self) -> bool:
        """Whether the gate interrupted this thread's running statement (its error is then
        Preempted, not the engine's)."""
        with self._cv:
            return self._preempting and self._owner == threading.get_ident()

    def retried(self, fn, stale=lambda: False):
        """fn(); in a background thread, when its query gave way: again once the user's
        queries are done (unless `stale()`: its answer is no longer wanted)."""
        while True:
            try:
                return fn()
            except Preempted:
                if not self.in_background or stale():
                    raise
                self.wait_foreground()

    def wait_foreground(self, timeout: float | None = None) -> None:
        """Until no foreground query waits (a background caller then runs its query again)."""
        with self._cv:
            self._cv.wait_for(lambda: not self._waiting, timeout)
