"""Opening an export safely: never blocking on a FIFO, reading only through one descriptor."""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
from pathlib import Path

from kpi_tui import safe
from kpi_tui.ingest.readers.base import MAGIC, SAMPLE
from kpi_tui.ingest.readers.sniff import _utf16_nobom
from kpi_tui.ingest.schema import UnusableFile


def open_regular(path: Path) -> tuple[io.BufferedReader, os.stat_result]:
    """Open `path` for reading without blocking (a FIFO swapped in after discover never hangs
    us), and refuse anything the descriptor shows is not a regular file. Raises UnusableFile."""
    name = safe.name(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UnusableFile(f"{name} was removed before it could be read.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnusableFile(f"{name} is a symbolic link loop.") from None
        raise UnusableFile(f"{name} could not be read ({exc.strerror or exc}).") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableFile(f"{name} is not a regular file.")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def _nul_padding(fh, size: int, head: bytes) -> int:
    """How many NUL bytes end a text file (0 for binary formats and UTF-16 text)."""
    if head.startswith(MAGIC) or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            or _utf16_nobom(head):
        return 0
    pad, end = 0, size
    while end > 0:
        start = max(0, end - SAMPLE)
        fh.seek(start)
        chunk = fh.read(end - start)
        kept = len(chunk.rstrip(b"\x00"))
        pad += len(chunk) - kept
        if kept:
            break
        end = start
    return pad


def _fd_path(fh, path: Path) -> Path:
    """A path that reaches the very file behind `fh` (Linux: /proc/self/fd/N, so readers that
    want a path never resolve the name again and names that are not UTF-8 never matter)."""
    proc = Path(f"/proc/self/fd/{fh.fileno()}")
    return proc if os.path.isdir("/proc/self/fd") else path
