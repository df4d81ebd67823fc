"""Issue 13, item 2: a file swapped for a FIFO between discover and open never blocks a read."""

import os
import threading
import time

import pytest

from kpi_tui.ingest.readers import read_raw
from kpi_tui.ingest.schema import UnusableFile


def test_fifo_swapped_in_never_blocks(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("customer,date,amount\na,2026-01-05,10\n")
    fifo, real = tmp_path / "swap.fifo", tmp_path / "swap.csv"
    stop = threading.Event()

    def swap():  # bounded: at most 2,000 swaps
        for i in range(2000):
            if stop.is_set():
                return
            if i % 2:
                real.write_text("customer,date,amount\na,2026-01-05,10\n")
                os.replace(real, target)
            else:
                os.mkfifo(fifo)
                os.replace(fifo, target)

    t = threading.Thread(target=swap, daemon=True)
    t.start()
    seen = set()
    start = time.monotonic()
    try:
        for _ in range(300):
            try:
                rows = read_raw(target)[0].table.num_rows
                seen.add(rows)
            except UnusableFile as e:
                seen.add(str(e))
    finally:
        stop.set()
        t.join(10)
    assert time.monotonic() - start < 30
    assert seen <= {1, "x.csv is not a regular file.",
                    "x.csv was removed before it could be read."}


def test_fifo_is_refused_without_opening_it_blocking(tmp_path):
    p = tmp_path / "pipe.csv"
    os.mkfifo(p)  # nobody writes: a blocking open would hang here
    with pytest.raises(UnusableFile, match=r"^pipe\.csv is not a regular file\.$"):
        read_raw(p)
