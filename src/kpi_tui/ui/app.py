"""The wall-screen monitor: `kpi-tui [DIR]`.

Data work (reading the folder, the session's snapshot) runs in thread workers or in the folder
watcher (ui.feed); results come back to the UI thread, which only re-renders precomputed figures.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import LoadingIndicator, ProgressBar

from kpi_tui.alerts.explain import why_sentence
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.safe import markup as escape
from kpi_tui.session import FolderSource, Snapshot, monitor_history_path, state_dir
from kpi_tui.settings import GRANULARITIES, Settings
from kpi_tui.ui import glyphs, keys
from kpi_tui.ui.chrome import Chrome
from kpi_tui.ui.commands import Commands
from kpi_tui.ui.customers_nav import CustomersNav
from kpi_tui.ui.feed import Feed
from kpi_tui.ui.model import Focus, default_pos, period_focus, trailing_focus
from kpi_tui.ui.prefs import load_theme, save_theme
from kpi_tui.ui.text import shorten
from kpi_tui.ui.widgets.base import Text
from kpi_tui.ui.widgets.chart import HistoryChart
from kpi_tui.ui.widgets.headline import Headline
from kpi_tui.ui.widgets.panels import EffectBars, Movements, RecentTable

MIN_W, MIN_H = 60, 16


class Body(VerticalScroll, can_focus=False):
    """The figures; on small screens the lower panels are below, a scroll (or b) away. Never
    focused: the arrows, Home and End stay the screen's keys."""


def ansi16(app: App) -> bool:
    """A 16-colour terminal (TERM=xterm, linux…): the theme's tints round to grey there. The
    headless test driver says "standard" too, so it is asked only of a real terminal."""
    return not app.is_headless and app.console.color_system in ("standard", "windows")


def load_snapshot(root: Path, settings: Settings) -> Snapshot:
    return FolderSource(root, settings).snapshot()


