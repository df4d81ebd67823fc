"""Find the export files of a data folder (regular files only; FIFOs are never opened)."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from pathlib import Path

from kpi_tui.ingest.schema import FileReport
from kpi_tui.settings import CONFIG_NAME

# Temporary, lock and OS files that are skipped without a word (hidden names too).
IGNORED = ("~$*", "*.tmp", "*.part", "*.crdownload", "*.swp", "*.lock", "Thumbs.db", "desktop.ini")


_IGNORED = re.compile("|".join(fnmatch.translate(p.lower()) for p in IGNORED))


def ignored(name: str) -> bool:
    """True for names that are never data: hidden, temporary, lock files and the config file."""
    if name.startswith(".") or name == CONFIG_NAME:
        return True
    return _IGNORED.match(name.lower()) is not None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _loops(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def discover(root: Path) -> tuple[list[Path], list[FileReport]]:
    """Every regular file under `root` (sorted), and a report for each entry skipped with a reason."""
    root = Path(root)
    real_root = os.path.realpath(root)
    files: list[Path] = []
    skipped: list[FileReport] = []

    def skip(path: Path, why: str) -> None:
        skipped.append(FileReport(path=path, error=f"{path.name} was skipped: {why}."))

    def walk(folder: Path) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except FileNotFoundError:
            return  # vanished during the walk
        except OSError as exc:
            skip(folder, f"the folder cannot be read ({exc.strerror or exc})")
            return
        for entry in entries:
            if ignored(entry.name):
                continue
            path = Path(entry.path)
            try:
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(path)
                    if _loops(path):
                        skip(path, "it is a symbolic link loop")
                    elif not os.path.exists(target):
                        skip(path, "it is a broken link")
                    elif not _inside(target, real_root):
                        skip(path, "it is a link pointing outside the data folder")
                    else:
                        tst = os.stat(target)
                        if stat.S_ISREG(tst.st_mode):
                            files.append(path)
                        elif stat.S_ISDIR(tst.st_mode):
                            skip(path, "it is a link to a folder (linked folders are not followed)")
                        else:
                            skip(path, f"it links to {_kind(tst.st_mode)}")
                elif stat.S_ISDIR(st.st_mode):
                    walk(path)
                elif stat.S_ISREG(st.st_mode):
                    files.append(path)
                else:
                    skip(path, f"it is {_kind(st.st_mode)}")
            except FileNotFoundError:
                continue  # removed while we looked at it
            except OSError as exc:
                skip(path, f"it cannot be examined ({exc.strerror or exc})")

    walk(root)
    files.sort()
    skipped.sort(key=lambda r: r.path)
    return files, skipped
