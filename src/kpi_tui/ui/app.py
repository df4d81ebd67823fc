"""The wall-screen monitor: `kpi-tui [DIR]`.

Data work (reading the folder, the session's snapshot) runs in thread workers or in the folder watcher;
results come back to the UI thread, which only re-renders precomputed figures.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Callable

from kpi_tui.safe import markup as escape
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import LoadingIndicator, ProgressBar

from kpi_tui.alerts.explain import why_sentence
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.session import (FolderSource, Snapshot, findings, monitor_history_path,
                             state_dir)
from kpi_tui.settings import GRANULARITIES, Settings
from kpi_tui.ui import glyphs, keys
from kpi_tui.ui.customers_nav import CustomersNav
from kpi_tui.ui.messages import NewSnapshot, ReadProgress, WatcherError, WatcherStatus
from kpi_tui.ui.model import G_NAMES, Focus, default_pos, period_focus, trailing_focus
from kpi_tui.ui.prefs import load_theme, save_theme
from kpi_tui.ui.readonly import ReadOnly  # `--read-only` (kpi-tui serve)
from kpi_tui.ui.screens.alerts import AlertsScreen
from kpi_tui.ui.screens.cohorts import CohortsScreen
from kpi_tui.ui.screens.drilldown import DrilldownScreen
from kpi_tui.ui.screens.help import HelpScreen
from kpi_tui.ui.status import age_text, banner_rank, checked_text, fit
from kpi_tui.ui.text import count
from kpi_tui.ui.widgets.base import Text
from kpi_tui.ui.widgets.chart import HistoryChart
from kpi_tui.ui.widgets.headline import Headline
from kpi_tui.ui.widgets.panels import EffectBars, Movements, RecentTable

MIN_W, MIN_H = 60, 16
LIST_SCREENS = (DrilldownScreen, CohortsScreen, AlertsScreen)  # replace each other


SHORT_TABS = {"quarter": "Qtr"}  # the tabs at 60 columns


class Body(VerticalScroll, can_focus=False):
    """The figures; on small screens the lower panels are below, a scroll (or b) away. Never
    focused: the arrows, Home and End stay the screen's keys."""


def ansi16(app: App) -> bool:
    """A 16-colour terminal (TERM=xterm, linux…): the theme's tints round to grey there. The
    headless test driver says "standard" too, so it is asked only of a real terminal."""
    return not app.is_headless and app.console.color_system in ("standard", "windows")


def load_snapshot(root: Path, settings: Settings) -> Snapshot:
    return FolderSource(root, settings).snapshot()


