"""kpi_tui.ingest.discover: which files of the data folder are read, and why others are skipped."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kpi_tui.ingest import discover as disc
from kpi_tui.ingest.discover import discover
from kpi_tui.ingest.readers import read_raw


def touch(root: Path, rel: str, data: str = "a,b\n1,2\n") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(data)
    return p


def rel(root: Path, paths) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_regular_files_in_subfolders_sorted(tmp_path):
    for name in ["b.csv", "a.xlsx", "2024/03/orders.csv", "2024/01/orders.csv.gz", "z/readme.txt"]:
        touch(tmp_path, name)
    files, skipped = discover(tmp_path)
    assert rel(tmp_path, files) == ["2024/01/orders.csv.gz", "2024/03/orders.csv", "a.xlsx", "b.csv", "z/readme.txt"]
    assert skipped == []


def test_hidden_temporary_lock_and_config_files_silently_ignored(tmp_path):
    names = [
        ".hidden.csv", ".git/config", ".cache/x/orders.csv", "~$book.xlsx", "orders.csv.tmp",
        "download.csv.part", "export.csv.crdownload", ".orders.csv.swp", "orders.swp", "db.lock",
        ".~lock.book.xlsx#", "kpi-tui.toml", "sub/kpi-tui.toml", "Thumbs.db", "ORDERS.TMP",
    ]  # fmt: skip
    for name in names:
        touch(tmp_path, name)
    touch(tmp_path, "keep/orders.csv")
    files, skipped = discover(tmp_path)
    assert rel(tmp_path, files) == ["keep/orders.csv"]
    assert skipped == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_skipped_with_reason_and_never_opened(tmp_path):
    touch(tmp_path, "orders.csv")
    os.mkfifo(tmp_path / "pipe.csv")  # opening it for reading would block forever
    files, skipped = discover(tmp_path)
    assert rel(tmp_path, files) == ["orders.csv"]
    assert [(r.path.name, r.error) for r in skipped] == [
        ("pipe.csv", "pipe.csv was skipped: it is a named pipe (FIFO).")
    ]
    assert not skipped[0].usable


def test_socket_skipped(tmp_path):
    path = tmp_path / "s.sock"
    if len(str(path)) > 100:
        pytest.skip("path too long for a unix socket")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        files, skipped = discover(tmp_path)
    finally:
        sock.close()
    assert files == []
    assert [r.error for r in skipped] == ["s.sock was skipped: it is a socket."]


def test_device_link_skipped(tmp_path):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    data = tmp_path / "data"
    data.mkdir()
    (data / "null.csv").symlink_to("/dev/null")
    files, skipped = discover(data)
    assert files == []
    assert [r.error for r in skipped] == ["null.csv was skipped: it is a link pointing outside the data folder."]


def test_links(tmp_path):
    data = tmp_path / "data"
    outside = touch(tmp_path, "secret/outside.csv")
    inside = touch(data, "real/orders.csv")
    (data / "inside-link.csv").symlink_to(inside)
    (data / "relative-link.csv").symlink_to(Path("real") / "orders.csv")
    (data / "outside-link.csv").symlink_to(outside)
    (data / "broken.csv").symlink_to(data / "missing.csv")
    (data / "outdir").symlink_to(tmp_path / "secret", target_is_directory=True)
    (data / "loop").symlink_to(data, target_is_directory=True)
    files, skipped = discover(data)
    assert rel(data, files) == ["inside-link.csv", "real/orders.csv", "relative-link.csv"]
    assert [r.error for r in skipped] == [
        "broken.csv was skipped: it is a broken link.",
        "loop was skipped: it is a link to a folder (linked folders are not followed).",
        "outdir was skipped: it is a link pointing outside the data folder.",
        "outside-link.csv was skipped: it is a link pointing outside the data folder.",
    ]
    assert read_raw(files[0])[0].table.to_pylist() == [{"a": "1", "b": "2"}]


def test_files_vanishing_during_the_walk(tmp_path, monkeypatch):
    touch(tmp_path, "a.csv")
    touch(tmp_path, "b.csv")
    touch(tmp_path, "sub/c.csv")
    real_lstat = os.lstat

    def lstat(path, *a, **kw):
        p = Path(path)
        if p.name in ("b.csv", "sub"):  # removed between listing and looking at it
            raise FileNotFoundError(2, "No such file or directory", str(p))
        return real_lstat(path, *a, **kw)

    monkeypatch.setattr(disc.os, "lstat", lstat)
    files, skipped = discover(tmp_path)
    assert rel(tmp_path, files) == ["a.csv"]
    assert skipped == []


def test_missing_root_gives_nothing(tmp_path):
    assert discover(tmp_path / "nope") == ([], [])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any folder")
def test_unreadable_subfolder_reported(tmp_path):
    touch(tmp_path, "locked/x.csv")
    (tmp_path / "locked").chmod(0)
    try:
        files, skipped = discover(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert files == []
    assert [r.error for r in skipped] == ["locked was skipped: the folder cannot be read (Permission denied)."]