class KpiApp(Commands, CustomersNav, Feed, Chrome, App):
    """The screen's layout and what it shows; the keys and palette (ui.commands, read-only
    aware), the customer lists (ui.customers_nav), the data plumbing (ui.feed) and the lines
    around the figures (ui.chrome) are its mixins."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: test hosts use it too
    TITLE = "kpi-tui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = keys.bindings()
    # size classes set on the screen by Textual: one per axis, the largest that fits
    HORIZONTAL_BREAKPOINTS = [(0, "-w60"), (80, "-w80"), (100, "-w100"), (160, "-w160"),
                              (220, "-w220")]
    VERTICAL_BREAKPOINTS = [(0, "-h16"), (24, "-h24"), (30, "-h30"), (40, "-h40"), (50, "-h50"),
                            (64, "-h64")]

    # what the screen shows; each change re-renders through its watcher
    g = reactive("month", init=False)
    trailing = reactive(False, init=False)
    paused = reactive(False, init=False)
    period = reactive(None, init=False)  # start of the chosen period of g (None: the latest)

    def __init__(
        self,
        root: Path,
        settings: Settings | None = None,
        poll: float | None = None,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        loader: Callable[[], Snapshot] | None = None,
        watch: bool = True,
        folder_label: str | None = None,
        history_path: Path | None = None,
        monitor_factory: Callable | None = None,
        prefs_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.monitor_factory = monitor_factory  # FolderMonitor's signature (watch.database)
        self.root = Path(root)
        self.settings = settings or Settings()
        self.poll = poll
        self.folder_label = folder_label or str(root)
        self.clock = clock or dt.datetime.now
        self.loader = loader or (lambda: load_snapshot(self.root, self.settings))
        self.watch = watch and loader is None
        self.set_reactive(KpiApp.g, self.settings.granularity
                          if self.settings.granularity in GRANULARITIES else "month")
        self.snapshot: Snapshot | None = None
        self._querying: tuple | None = None  # (snapshot, granularity) queried by _query_first
        self._query_failed: tuple | None = None
        self.pending: Snapshot | None = None
        self.selected: dict[str, str | None] = {}  # granularity -> start of chosen period
        self.checked: dt.datetime | None = None  # when the source was last seen alive
        self.refreshed: dt.datetime | None = None
        self.banners: list[str] = []  # the findings' messages
        self.banner_ranks: dict[str, int] = {}  # shown data problems first (ui.status)
        # granularity -> (data_id, AtRiskTotals | None | False) of the at-risk card
        self.at_risk: dict[str, tuple] = {}
        self.status_note = ("reading the data folder…" if monitor_factory is None
                            else "querying the source…")
        self.error: str | None = None
        self.monitor = None
        self.data_id = 0
        self.history_path = history_path
        self.prefs_path = prefs_path  # the theme chosen last time (ui.prefs)
        self.ascii = glyphs.wanted() if self.settings.ascii is None else self.settings.ascii
        self.history = AlertHistory.load(history_path) if history_path else AlertHistory()

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Container(id="main"):
            yield Text(id="banners")
            with Horizontal(id="titlebar"):
                yield Text(id="tabs")
                yield Text(id="alive")
            with Vertical(id="loading"):
                yield LoadingIndicator()
                yield Text(id="load-msg")
                yield ProgressBar(id="load-progress", show_eta=False)
            with Body(id="body"):
                with Vertical(id="top"):
                    yield Headline(id="headline")
                    yield Text(id="sentence")
                    with Horizontal(id="middle"):
                        with Vertical(id="why"):
                            yield EffectBars(id="bars")
                        yield HistoryChart(self.settings.marker, id="chart")
                with Horizontal(id="lower"):
                    yield Movements(id="movements")
                    yield RecentTable(id="recent")
            yield Text(id="keys")
            yield Text(id="status")
        yield Text(id="too-small")

    def _fatal_error(self) -> None:
        """Textual's report of a crash, without its frames' local values (Textual shows them
        by their repr): a database URL with its password may be one of them."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        report = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(report,
                                                                   self.console.options)))
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        self.set_class(ansi16(self), "-ansi16")
        self.set_class(self.ascii, "-ascii")
        self._apply_theme()
        self.query_one("#body").display = False
        self.query_one("#load-msg", Text).show(f"Reading {escape(self.folder_label)}…")
        self._fit_screen(self.size.width, self.size.height)
        self._render_status()
        self._render_titlebar()
        self.set_interval(30, self._tick)
        self.start_feed()

    def _apply_theme(self) -> None:
        """The theme of the settings (kpi-tui.toml `theme`), else the one chosen last time;
        each later choice (T, the command palette) is kept for the next start."""
        wanted = self.settings.theme or load_theme(self.prefs_path)
        if wanted in self.available_themes:
            self.theme = wanted
        elif self.settings.theme:
            self.notify(f"Unknown theme {self.settings.theme!r}: "
                        f"{', '.join(sorted(self.available_themes))}", severity="warning")
        self.theme_changed_signal.subscribe(self, lambda t: save_theme(self.prefs_path, t.name))
    def on_resize(self, event) -> None:
        self._fit_screen(event.size.width, event.size.height)

    def _fit_screen(self, w: int, h: int) -> None:
        """Too small: say so. Otherwise the screen's size classes (Textual's breakpoints) do the
        layout; the texts whose words depend on the width are rendered again."""
        main = self.query_one("#main")
        tiny = w < MIN_W or h < MIN_H
        main.display = not tiny
        small = self.query_one("#too-small", Text)
        small.display = tiny
        if tiny:
            small.show(f"The terminal is too small for kpi-tui ({w}×{h}).\n"
                       f"Please make it at least {MIN_W}×{MIN_H}.")
        self.call_after_refresh(self.render_all)

    # ---- rendering -----------------------------------------------------------------------

    @property
    def rows(self) -> list[dict]:
        if self.snapshot is None or self._query_first():  # (a database: being queried)
            return []
        return self.snapshot.figures(self.g)

    def position(self) -> int | None:
        rows = self.rows
        start = self.selected.get(self.g)
        if start is not None:
            for i in range(len(rows) - 1, -1, -1):
                if rows[i]["start"] == start:
                    return i
        return default_pos(rows)

    def focus_now(self) -> Focus | None:
        snap = self.snapshot
        if snap is None:
            return None
        loc = self.settings.locale
        if self.trailing:
            tr = snap.trailing(self.g)
            return trailing_focus(tr, self.g, loc) if tr else None
        pos = self.position()
        return None if pos is None else period_focus(self.rows, pos, self.g, loc)

    @property
    def closing(self) -> bool:
        """Closing: a snapshot or a tick that arrives now has no widgets left (Textual's
        shutdown, e.g. a test's app leaving run_test without exit(), clears _running first)."""
        return self._exit or not self._running

    def render_all(self) -> None:
        if self.closing:
            return
        snap = self.snapshot
        waiting = snap is not None and self._query_first()
        self._render_titlebar()
        self._render_banners()
        self._render_status()
        if snap is None or waiting:
            return
        cur, loc = snap.currency, self.settings.locale
        f = self.focus_now()
        body = self.query_one("#body")
        body.set_class(f is None, "-empty")
        if f is None:
            self.query_one("#sentence", Text).show(
                f"No transactions found in {escape(self.folder_label)} yet. "
                + ("Drop sales exports (CSV, Excel) there; " if self.monitor_factory is None
                   else "") + "the screen updates by itself.")
            return
        self.query_one(Headline).show(f, cur, loc)
        self._render_at_risk()
        sentence = why_sentence(f.row, f.prev, cur, loc, f.prev_label or "")
        if self.screen.has_class("-h16"):  # one line: whole clauses or words (body's scrollbar)
            sentence = shorten(glyphs.shown(self, sentence), self.size.width - 3)
        self.query_one("#sentence", Text).show(escape(sentence))
        pos = None if self.trailing else self.position()
        self.query_one(HistoryChart).show(self.rows, self.g, pos, self.data_id, cur, loc)
        self.query_one(EffectBars).show(f, cur, loc)
        self.query_one(Movements).show_focus(f, cur, loc)
        self.query_one(RecentTable).show(self.rows, self.g, pos, cur, loc, self.data_id,
                                         f if self.trailing else None)

    def at_risk_ready(self, snap: Snapshot, g: str, totals) -> None:
        """The at-risk totals of granularity g, computed in prefetch_customers."""
        if snap is not self.snapshot or self.closing:
            return  # newer data arrived meanwhile (its own computation follows), or no widgets
        self.at_risk[g] = (self.data_id, totals)
        if g == self.g:
            self._update_alerts()
            self._render_banners()
            self._render_at_risk()

    def _render_at_risk(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        entry = self.at_risk.get(self.g)
        ready = entry is not None and entry[0] == self.data_id
        self.query_one(Headline).show_at_risk(entry[1] if ready else None, snap.currency,
                                              self.settings.locale)

    # ---- what is shown: reactive attributes, re-rendered by their watchers -----------------

    def watch_g(self) -> None:
        self.set_reactive(KpiApp.period, self.selected.get(self.g))
        self._update_alerts()
        self.render_all()
        self.prefetch_customers()  # the at-risk card's value is per period of g

    def _query_first(self) -> bool:
        """A database's figures of the shown granularity not queried yet (the watcher queries
        the others after the first; 100M rows: minutes): True while a worker queries them, so
        that the screen keeps answering keys meanwhile; shown when they come (`_g_queried`)."""
        snap, g = self.snapshot, self.g
        if (self.monitor_factory is None or snap is None
                or (snap.ready("figures", g) and snap.ready("trailing", g))
                or self._query_failed == (snap, g)):  # then on the screen's thread, as before
            return False
        if self._querying != (snap, g):
            self._querying = (snap, g)
            self._query_g(snap, g)
        return True

    @property
    def querying(self) -> str | None:
        """The granularity a worker queries for the screen (a database's), else None."""
        return self._querying[1] if self._querying else None

    @work(thread=True, group="granularity")
    def _query_g(self, snap: Snapshot, g: str) -> None:
        try:
            snap.figures(g)
            snap.trailing(g)
        except Exception:  # noqa: BLE001 - raised again on the screen's thread, as before
            self._query_failed = (snap, g)
        self.call_from_thread(self._g_queried, snap, g)

    def _g_queried(self, snap: Snapshot, g: str) -> None:
        if self._querying == (snap, g):
            self._querying = None
        if snap is self.snapshot and g == self.g and not self.closing:
            self._update_alerts()
            self.render_all()
            self.prefetch_customers()
        elif not self.closing:
            self._render_status()

    def watch_period(self, start: str | None) -> None:
        self.selected[self.g] = start
        self.render_all()

    def watch_trailing(self) -> None:
        self.render_all()

    def watch_paused(self, paused: bool) -> None:
        if self.monitor is not None:
            self.monitor.paused = paused
        if not paused and self.pending is not None:
            self.apply_snapshot(self.pending)
        else:
            self._render_status()
            self._render_titlebar()
def run_monitor(root: Path, settings: Settings, poll: float | None = None) -> int:
    root = Path(root)
    if not root.is_dir():
        print(f"kpi-tui: {root}: no such folder (give the folder holding your sales exports)",
              file=sys.stderr)
        return 2
    app = KpiApp(root, settings, poll, history_path=monitor_history_path(root),
                 prefs_path=state_dir() / "monitor-prefs.json")
    app.run()
    return app.return_code or 0


def database_app(source, settings: Settings, poll: float | None = None, *,
                 url: str | None = None, table: str | None = None, sql: str | None = None,
                 **options) -> KpiApp:
    """The monitor on an opened DatabaseSource, polled by watch.database.DatabaseMonitor
    (`options`: DatabaseMonitor's, e.g. max_backoff). `source` None: not reachable at start
    (a served tab): the monitor opens `url` (`table` or `sql`) itself, its banner saying why
    it cannot yet, retrying."""
    from kpi_tui.watch.database import DatabaseMonitor, _label, history_path

    label = source.label if source is not None else _label(url, table, sql)

    def factory(_root, s, **kw):  # the screen's clock: "unreachable since HH:MM"
        return DatabaseMonitor(url if source is None else source.url, s, source=source,
                               table=table, sql=sql, clock=lambda: app.clock(), **kw,
                               **options)

    app = KpiApp(Path("."), settings, poll, folder_label=label, monitor_factory=factory,
                 history_path=history_path(label, "monitor"),
                 prefs_path=state_dir() / "monitor-prefs.json")
    return app


def run_database_monitor(source, settings: Settings, poll: float | None = None,
                         **spec) -> int:
    app = database_app(source, settings, poll, **spec)
    app.run()
    return app.return_code or 0
