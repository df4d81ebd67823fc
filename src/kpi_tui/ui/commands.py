"""The monitor's actions: its keys (ui.keys) and the command palette's entries."""

from __future__ import annotations

import re

from textual.app import SystemCommand
from textual.containers import VerticalScroll

from kpi_tui.ui import keys
from kpi_tui.ui.readonly import ReadOnly
from kpi_tui.ui.screens.alerts import AlertsScreen
from kpi_tui.ui.screens.cohorts import CohortsScreen
from kpi_tui.ui.screens.drilldown import DrilldownScreen
from kpi_tui.ui.screens.help import HelpScreen

LIST_SCREENS = (DrilldownScreen, CohortsScreen, AlertsScreen)  # replace each other


class Commands(ReadOnly):
    """Mixin for KpiApp, before App in its bases; a ReadOnly, so that its palette entries that
    change shared settings are hidden in read-only mode (`kpi-tui serve`)."""

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
