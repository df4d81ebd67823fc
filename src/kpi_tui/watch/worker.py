"""The controls every watcher thread shares (the folder's and the database's): start, stop,
reload, pause. A subclass sets `_stop`, `_wake` (threading.Event), `_reload`, `_paused`,
`_thread = None` in its constructor and implements `_run`."""

from __future__ import annotations

import threading

from kpi_tui.settings import Settings


def noop(*_a) -> None:
    """The callback a monitor calls when none is given."""


class Worker:
    THREAD_NAME = "kpi-tui-watch"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def reload(self, settings: Settings | None = None) -> None:
        """Recompute now; with new settings, read the source again."""
        self._reload = settings if settings is not None else True
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    @paused.setter
    def paused(self, value: bool) -> None:
        self._paused = bool(value)
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