class KpiApp(ReadOnly, CustomersNav, App):
    CSS_PATH = "app.tcss"
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

    def _tick(self) -> None:
        """Time passes without new data: the stale-data rule may start firing, the clock and
        the data's age move (a frozen screen would show the same time)."""
        if self.monitor is not None and getattr(self.monitor, "alive", True):
            last = getattr(self.monitor.status, "last_check", None)  # a database: its probe
            self.checked = last if last is not None else self.clock()
        if self.snapshot is not None:
            self._update_alerts()
            self._render_banners()
        self._render_titlebar()

    def on_unmount(self) -> None:
        if self.monitor is not None:
            try:
                self.monitor.stop()
            except Exception:
                pass

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
            f"Reading {escape(self.folder_label)}: file {int(done) + 1} of {total}, "
            f"{escape(Path(path).name)}")

    def show_error(self, message: str) -> None:
        self.error = message
        if self.snapshot is None:
            self.query_one("#load-msg", Text).show(f"[b]⚠ {escape(message)}[/]")
            self.query_one(LoadingIndicator).display = False
        self._render_status()

    def apply_snapshot(self, snap: Snapshot) -> None:
        if self.paused and self.snapshot is not None:
            if self.monitor is not None:
                self.monitor.paused = True  # back to sleep after an r
            self.pending = snap
            self._render_status()
            return
        self.pending = None
        self.error = None
        if not snap.same_as(self.snapshot):
            self.data_id += 1  # otherwise every panel keeps what it shows: nothing redraws
        self.snapshot = snap
        self.refreshed = self.checked = self.clock()
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
            started = self.history.update(found, now, scope=self.g)  # source findings: unscoped
            after = (len(self.history.active()), len(self.history.past()))
            if self.history_path and (started or before != after):
                self.history.save(self.history_path)
        self.banners = [f.message for f in found]  # the rules' order (as watch --headless)
        self.banner_ranks = {f.message: banner_rank(f) for f in found}

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
        if self._exit:  # closing: a snapshot or a tick that arrives now has no widgets left
            return
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
        self.query_one(HistoryChart).show(self.rows, self.g, pos, self.data_id, cur, loc)
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
        """Tabs (clickable), the view, and how alive the screen is (the clock moves)."""
        short = self.screen.has_class("-w60")
        tabs = " ".join(
            (f"[reverse] {G_NAMES[g]} [/]" if g == self.g else
             f"[@click=app.granularity('{g}')]{SHORT_TABS.get(g, G_NAMES[g]) if short else G_NAMES[g]}[/]")
            for g in GRANULARITIES)
        mode = "  [b]trailing windows[/]" if self.trailing else ""
        name = "" if short else "[b]kpi-tui[/]  "
        self.query_one("#tabs", Text).show(f"{name}{tabs}{mode}")
        self.query_one("#alive", Text).show(self._alive())
        self.query_one("#keys", Text).show(
            f"[dim]{keys.key_bar(max(10, self.size.width - (6 if self.ascii else 2)))}[/]")

    def _alive(self) -> str:
        """`checked 09:04 · data 2 h old`, in the warning colour when stale."""
        now = self.clock()
        bits = []
        if self.paused:
            bits.append("[reverse] PAUSED [/]")
        limit = self.settings.thresholds.stale_hours * 3600
        if self.checked is not None:
            late = (now - self.checked).total_seconds() > max(180.0, 3 * (self.poll or 60))
            text = checked_text(self.checked, now)
            if self.screen.has_class("-w60"):  # the tabs need the room
                text = text.removeprefix("checked ")
            bits.append(f"[$text-error]{text}[/]" if late else text)
        age = self._data_age(now)
        if age is not None:
            text = age_text(age)
            bits.append(f"[$text-warning]{text}[/]" if age > limit else text)
        return "[b]" + " · ".join(bits) + "[/]" if bits else ""

    def _data_age(self, now: dt.datetime) -> float | None:
        """Seconds since the newest file changed (a database: since its newest day ended);
        None with a hand-set as-of date (the past on purpose)."""
        snap = self.snapshot
        if snap is None or self.settings.as_of is not None:
            return None
        mtime = getattr(snap, "newest_file_mtime", None)
        if mtime is not None:
            return now.timestamp() - mtime
        if snap.as_of is None:
            return None
        end = dt.datetime.combine(snap.as_of + dt.timedelta(days=1), dt.time(), now.tzinfo)
        return (now - end).total_seconds()

    def _render_banners(self) -> None:
        """Data problems first; as many lines as the size reserves (the layout never jumps),
        the last one saying how many more the alert history (a, or a click) has."""
        w = self.query_one("#banners", Text)
        room = max(1, w.styles.height.value if w.styles.height is not None else 1)
        room = int(room)
        ranks = self.banner_ranks
        shown = [escape(b) for b in sorted(self.banners, key=lambda b: ranks.get(b, 99))]
        if len(shown) > room:  # the count first: an ellipsis never hides it
            more = len(shown) - room
            shown = shown[:room - 1] + [f"[@click=app.alerts][reverse]+{more} more (a)[/][/] "
                                        + shown[room - 1]]
        w.set_class(not shown, "-none")
        w.show("\n".join(shown) if shown else
               "[dim]no warnings[/]" if self.ascii else "[dim]✓ no warnings[/]")

    def _render_status(self) -> None:
        """Whole parts only, the least useful dropped first when the line is too short:
        as of · files · rows · refreshed · watch state · skipped files · folder."""
        snap = self.snapshot
        parts: list[tuple[int, str]] = []
        if snap is not None:
            ds = getattr(snap, "dataset", None)  # None: a database (kpi_tui.database.snapshot)
            parts.append((1, f"as of {snap.as_of.isoformat() if snap.as_of else '–'}"))
            if ds is not None:
                parts.append((4, f"{len(ds.used)} file{'s' if len(ds.used) != 1 else ''}"))
            parts.append((5, f"{count(snap.rows if ds is None else ds.rows, self.settings.locale)}"
                             " rows"))
        if self.refreshed is not None:
            parts.append((6, f"refreshed {self.refreshed.strftime('%H:%M:%S')}"))
        if self.paused:
            parts.append((0, "[reverse] PAUSED [/]" + (" new data waiting" if self.pending
                                                       else "")))
        mon = getattr(self.monitor, "status", None)
        if mon is not None and snap is not None:
            if not self.paused:
                parts.append((7, f"watching ({mon.mode})"))
            if mon.last_file is not None and mon.last_received is not None:
                parts.append((3, f"last file {escape(mon.last_file.name)} "
                                 f"{mon.last_received:%Y-%m-%d %H:%M}"))
            if mon.waiting:
                parts.append((3, f"{mon.waiting} being written"))
            if getattr(mon, "last_check", None) is not None:  # a database
                parts.append((6, f"checked {mon.last_check:%H:%M:%S} · queries "
                                 f"{mon.query_seconds:.1f} s"))
            if mon.problem:
                parts.append((0, f"⚠ {escape(mon.problem)}"))
        elif self.status_note:
            parts.append((0, escape(self.status_note)))
        if self.error and snap is not None:
            parts.append((0, f"⚠ {escape(self.error)}"))
        if snap is not None:
            for f in getattr(snap, "skipped", ()):  # a file not read is always named
                parts.append((0, f"skipped {escape(f.path.name)}: {escape(f.error or '')}"))
        parts.append((2, f"{'folder' if self.monitor_factory is None else 'source'} "
                         f"{escape(self.folder_label)}"))
        self.query_one("#status", Text).show(
            " · ".join(fit(parts, max(10, self.size.width - 2))))

    # ---- what is shown: reactive attributes, re-rendered by their watchers -----------------

    def watch_g(self) -> None:
        self.set_reactive(KpiApp.period, self.selected.get(self.g))
        self._update_alerts()
        self.render_all()
        self.prefetch_customers()  # the at-risk card's value is per period of g

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

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        """The main screen's keys do nothing while a list, the help or the history is open."""
        if action in keys.MAIN_ACTIONS and len(self.screen_stack) > 1:
            return False
        return super().check_action(action, parameters)  # ReadOnly: settings refused

    def push_screen(self, screen, *args, **kwargs):
        """A list opened from another list (1-4, k, c) replaces it: one escape goes back."""
        top = self.screen
        if (len(self.screen_stack) > 1 and isinstance(screen, LIST_SCREENS)
                and isinstance(top, LIST_SCREENS)):
            return self.switch_screen(screen)
        return super().push_screen(screen, *args, **kwargs)

    def action_granularity(self, g: str) -> None:
        self.g = g

    def _calendar(self) -> bool:
        """Moving between periods needs calendar periods: in trailing windows, say so."""
        if self.trailing:
            self.notify("Trailing windows always end on the latest day: press t to go back to "
                        "calendar periods, d w m q y to change the window.", timeout=4)
        return not self.trailing

    def action_move(self, step: int) -> None:
        rows = self.rows
        pos = self.position()
        if not self._calendar() or pos is None:
            return
        new = min(max(pos + step, 0), len(rows) - 1)
        if new != pos:
            self.period = rows[new]["start"]

    def action_first(self) -> None:
        if self.rows and self._calendar():
            self.period = self.rows[0]["start"]

    def action_latest(self) -> None:
        self.period = None

    def action_toggle_trailing(self) -> None:
        self.trailing = not self.trailing

    def action_trailing(self) -> None:  # the former name
        self.action_toggle_trailing()

    def action_reload(self) -> None:
        """Read again now; while paused the new figures wait like any other (p shows them)."""
        self.status_note = "reloading…"
        self._render_status()
        if self.monitor is not None:
            if self.paused:  # the watcher sleeps while paused: woken for this one reading
                self.monitor.paused = False
            self.monitor.reload()
        else:
            self.load()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def action_pause(self) -> None:  # the former name
        self.action_toggle_pause()

    def action_details(self) -> None:
        """Scroll to the lower panels (customers, revenue bridge, recent periods) and back."""
        body = self.query_one("#body", VerticalScroll)
        lower = self.query_one("#lower")
        if body.max_scroll_y == 0:
            return
        if body.scroll_y >= min(lower.virtual_region.y, body.max_scroll_y):
            body.scroll_home(animate=False)
        else:
            body.scroll_to_widget(lower, animate=False, top=True)

    def action_next_theme(self) -> None:
        names = sorted(self.available_themes)
        self.theme = names[(names.index(self.theme) + 1) % len(names)] \
            if self.theme in names else names[0]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_alerts(self) -> None:
        h = self.history
        self.push_screen(AlertsScreen([] if h is None else h.active() + h.past()))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for k in keys.KEYS:
            if k.palette:
                title = re.split(r"[:(]", k.help)[0].strip()
                yield SystemCommand(title[:1].upper() + title[1:],
                                    f"{k.help} (key {k.shown})",
                                    lambda a=k.action: self.run_action(a))


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


def database_app(source, settings: Settings, poll: float | None = None, **options) -> KpiApp:
    """The monitor on an opened DatabaseSource, polled by watch.database.DatabaseMonitor
    (`options`: DatabaseMonitor's, e.g. max_backoff)."""
    from kpi_tui.watch.database import DatabaseMonitor, history_path

    def factory(_root, s, **kw):  # the screen's clock: "unreachable since HH:MM"
        return DatabaseMonitor(source.url, s, source=source, clock=lambda: app.clock(), **kw,
                               **options)

    app = KpiApp(Path("."), settings, poll, folder_label=source.label, monitor_factory=factory,
                 history_path=history_path(source.label, "monitor"),
                 prefs_path=state_dir() / "monitor-prefs.json")
    return app


def run_database_monitor(source, settings: Settings, poll: float | None = None) -> int:
    app = database_app(source, settings, poll)
    app.run()
    return app.return_code or 0
