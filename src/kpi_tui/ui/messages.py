"""What the folder watcher and the loading worker tell the screen, as Textual messages.

Posted from their threads with `app.post_message` (thread-safe; handled in order on the UI
thread by `on_new_snapshot`, `on_watcher_status`, `on_watcher_error`, `on_read_progress`).
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from kpi_tui.session import Snapshot


class NewSnapshot(Message):
    """New figures (the watcher after a change, or a load)."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class WatcherStatus(Message):
    """One line for the status bar."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class WatcherError(Message):
    """A watcher or load problem, shown until the next status."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ReadProgress(Message):
    """First load: file `done + 1` of `total` is being read."""

    def __init__(self, done: int, total: int, path: Path) -> None:
        super().__init__()
        self.done, self.total, self.path = done, total, path
