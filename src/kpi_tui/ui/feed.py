"""The monitor's data plumbing: the folder (or database) watcher started at mount, the
one-off load worker, the watcher's messages, and the findings judged on each snapshot.
Data work runs in thread workers or in the watcher; the UI thread only re-renders."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.widgets import LoadingIndicator, ProgressBar

from kpi_tui.safe import markup as escape
from kpi_tui.session import Snapshot, findings
from kpi_tui.ui.messages import NewSnapshot, ReadProgress, WatcherError, WatcherStatus
from kpi_tui.ui.status import banner_rank
from kpi_tui.ui.widgets.base import Text


class Feed:
    """Mixin for KpiApp: where its snapshots come from."""

    def start_feed(self) -> None:
        """Watch the source (monitor_factory, else the folder watcher); without one, one load."""
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
        """Time passes without new data: the stale-data rule may start firing, the clock and
        the data's age move (a frozen screen would show the same time)."""
        if self.closing:
            return
        if self.monitor is not None and getattr(self.monitor, "alive", True):
            last = getattr(self.monitor.status, "last_check", None)  # a database: its probe
            self.checked = last if last is not None else self.clock()
        self._update_alerts()
        self._render_banners()
        self._render_titlebar()

    def on_unmount(self) -> None:
        if self.monitor is not None:
            try:
                self.monitor.stop()
            except Exception:
                pass


    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            snap = self.loader()
        except Exception as e:  # never crash the screen on bad data
            self.post_message(WatcherError(f"could not read {self.root}: {e}"))
            return
        self.post_message(NewSnapshot(snap))

    # the watcher's messages; one arriving while the app closes finds no widgets: dropped
    def on_new_snapshot(self, message: NewSnapshot) -> None:
        if not self.closing:
            self.apply_snapshot(message.snapshot)

    def on_watcher_status(self, message: WatcherStatus) -> None:
        if not self.closing:
            self.set_note(message.text)

    def on_watcher_error(self, message: WatcherError) -> None:
        if not self.closing:
            self.show_error(message.text)

    def on_read_progress(self, message: ReadProgress) -> None:
        if not self.closing:
            self.show_progress(message.done, message.total, message.path)

    def set_note(self, message: str) -> None:
        self.status_note = message
        self.error = None  # a watcher problem is shown until the next status
        problem = getattr(getattr(self.monitor, "status", None), "problem", None)
        if self.snapshot is None and problem:  # a database not reached yet: why, not the poll
            self.show_error(problem)
        elif self.snapshot is None:
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
            self._update_alerts()
            self._render_banners()
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
        if snap is None:  # nothing read yet: the source's own findings (a database: unreachable)
            self._banners(getattr(self.monitor, "findings", list)())
            return
        if self._query_first():  # judged when the figures come
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
        self._banners(found)

    def _banners(self, found) -> None:
        self.banners = [f.message for f in found]  # the rules' order (as watch --headless)
        self.banner_ranks = {f.message: banner_rank(f) for f in found}
