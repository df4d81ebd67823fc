"""Live folder watching: FolderMonitor (screen), headless alerts, the demo."""

from __future__ import annotations


def __getattr__(name: str):
    if name in ("FolderMonitor", "WatchStatus"):
        from kpi_tui.watch import monitor

        return getattr(monitor, name)
    raise AttributeError(name)


__all__ = ["FolderMonitor", "WatchStatus"]
