"""A database source at one moment, with the folder Snapshot's API (kpi_tui.session), so the
screen, `watch --headless` and `findings(snapshot, g, now)` take either.

    snap = DatabaseSnapshot(source)           # the figures and trailing windows, queried now
    snap.figures("month"); snap.at_risk("month"); snap.cohorts("month")
    snap.drill("month", p, "churned", limit=200)   # one page of a list, ORDER BY / LIMIT

The figures and trailing windows of the shown granularity are queried when the snapshot is made;
the other granularities, at-risk totals, cohorts and customer pages on first use, in the engine
(the first and last days of the lists are those known then).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from kpi_tui.database import customers as db_customers
from kpi_tui.metrics.series import MICROS
from kpi_tui.metrics.periods import GRANULARITIES, from_day
from kpi_tui.metrics.report import report_dict

_MISSING = object()


class DatabaseSnapshot:
    """What a front end shows of a database source. Its queries run one at a time on the
    source's one connection (database.gate), the user's before those of a thread in
    `background()`; `lock` guards the source's own state (its figures, trailing windows and
    refresh), shared with the watcher."""

    skipped = ()  # no files
    newest_file_mtime = None  # the stale rule looks at the newest transaction only

    def __init__(self, source, lock: threading.RLock | None = None, probe: tuple | None = None,
                 shown: bool = True):
        """`shown` False: a snapshot for the lists (customers, cohorts) of a source just
        opened: its summary only (one query), no figure queried before it is asked for."""
        self.source = source
        self.settings = source.settings
        self.label = source.label
        self.engine = source.conn.engine
        self.probe = probe  # (rows, latest date, updated-at) the snapshot was made after
        self._lock = lock or threading.RLock()
        self._gate = source.conn.gate
        self._done: dict[tuple, object] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        g0 = self.settings.granularity
        with self._lock:  # the shown granularity now (its figures hold the summary too)
            if shown:
                source.refresh()
                source.query_seconds = 0.0
                self._done[("figures", g0)] = source.figures(g0)
            self._generation = source.generation
            s = dict(source.summary)
            self.currency = source.currency
            self.warnings = list(source.warnings)
            if shown:
                self._done[("trailing", g0)] = source.trailing(g0)
            self.query_seconds = source.query_seconds  # the figures' queries
            self.t = source.transactions  # the Ibis expression the lists are computed on
        self.rows = int(s["rows"] or 0)
        self.first_day = None if s["first_day"] is None else int(s["first_day"])
        self.last_day = None if s["last_day"] is None else int(s["last_day"])
        self.unattributed_revenue = int(s["unattributed"] or 0) / MICROS
        self.as_of: dt.date | None = (self.settings.as_of if self.settings.as_of is not None
                                      else None if self.last_day is None
                                      else from_day(self.last_day))
        self.newest_transaction = None if self.last_day is None else from_day(self.last_day)
        self.computed_at = dt.datetime.now()

    # ---- queries, one at a time on the connection (database.gate) ----
    def run(self, expr):
        t0 = time.monotonic()
        try:
            return self.source.conn.run(expr)
        finally:
            self.query_seconds += time.monotonic() - t0

    def background(self):
        """This thread's queries (`fill`, the at-risk card's totals) give way to those the user
        waits for: a running one is interrupted and runs again after them."""
        return self._gate.background()

    def _get(self, key: tuple, compute, state: bool = False):
        """`compute()` once per key (two threads asking wait for one computation). `state`: it
        uses the source's state (figures, trailing), under `lock`. In `background()`, a
        computation whose query gave way runs again once the user's queries are done."""
        v = self._done.get(key, _MISSING)  # done: without any lock
        if v is not _MISSING:
            return v

        def once():
            with self._gate.foreground(), self._locks.setdefault(key, threading.Lock()):
                v = self._done.get(key, _MISSING)
                if v is _MISSING:
                    if state:
                        with self._lock:
                            v = compute()
                    else:
                        v = compute()
                    self._done[key] = v
                return v

        # not again when newer figures came meanwhile
        return self._gate.retried(once, lambda: self.source.generation != self._generation)

    def ready(self, kind: str, g: str) -> bool:
        return (kind, g) in self._done

    def span(self, g: str) -> db_customers.Span | None:
        if self.first_day is None:
            return None
        return db_customers.span_of(g, self.first_day, self.last_day, self.settings.as_of)

    # ---- the Snapshot API ----
    def figures(self, g: str) -> list[dict]:
        """The period figures of g: the shown granularity's queried with the snapshot, the
        others on first use (one query each)."""
        if g not in GRANULARITIES:
            raise ValueError(f"unknown granularity {g!r}")
        return self._get(("figures", g), lambda: self.source.figures(g), state=True)

    def trailing(self, g: str) -> dict | None:
        if g not in GRANULARITIES:
            raise ValueError(f"unknown granularity {g!r}")
        return self._get(("trailing", g), lambda: self.source.trailing(g), state=True)

    def report(self, g: str) -> dict:
        return report_dict(g, self.currency, self.unattributed_revenue, self.figures(g))

    def at_risk(self, g: str):
        """AtRiskTotals of g (None without transactions), computed in the engine."""
        from kpi_tui.database import at_risk as db_at_risk  # (numpy: not for a list)

        def compute():
            if self.first_day is None:
                return None
            parts = self.source.conn.parts
            self.at_risk_memory(parts)
            return db_at_risk.at_risk_totals(self.t, g, rule=self.settings.at_risk,
                                             run=self.run, s=self.span(g), parts=parts)

        return self._get(("at_risk", g), compute)

    def at_risk_memory(self, parts: int = 1) -> None:
        """DuckDB's memory for the at-risk queries (of `parts` parts of the customers), set
        before they run (connect.DUCKDB_AT_RISK_MB_PER_M)."""
        from kpi_tui.database.connect import DUCKDB_AT_RISK_MB_PER_M

        self.source.conn.expect_memory(DUCKDB_AT_RISK_MB_PER_M * self.rows / 1e6 / parts)

    def cohorts(self, g: str):
        from kpi_tui.database import cohorts as db_cohorts

        return self._get(("cohorts", g), lambda: None if self.first_day is None else
                         db_cohorts.cohorts(self.t, g, run=self.run, s=self.span(g)))

    def period_at(self, g: str, at: dt.date | None = None) -> int | None:
        """The period holding `at`, else the latest complete one (metrics.customers.period_at)."""
        return db_customers.period_at(self.span(g), at)

    def drill(self, g: str, p: int, group: str, limit: int | None = 200,
              offset: int = 0) -> db_customers.DrillPage:
        """One page of the customers of `group` in period p, ranked, with the group's totals."""
        def compute():
            if group == "at-risk":
                self.at_risk_memory()
            return db_customers.drill(self.t, self.span(g), p, group, limit, offset,
                                      self.settings.at_risk, self.run,
                                      hex_names=self.engine == "mysql")

        return self._get(("drill", g, p, group, limit, offset), compute)

    def fill(self, stop=None) -> bool:
        """Query the figures then the trailing windows of every granularity (until `stop()`)."""
        for get in (self.figures, self.trailing):
            for g in GRANULARITIES:
                if stop is not None and stop():
                    return False
                get(g)
        return True

    def same_as(self, other) -> bool:
        """True when `other` shows the same figures of the same source."""
        return (isinstance(other, DatabaseSnapshot) and other.label == self.label
                and other.settings == self.settings and other.currency == self.currency
                and other.warnings == self.warnings
                and other.figures(self.settings.granularity) == self.figures(
                    self.settings.granularity)
                and other.unattributed_revenue == self.unattributed_revenue)
