import os
import shutil
import time
from pathlib import Path

import pytest

# the contract's copy (shared/ beside the checkout, as CI lays it), else the copy in the repo
GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "examples" / "golden"
if not GOLDEN.is_dir():
    GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
MTIMES = {"orders-2026-02.csv": "2026-02-28", "orders-2026-05.csv": "2026-05-31"}


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the real user cache or state dirs."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))


@pytest.fixture
def golden_dir(tmp_path) -> Path:
    """The golden exports in a temporary folder, with the mtimes the expected reports assume."""
    if not GOLDEN.is_dir():
        pytest.skip(f"golden examples not found at {GOLDEN}")
    d = tmp_path / "golden"
    d.mkdir()
    for name, day in MTIMES.items():
        shutil.copy(GOLDEN / name, d / name)
        t = time.mktime(time.strptime(day, "%Y-%m-%d"))
        os.utime(d / name, (t, t))
    return d
