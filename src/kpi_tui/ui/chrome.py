"""The monitor's lines around the figures: the title bar (tabs, how alive the screen is,
the key bar), the warning banners and the status line."""

from __future__ import annotations

import datetime as dt

from kpi_tui.safe import markup as escape
from kpi_tui.settings import GRANULARITIES
from kpi_tui.ui import keys
from kpi_tui.ui.model import G_NAMES
from kpi_tui.ui.status import age_text, checked_text, fit, middle
from kpi_tui.ui.text import count
from kpi_tui.ui.widgets.base import Text

SHORT_TABS = {"quarter": "Qtr"}  # the tabs at 60 columns


class Chrome:
    """Mixin for KpiApp: renders what its attributes say (g, trailing, paused, snapshot…)."""

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
        """`checked 09:04 · file 2 h old` (a database: `data 2 h old`), in the warning colour
        when stale."""
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
        if age is not None:  # a folder: how old its newest file is (not its newest sale)
            what = "data" if getattr(self.snapshot, "newest_file_mtime", None) is None else "file"
            text = age_text(age, what)
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
            if getattr(mon, "last_check", None) is not None:  # a database: before its URL
                parts.append((2, f"checked {mon.last_check:%H:%M:%S} · queries "
                                 f"{mon.query_seconds:.1f} s"))
            if mon.problem:
                parts.append((0, f"⚠ {escape(mon.problem)}"))
            if self.querying:
                parts.append((0, f"querying the {self.querying} figures…"))
        elif self.status_note:
            parts.append((0, escape(self.status_note)))
        if self.error and snap is not None:
            parts.append((0, f"⚠ {escape(self.error)}"))
        if snap is not None:
            for f in getattr(snap, "skipped", ()):  # a file not read is always named
                parts.append((0, f"skipped {escape(f.path.name)}: {escape(f.error or '')}"))
        # a long name: its end kept (a database's at once: the URL before the row count)
        what = "folder" if self.monitor_factory is None else "source"
        mark = "..." if self.ascii else "…"
        parts.append((2, f"{what} {escape(self.folder_label)}",
                      lambda room: f"{what} "
                                   f"{escape(middle(self.folder_label, room - len(what) - 1, mark))}",
                      what == "source"))
        self.query_one("#status", Text).show(
            " · ".join(fit(parts, max(10, self.size.width - 2))))
