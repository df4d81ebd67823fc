"""kpi_tui.ahead: work done by threads, results in the order of the items."""

import threading
import time

import pytest

from kpi_tui import ahead


def test_results_in_order_with_inline_items_between():
    names = []

    def work(x):
        names.append(threading.current_thread().name)
        time.sleep(0.01 * (x % 3))  # later items finish first
        return x * 10

    got = list(ahead.in_order(work, range(12), inline=lambda x: x % 4 == 0))
    assert got == [x * 10 for x in range(12)]
    assert any(n.startswith("kpi-tui-ahead") for n in names)


def test_an_error_reaches_the_consumer_and_the_threads_end():
    def work(x):
        if x == 3:
            raise ValueError("three")
        return x

    gen = ahead.in_order(work, range(10))
    with pytest.raises(ValueError, match="three"):
        list(gen)
    time.sleep(0.05)
    assert not any(t.name.startswith("kpi-tui-ahead") for t in threading.enumerate())


def test_the_items_are_iterated_on_the_consumer_thread():
    seen = []

    def items():
        for i in range(5):
            seen.append(threading.current_thread())
            yield i

    assert list(ahead.in_order(lambda x: x, items())) == list(range(5))
    assert set(seen) == {threading.current_thread()}
