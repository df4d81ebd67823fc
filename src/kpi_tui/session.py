"""A source opened with its settings, its snapshot, and the findings every front end judges.

    source = open_source(spec, settings)   # a folder today; a database URL (kpi_tui.database)
    source.probe()                         # ConfigError when it cannot be read at all
    snap = source.snapshot()               # figures(g), trailing(g), at_risk(g): on first use
    findings(snap, g, now)                 # the alert rules: screen, watch --headless, --once

Nothing here imports Textual; the command line, the screen and the watcher sit on top.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kpi_tui.database.url import url_like as is_url
from kpi_tui.metrics.cohorts import Cohorts, cohorts
from kpi_tui.metrics.customers import AtRiskTotals, CustomerIndex, at_risk_totals, build_index
from kpi_tui.metrics.figures import as_of_day, figures_from_sums, window_figures
from kpi_tui.metrics.ledger import Ledger, PeriodSums, period_sums
from kpi_tui.metrics.periods import GRANULARITIES, from_day
from kpi_tui.metrics.report import report_dict
from kpi_tui.settings import ConfigError, Settings

if TYPE_CHECKING:  # the folder engine and the alert rules: imported where used (a database
    from kpi_tui.alerts.rules import Finding  # source's command does without them)
    from kpi_tui.ingest.folder import Dataset

_MISSING = object()


class Snapshot:
    """What a front end shows of one source at one moment. The figures, trailing windows,
    customer index and at-risk totals of each granularity are computed on first use, once
    (one lock per item: two threads asking for the same one wait for one computation)."""

    def __init__(self, dataset: Dataset, ledger: Ledger, settings: Settings,
                 sums: dict[str, PeriodSums] | None = None):
        self.dataset = dataset
        self.ledger = ledger
        self.settings = settings
        d = as_of_day(ledger, settings.as_of)
        self.as_of: dt.date | None = None if d is None else from_day(d)
        self.computed_at = dt.datetime.now()
        # period sums already at hand (the watcher's incremental ones); the watcher's own dict,
        # even empty: the sums it adds next are this snapshot's too (not computed twice)
        self._sums = sums if sums is not None else {}
        self._done: dict[tuple[str, str], object] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    # ---- what the source says ----
    label = property(lambda self: str(self.dataset.root))
    currency = property(lambda self: self.dataset.currency)
    warnings = property(lambda self: self.dataset.warnings)
    skipped = property(lambda self: self.dataset.skipped)

    @property
    def unattributed_revenue(self) -> float:
        return self.ledger.unattributed_micros / self.ledger.scale

    @property
    def newest_file_mtime(self) -> float | None:
        mtimes = [f.mtime for f in self.dataset.used if f.mtime]
        return max(mtimes) if mtimes else None

    # ---- computed on first use ----
    def _get(self, kind: str, g: str, compute: Callable[[], object]):
        if g not in GRANULARITIES:
            raise ValueError(f"unknown granularity {g!r}")
        key = (kind, g)
        v = self._done.get(key, _MISSING)
        if v is not _MISSING:
            return v
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            v = self._done.get(key, _MISSING)
            if v is _MISSING:
                v = self._done[key] = compute()
            return v

    def background(self):
        """This thread's computations give way to the user's (a database's queries do:
        database.gate; a folder's are in memory: nothing to do)."""
        return contextlib.nullcontext()

    def ready(self, kind: str, g: str) -> bool:
        """True when `kind` (a method's name: "figures", "at_risk"…) of g is computed."""
        return (kind, g) in self._done

    def sums(self, g: str) -> PeriodSums | None:
        """Net amount per customer and period of g (None without transactions)."""
        return self._get("sums", g, lambda: self._sums.get(g) or period_sums(self.ledger, g))

    def figures(self, g: str) -> list[dict]:
        """The period figures of METRICS.md for granularity g, oldest first."""
        s = self.settings
        return self._get("figures", g, lambda: figures_from_sums(
            self.sums(g), self.ledger, g, s.as_of, s.margin))

    def cohorts(self, g: str) -> Cohorts | None:
        """Customers by period of first purchase, followed over time (None: no transactions)."""
        return self._get("cohorts", g, lambda: cohorts(
            self.sums(g), g, as_of_day(self.ledger, self.settings.as_of)))

    def trailing(self, g: str) -> dict | None:
        """The trailing windows of g ending on the as-of date (None without transactions)."""
        s = self.settings
        return self._get("trailing", g,
                         lambda: window_figures(self.ledger, g, s.as_of, s.margin))

    def customers(self, g: str) -> CustomerIndex:
        """Who is behind each movement of g (metrics.customers), with the at-risk assessment."""
        def compute():
            idx = build_index(self.ledger, g, self.settings.as_of, self.settings.at_risk)
            idx.assessment()
            return idx
        return self._get("customers", g, compute)

    def at_risk(self, g: str) -> AtRiskTotals | None:
        """At-risk customers and their value at stake, now and at the end of the period before."""
        return self._get("at_risk", g, lambda: at_risk_totals(self.customers(g)))

    def fill(self, stop: Callable[[], bool] | None = None) -> bool:
        """Compute the figures then the trailing windows of every granularity (until `stop()`
        says so); True when all are done."""
        for get in (self.figures, self.trailing):
            for g in GRANULARITIES:
                if stop is not None and stop():
                    return False
                get(g)
        return True

    def report(self, g: str) -> dict:
        return report_dict(g, self.currency, self.unattributed_revenue, self.figures(g))

    def same_as(self, other: Snapshot | None) -> bool:
        """True when `other` shows exactly what this one does (same transactions and files)."""
        if other is None:
            return False

        def files(s):
            return [(str(f.path), f.error, f.rows_kept) for f in s.dataset.files]

        a, b = self.ledger, other.ledger
        return (self.as_of == other.as_of and self.currency == other.currency
                and self.settings == other.settings and files(self) == files(other)
                and self.warnings == other.warnings
                and a.unattributed_micros == b.unattributed_micros
                and len(a.day) == len(b.day) and (a.day == b.day).all()
                and (a.micros == b.micros).all() and (a.customer == b.customer).all()
                and list(a.names) == list(b.names))


def findings(snapshot: Snapshot, g: str, now: dt.datetime, *,
             at_risk: bool = True) -> list[Finding]:
    """The alert rules on granularity g of `snapshot`: one function for every front end.

    `at_risk=False` leaves the at-risk jump unjudged (the screen, while the totals are still
    being computed in a worker). A hand-set as-of date looks at the past: the stale-data rule
    is not judged then (neither the newest transaction nor the newest file)."""
    from kpi_tui.alerts.rules import AtRiskStake, evaluate

    s = snapshot.settings
    live = s.as_of is None
    stake = None
    if at_risk and hasattr(snapshot, "at_risk"):  # a source without customer lists: not judged
        t = snapshot.at_risk(g)
        if t is not None:
            stake = AtRiskStake(t.stake, t.since_stake, t.customers, t.since.isoformat())
    return evaluate(
        snapshot.figures(g), g, s.thresholds, locale=s.locale, currency=snapshot.currency,
        newest_txn=snapshot.as_of if live else None,
        newest_file_mtime=getattr(snapshot, "newest_file_mtime", None) if live else None,
        now=now, skipped=[(f.path.name, f.error or "") for f in getattr(snapshot, "skipped", ())],
        warnings=snapshot.warnings, at_risk=stake,
    )  # fmt: skip


# ---- sources ---------------------------------------------------------------------------------


class Source(Protocol):
    """Where the transactions come from: a folder of exports, or a database."""

    label: str
    settings: Settings

    def probe(self) -> None: ...  # ConfigError when it cannot be read at all

    def snapshot(self) -> Snapshot: ...

    def check_text(self) -> str: ...


class FolderSource:
    def __init__(self, root: Path, settings: Settings):
        self.root = Path(root)
        self.settings = settings
        self.label = str(root)

    def probe(self) -> None:
        if not self.root.is_dir():
            what = "is a file, not a folder" if self.root.exists() else "no such folder"
            raise ConfigError(f"{self.root}: {what}")

    def snapshot(self) -> Snapshot:
        """Figures of the folder, from the ledger cache when the folder is unchanged."""
        from kpi_tui import ledger_cache

        self.probe()
        ds, ledger = ledger_cache.load(self.root, self.settings, self.settings.cache, behind=True)
        return Snapshot(ds, ledger, self.settings)

    def dataset(self) -> Dataset:
        """Every file read (what `check` shows), the rows kept."""
        from kpi_tui.ingest.folder import load_folder

        self.probe()
        return load_folder(self.root, self.settings)

    def check_text(self) -> str:
        from kpi_tui.ingest.check import check_text

        return check_text(self.dataset())


def open_source(spec: str | Path, settings: Settings, **options) -> Source:
    """A folder path, or a database URL (`postgresql://…`, `duckdb:///file.db`…) with its
    `options` (table=, sql=). A database source is its own snapshot (it queries on first use)."""
    if is_url(spec):
        from kpi_tui.database.source import open_database

        return open_database(spec, settings, **options)
    return FolderSource(Path(spec), settings)


# ---- where state is kept (user state dir, never the data folder) ---------------------------------


def state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("kpi-tui"))


def monitor_history_path(root: Path) -> Path:
    """The monitor's alert history of a folder."""
    key = hashlib.sha1(str(Path(root).resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return state_dir() / f"monitor-alerts-{key[:12]}.json"


def headless_history_path(root: Path) -> Path:
    """`watch --headless`'s alert history of a folder (so --once from cron never repeats)."""
    key = hashlib.sha256(str(Path(root).absolute()).encode("utf-8", "surrogateescape")).hexdigest()
    return state_dir() / f"headless-{key[:16]}.json"
