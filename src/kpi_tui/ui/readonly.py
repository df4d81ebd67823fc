"""Read-only mode (`monitor --read-only`, what `kpi-tui serve` runs): a viewer may look around
(periods, lists, pause) but not change settings that other viewers share (the theme, saved to
the settings file). Such actions (names holding a word of SETTINGS_WORDS, or toggle_dark) are
refused, keys and run_action alike; command palette entries whose title holds one are hidden,
the app's own ones included."""

from __future__ import annotations

SETTINGS_WORDS = ("theme",)  # a new kind of shared setting: add its word here
SETTINGS_ACTIONS = frozenset({"toggle_dark"})


def changes_settings(name: str) -> bool:
    name = name.lower()
    return name in SETTINGS_ACTIONS or any(w in name for w in SETTINGS_WORDS)


class ReadOnly:
    """Mixin for the App, before App in its bases."""

    read_only = False  # set for the process by the command line (cli.watch.cmd_monitor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and changes_settings(action):
            return False
        return super().check_action(action, parameters)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("get_system_commands")
        if own is not None:  # the subclass's commands are filtered too

            def commands(self, screen):
                for c in own(self, screen):
                    if not (self.read_only and changes_settings(c.title)):
                        yield c

            cls.get_system_commands = commands
