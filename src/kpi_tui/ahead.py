"""Work on a stream's items done ahead by threads, results in order (issue 12: pyarrow and numpy
let the GIL go on large arrays, so two threads use both cores)."""

from __future__ import annotations

import contextvars
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

WORKERS = 2


def in_order(fn, items, workers: int = WORKERS, inline=None):
    """fn(x) of each x of `items`, in the order of `items`, up to `workers` of them computed at
    once by threads (each in a copy of this thread's context); `items` is iterated here.
    `inline(x)` True: fn(x) is called here instead (little work: a thread would cost more)."""
    window: deque = deque()  # Futures and results, in order
    pool = ThreadPoolExecutor(workers, thread_name_prefix="kpi-tui-ahead")
    try:
        for x in items:
            if inline is not None and inline(x):
                window.append(fn(x))
            else:
                window.append(pool.submit(contextvars.copy_context().run, fn, x))
            while window and (len(window) > workers or not isinstance(window[0], Future)
                              or window[0].done()):
                yield _result(window.popleft())
        while window:
            yield _result(window.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(x):
    return x.result() if isinstance(x, Future) else x
