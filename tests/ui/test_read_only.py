"""`monitor --read-only` (what `kpi-tui serve` runs): the theme cannot be changed, by action or
by the command palette; looking around (quarters) still works."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from kpi_tui.ui.readonly import ReadOnly


@pytest.mark.parametrize("read_only", [True, False])
async def test_read_only_refuses_the_theme(tmp_path, monkeypatch, read_only):
    monkeypatch.setattr(ReadOnly, "read_only", read_only)
    app = KpiApp(tmp_path, Settings(), watch=False)  # an empty folder
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert ("Theme" in titles) is not read_only
        assert "Show quarters" in titles
        theme = app.theme
        assert await app.run_action("change_theme") is not read_only
        await pilot.pause()
        assert (type(app.screen).__name__ == "CommandPalette") is not read_only
        assert app.theme == theme
        await pilot.press("escape", "q")
        assert app.g == "quarter"  # a view, not a setting: allowed


async def test_the_apps_own_theme_commands_are_hidden_too(tmp_path, monkeypatch):
    from textual.app import SystemCommand

    class WithTheme(KpiApp):  # as a palette entry the app may add
        CSS_PATH = Path(sys.modules[KpiApp.__module__].__file__).parent / "app.tcss"

        def get_system_commands(self, screen):
            yield from super().get_system_commands(screen)
            yield SystemCommand("Next theme", "Cycle the themes", lambda: None)

    monkeypatch.setattr(ReadOnly, "read_only", True)
    app = WithTheme(tmp_path, Settings(), watch=False)
    async with app.run_test(size=(100, 30)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Show quarters" in titles and "Quit" in titles
        assert not [t for t in titles if "theme" in t.lower()]
        assert app.check_action("cycle_theme", ()) is False
        assert app.check_action("reload", ()) is True
