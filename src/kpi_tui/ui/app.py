"""The wall-screen monitor: `kpi-tui [DIR]`.

Data work (reading the folder, the session's snapshot) runs in thread workers or in the folder watcher;
results come back to the UI thread, which only re-renders precomputed figures.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Callable

from kpi_tui.safe import markup as escape
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import LoadingIndicator, ProgressBar

from kpi_tui.alerts.explain import why_sentence
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.session import FolderSource, Snapshot, findings, monitor_history_path
from kpi_tui.settings import GRANULARITIES, Settings
from kpi_tui.ui.customers_nav import CustomersNav
from kpi_tui.ui.messages import NewSnapshot, ReadProgress, WatcherError, WatcherStatus
from kpi_tui.ui.model import G_NAMES, Focus, default_pos, period_focus, trailing_focus
from kpi_tui.ui.readonly import ReadOnly  # `--read-only` (kpi-tui serve)
from kpi_tui.ui.screens.alerts import AlertsScreen
from kpi_tui.ui.screens.help import HelpScreen
from kpi_tui.ui.text import count
from kpi_tui.ui.widgets.base import Text
from kpi_tui.ui.widgets.chart import HistoryChart
from kpi_tui.ui.widgets.headline import Headline
from kpi_tui.ui.widgets.panels import EffectBars, Movements, RecentTable

MIN_W, MIN_H = 60, 16


def load_snapshot(root: Path, settings: Settings) -> Snapshot:
    return FolderSource(root, settings).snapshot()


class KpiApp(ReadOnly, CustomersNav, App):
    CSS_PATH = "app.tcss"
    TITLE = "kpi-tui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("d", "granularity('day')", "Day", show=False),
        Binding("w", "granularity('week')", "Week", show=False),
        Binding("m", "granularity('month')", "Month", show=False),
        Binding("q", "granularity('quarter')", "Quarter", show=False),
        Binding("y", "granularity('year')", "Year", show=False),
        Binding("left", "move(-1)", "Previous period", show=False),
        Binding("right", "move(1)", "Next period", show=False),
        Binding("home", "first", "First period", show=False),
        Binding("end", "latest", "Latest period", show=False),
        Binding("t", "trailing", "Trailing windows", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("p", "pause", "Pause", show=False),
        Binding("a", "alerts", "Alerts", show=False),
        Binding("question_mark", "help", "Help", show=False),
        Binding("1", "drill('churn_effect')", "Customers who left", show=False),
        Binding("2", "drill('spend_effect')", "Existing customers' spend", show=False),
        Binding("3", "drill('acquisition_effect')", "New & returning", show=False),
        Binding("4", "drill('other_effect')", "Refunds", show=False),
        Binding("enter", "drill('selected')", "Customers behind the chosen effect", show=False),
        Binding("up", "select_effect(-1)", "Previous effect", show=False),
        Binding("down", "select_effect(1)", "Next effect", show=False),
        Binding("c", "cohorts", "Cohorts", show=False),
        Binding("k", "at_risk", "At-risk customers", show=False),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

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
        self.g = self.settings.granularity if self.settings.granularity in GRANULARITIES else "month"
        self.snapshot: Snapshot | None = None
        self.pending: Snapshot | None = None
        self.selected: dict[str, str | None] = {}  # granularity -> start of chosen period
        self.trailing = False
        self.paused = False
        self.refreshed: dt.datetime | None = None
        self.banners: list[str] = []
        # granularity -> (data_id, AtRiskTotals | None | False) of the at-risk card
        self.at_risk: dict[str, tuple] = {}
        self.status_note = ("reading the data folder…" if monitor_factory is None
                            else "querying the source…")
        self.error: str | None = None
        self.monitor = None
        self.data_id = 0
        self.history_path = history_path
        self.history = AlertHistory.load(history_path) if history_path else AlertHistory()

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Container(id="main"):
            yield Text(id="banners")
            yield Text(id="titlebar")
            with Vertical(id="loading"):
                yield LoadingIndicator()
                yield Text(id="load-msg")
                yield ProgressBar(id="load-progress", show_eta=False)
            with Vertical(id="body"):
                yield Headline(id="headline")
                yield Text(id="sentence")
                with Horizontal(id="middle"):
                    yield HistoryChart(self.settings.marker, id="chart")
                    with Vertical(id="why"):
                        yield EffectBars(id="bars")
                with Horizontal(id="lower"):
                    yield Movements(id="movements")
                    yield RecentTable(id="recent")
            yield Text(id="status")
        yield Text(id="too-small")

    def on_mount(self) -> None:
        self.query_one("#body").display = False
        self.query_one("#load-msg", Text).show(f"Reading {escape(self.folder_label)}…")
        self._size_classes(self.size.width, self.size.height)
        self._render_status()
        self._render_titlebar()
        self.set_interval(60, self._tick)
        if self.watch:
            from kpi_tui.watch.monitor import FolderMonitor

            try:
                self.monitor = (self.monitor_factory or FolderMonitor)(
                    self.root, self.settings,
                    on_snapshot=lambda s: self.post_message(NewSnapshot(s)),
                    on_status=lambda m: self.post_message(WatcherStatus(m)),
                    on_error=lambda m: self.post_message(WatcherError(m)),
                    poll=self.poll,
                    on_progress=lambda n, total, path: self.post_message(
                        ReadProgress(n, total, path)),
                )
                self.monitor.start()
                return
            except Exception as e:  # the watcher is optional: fall back to one load
                self.monitor = None
                self.set_note(f"not watching the folder ({e})")
        self.load()

    def _tick(self) -> None:
        """Time passes without new data: the stale-data rule may start firing."""
        if self.snapshot is not None:
            self._update_alerts()
            self._render_banners()

    def on_unmount(self) -> None:
        if self.monitor is not None:
            try:
                self.monitor.stop()
            except Exception:
                pass

    def on_resize(self, event) -> None:
        self._size_classes(event.size.width, event.size.height)

    def _size_classes(self, w: int, h: int) -> None:
        main = self.query_one("#main")
        tiny = w < MIN_W or h < MIN_H
        main.display = not tiny
        small = self.query_one("#too-small", Text)
        small.display = tiny
        if tiny:
            small.show(f"The terminal is too small for kpi-tui ({w}×{h}).\n"
                       f"Please make it at least {MIN_W}×{MIN_H}.")
        main.set_class(w < 100 or h < 30, "-compact")
        main.set_class(w < 100, "-narrow")
        tight = w < 80
        if tight != main.has_class("-tight"):
            main.set_class(tight, "-tight")
            if self.snapshot is not None:
                self.render_all()
        main.set_class(h < 40, "-short")
        main.set_class(w >= 160 and h >= 45, "-wide")
        if self.snapshot is not None:
            self._render_banners()

    # ---- data ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            snap = self.loader()
        except Exception as e:  # never crash the screen on bad data
            self.post_message(WatcherError(f"could not read {self.root}: {e}"))
            return
        self.post_message(NewSnapshot(snap))

    def on_new_snapshot(self, message: NewSnapshot) -> None:
        self.apply_snapshot(message.snapshot)

    def on_watcher_status(self, message: WatcherStatus) -> None:
        self.set_note(message.text)

    def on_watcher_error(self, message: WatcherError) -> None:
        self.show_error(message.text)

    def on_read_progress(self, message: ReadProgress) -> None:
        self.show_progress(message.done, message.total, message.path)

    def set_note(self, message: str) -> None:
        self.status_note = message
        self.error = None  # a watcher problem is shown until the next status
        if self.snapshot is None:
            self.query_one("#load-msg", Text).show(escape(message))
        self._render_status()

    def show_progress(self, done: int, total: int, path) -> None:
        """First load: which file is being read, and how far along."""
        if self.snapshot is not None:
            return
        bar = self.query_one("#load-progress", ProgressBar)
        bar.update(total=total, progress=done)
        self.query_one("#load-msg", Text).show(
            f"Reading {escape(self.folder_label)}: file {done + 1} of {total}, "
            f"{escape(Path(path).name)}")

    def show_error(self, message: str) -> None:
        self.error = message
        if self.snapshot is None:
            self.query_one("#load-msg", Text).show(f"[b]⚠ {escape(message)}[/]")
            self.query_one(LoadingIndicator).display = False
        self._render_status()

    def apply_snapshot(self, snap: Snapshot) -> None:
        if self.paused and self.snapshot is not None:
            self.pending = snap
            self._render_status()
            return
        self.pending = None
        self.error = None
        if not snap.same_as(self.snapshot):
            self.data_id += 1  # otherwise every panel keeps what it shows: nothing redraws
        self.snapshot = snap
        self.refreshed = self.clock()
        self.status_note = ""
        self.query_one("#loading").display = False
        self.query_one("#body").display = True
        self._update_alerts()
        self.render_all()
        self.prefetch_customers()

    def _update_alerts(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        now = self.clock()
        judged = snap.ready("at_risk", self.g)  # else computed in a worker: judged when ready
        try:
            found = findings(snap, self.g, now, at_risk=judged)
            found += getattr(self.monitor, "findings", list)()  # a database: unreachable
        except Exception as e:  # a rule bug must not take the screen down
            self.banners = [f"⚠ Warning rules failed: {type(e).__name__}: {e}"]
            return
        if not judged and self.history is not None:  # not computed yet: keep what fired
            found += [a.finding for a in self.history.active(self.g)
                      if a.finding.rule == "at_risk_jump"]
        if self.history is not None:
            before = (len(self.history.active()), len(self.history.past()))
            started = self.history.update(found, now, scope=self.g)
            after = (len(self.history.active()), len(self.history.past()))
            if self.history_path and (started or before != after):
                self.history.save(self.history_path)
        self.banners = [f.message for f in found]

    # ---- rendering -----------------------------------------------------------------------

    @property
    def rows(self) -> list[dict]:
        return [] if self.snapshot is None else self.snapshot.figures(self.g)

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

    def render_all(self) -> None:
        self._render_titlebar()
        self._render_banners()
        self._render_status()
        snap = self.snapshot
        if snap is None:
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
        self.query_one("#sentence", Text).show(escape(sentence))
        pos = None if self.trailing else self.position()
        self.query_one(HistoryChart).show(self.rows, self.g, pos, self.data_id)
        self.query_one(EffectBars).show(f, cur, loc)
        self.query_one(Movements).show_focus(f, cur, loc)
        self.query_one(RecentTable).show(self.rows, self.g, pos, cur, loc, self.data_id,
                                         f if self.trailing else None)

    def at_risk_ready(self, snap: Snapshot, g: str, totals) -> None:
        """The at-risk totals of granularity g, computed in prefetch_customers."""
        if snap is not self.snapshot:
            return  # newer data arrived meanwhile: its own computation follows
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

    def _render_titlebar(self) -> None:
        tabs = " ".join(
            f"[reverse] {G_NAMES[g]} [/]" if g == self.g else f"[dim]{G_NAMES[g]}[/]"
            for g in GRANULARITIES)
        mode = "  [b]trailing windows[/]" if self.trailing else ""
        self.query_one("#titlebar", Text).show(
            f"[b]kpi-tui[/]  {tabs}{mode}  [dim]d w m q y · ← → · t · ? help[/]")

    def _render_banners(self) -> None:
        """One line per warning (the alert history `a` has them in full), as many as fit."""
        w = self.query_one("#banners", Text)
        main = self.query_one("#main")
        room = 2 if main.has_class("-compact") else 6 if main.has_class("-wide") else 4
        shown = list(self.banners)
        if len(shown) > room:
            more = len(shown) - room + 1
            shown = shown[:room - 1] + [f"⚠ {more} more warnings: press a for all of them"]
        w.display = bool(shown)
        w.show("\n".join(escape(b) for b in shown))

    def _render_status(self) -> None:
        """as of · files · rows · refreshed · watch state · skipped files · folder (last)."""
        snap = self.snapshot
        parts = []
        if snap is not None:
            ds = getattr(snap, "dataset", None)  # None: a database (kpi_tui.database.snapshot)
            parts.append(f"as of {snap.as_of.isoformat() if snap.as_of else '–'}")
            if ds is not None:
                parts.append(f"{len(ds.used)} file{'s' if len(ds.used) != 1 else ''}")
            parts.append(f"{count(snap.rows if ds is None else ds.rows, self.settings.locale)} rows")
        if self.refreshed is not None:
            parts.append(f"refreshed {self.refreshed.strftime('%H:%M:%S')}")
        if self.paused:
            parts.append("[reverse] PAUSED [/]" + (" new data waiting" if self.pending else ""))
        mon = getattr(self.monitor, "status", None)
        if mon is not None and snap is not None:
            if not self.paused:
                parts.append(f"watching ({mon.mode})")
            if mon.last_file is not None and mon.last_received is not None:
                parts.append(f"last file {escape(mon.last_file.name)} "
                             f"{mon.last_received:%Y-%m-%d %H:%M}")
            if mon.waiting:
                parts.append(f"{mon.waiting} being written")
            if getattr(mon, "last_check", None) is not None:  # a database
                parts.append(f"checked {mon.last_check:%H:%M:%S} · queries "
                             f"{mon.query_seconds:.1f} s")
            if mon.problem:
                parts.append(f"⚠ {escape(mon.problem)}")
        elif self.status_note:
            parts.append(escape(self.status_note))
        if self.error and snap is not None:
            parts.append(f"⚠ {escape(self.error)}")
        if snap is not None:
            for f in getattr(snap, "skipped", ()):
                parts.append(f"skipped {escape(f.path.name)}: {escape(f.error or '')}")
        parts.append(f"{'folder' if self.monitor_factory is None else 'source'} "
                     f"{escape(self.folder_label)}")
        self.query_one("#status", Text).show(" · ".join(parts))

    # ---- actions -------------------------------------------------------------------------

    def action_granularity(self, g: str) -> None:
        if g == self.g:
            return
        self.g = g
        self._update_alerts()
        self.render_all()
        self.prefetch_customers()  # the at-risk card's value is per period of g

    def action_move(self, step: int) -> None:
        rows = self.rows
        pos = self.position()
        if self.trailing or pos is None:
            return
        new = min(max(pos + step, 0), len(rows) - 1)
        if new != pos:
            self.selected[self.g] = rows[new]["start"]
            self.render_all()

    def action_first(self) -> None:
        if self.rows and not self.trailing:
            self.selected[self.g] = self.rows[0]["start"]
            self.render_all()

    def action_latest(self) -> None:
        self.selected[self.g] = None
        self.render_all()

    def action_trailing(self) -> None:
        self.trailing = not self.trailing
        self.render_all()

    def action_reload(self) -> None:
        self.status_note = "reloading…"
        self._render_status()
        if self.monitor is not None:
            self.monitor.reload()
        else:
            self.load()

    def action_pause(self) -> None:
        self.paused = not self.paused
        if self.monitor is not None:
            self.monitor.paused = self.paused
        if not self.paused and self.pending is not None:
            self.apply_snapshot(self.pending)
        else:
            self._render_status()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_alerts(self) -> None:
        h = self.history
        self.push_screen(AlertsScreen([] if h is None else h.active() + h.past()))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for g in GRANULARITIES:
            yield SystemCommand(f"Show by {g}", f"Granularity: {g} (key {g[0]})",
                                lambda g=g: self.action_granularity(g))
        yield SystemCommand("Previous period", "Move the selection back (←)",
                            lambda: self.action_move(-1))
        yield SystemCommand("Next period", "Move the selection forward (→)",
                            lambda: self.action_move(1))
        yield SystemCommand("Latest complete period", "Back to the latest (End)",
                            self.action_latest)
        yield SystemCommand("Trailing windows", "Toggle last 1/7/30/91/365 days view (t)",
                            self.action_trailing)
        yield SystemCommand("Reload data", "Read the data folder again (r)", self.action_reload)
        yield SystemCommand("Pause / resume auto-refresh", "Hold new data (p)",
                            self.action_pause)
        yield SystemCommand("Alert history", "Past and current warnings (a)", self.action_alerts)
        yield SystemCommand("Help", "Keys and what each figure means (?)", self.action_help)


def run_monitor(root: Path, settings: Settings, poll: float | None = None) -> int:
    root = Path(root)
    if not root.is_dir():
        print(f"kpi-tui: {root}: no such folder (give the folder holding your sales exports)",
              file=sys.stderr)
        return 2
    app = KpiApp(root, settings, poll, history_path=monitor_history_path(root))
    app.run()
    return app.return_code or 0


def database_app(source, settings: Settings, poll: float | None = None, **options) -> KpiApp:
    """The monitor on an opened DatabaseSource, polled by watch.database.DatabaseMonitor
    (`options`: DatabaseMonitor's, e.g. max_backoff)."""
    from kpi_tui.watch.database import DatabaseMonitor, history_path

    def factory(_root, s, **kw):  # the screen's clock: "unreachable since HH:MM"
        return DatabaseMonitor(source.url, s, source=source, clock=lambda: app.clock(), **kw,
                               **options)

    app = KpiApp(Path("."), settings, poll, folder_label=source.label, monitor_factory=factory,
                 history_path=history_path(source.label, "monitor"))
    return app


def run_database_monitor(source, settings: Settings, poll: float | None = None) -> int:
    app = database_app(source, settings, poll)
    app.run()
    return app.return_code or 0
