"""Read-only mode (`monitor --read-only`, what `kpi-tui serve` runs): a viewer may look around
(periods, lists, pause) but not change settings that other viewers share (the theme, saved to
the settings file). Actions named in SETTINGS_ACTIONS are refused (keys, run_action),
their command palette entries hidden."""

from __future__ import annotations

# actions that change shared settings (a new one: add its name here)
SETTINGS_ACTIONS = frozenset({"change_theme", "toggle_dark", "theme", "next_theme",
                              "cycle_theme"})
SETTINGS_COMMANDS = ("theme",)  # command palette titles holding these words


class ReadOnly:
    """Mixin for the App, before App in its bases."""

    read_only = False  # set for the process by the command line (cli.watch.cmd_monitor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in SETTINGS_ACTIONS:
            return False
        return super().check_action(action, parameters)

    def get_system_commands(self, screen):
        for c in super().get_system_commands(screen):
            if not (self.read_only and any(w in c.title.lower() for w in SETTINGS_COMMANDS)):
                yield c

