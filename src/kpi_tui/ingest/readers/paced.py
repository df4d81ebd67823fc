"""A file read by pyarrow's streaming CSV reader at the pace its batches are used.

pyarrow's reader reads up to 32 blocks ahead in a thread of its own (8 MB blocks: 256 MB of
text held while the batches are normalised one at a time). Its reads of this file wait while
`ahead` blocks are read and their batches not yet handed out (issue 12: memory follows the
batch, not the file). A reader whose batches are still wanted goes on (tested: no read waits
`WAIT`); one whose batches are no longer wanted (the consumer stopped: `stop` set) is let read
on at once, so it reaches its next batch and can be closed.
"""

from __future__ import annotations

import threading

WAIT = 2.0  # seconds a read waits at most (a safety valve: never reached when used as meant)
POLL = 0.05  # seconds between looks at `stop`


class Paced:
    """A read-only binary file (for pyarrow.csv.open_csv) whose reads wait for `used()`."""

    def __init__(self, path, ahead: int = 4, stop: threading.Event | None = None):
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self._cv = threading.Condition()
        self._reads = self._used = 0
        self._ahead = ahead
        self._stop = stop  # set: the batches are no longer wanted
        self.waited_out = 0  # reads that went on after WAIT (a reader that needs more ahead)

    def used(self) -> None:
        """One batch handed out: one more block may be read."""
        with self._cv:
            self._used += 1
            self._cv.notify_all()

    def read(self, n: int = -1) -> bytes:
        with self._cv:
            waited = 0.0
            while self._reads - self._used >= self._ahead:
                if self._stop is not None and self._stop.is_set():
                    break
                if waited >= WAIT:
                    self.waited_out += 1
                    break
                self._cv.wait(POLL)
                waited += POLL
            self._reads += 1
        return self._fh.read(n)

    # what pyarrow asks of a Python file
    mode = "rb"

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        with self._cv:
            self._used = 1 << 60  # a reader still reading is let go
            self._cv.notify_all()
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
