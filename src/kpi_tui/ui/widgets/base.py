"""A Static that repaints only when its text changes (cheap over a slow SSH link)."""

from __future__ import annotations

from textual.widgets import Static

from kpi_tui.ui import glyphs


class Text(Static):
    _shown: object = None

    def show(self, content) -> bool:
        """Update when `content` differs from what is on screen; True if it did."""
        if content == self._shown:
            return False
        self._shown = content
        self.update(glyphs.shown(self, content) if isinstance(content, str) else content)
        return True
