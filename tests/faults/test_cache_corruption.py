"""Issue 13, item 3: a damaged cache entry is a miss (same figures as a cold read), never a
crash, a hang or a wrong figure."""

import os
import random
from pathlib import Path

import pytest

from faultkit import folder, run

ROWS = "".join(f"c{i % 37},2025-{1 + i % 12:02d}-{1 + i % 28:02d},{i * 1.25:.2f}\n" for i in range(3000))


def cache_root() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "kpi-tui"


@pytest.fixture
def data(tmp_path, capsys):
    d = folder(tmp_path, {"big.csv": "customer,date,amount\n" + ROWS})
    code, cold, err = run(capsys, "report", d, "--format", "json", "--no-cache")
    assert code == 0 and err == ""
    return d, cold


def overwrite(path: Path, offset: int, junk: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(junk)


def test_parse_cache_bytes_overwritten(data, capsys):
    d, cold = data
    rnd = random.Random(13)
    for trial in range(12):
        assert run(capsys, "report", d, "--format", "json")[1] == cold  # fills both caches
        for led in (cache_root() / "ledgers").rglob("*"):
            if led.is_file():
                led.unlink()  # the ledger cache would answer first
        files = sorted((cache_root() / "parsed").glob("*.arrow")) + \
            sorted((cache_root() / "parsed").glob("*.json"))
        victim = files[trial % len(files)]
        size = victim.stat().st_size
        overwrite(victim, rnd.randrange(max(1, size - 64)), rnd.randbytes(64))
        code, out, err = run(capsys, "report", d, "--format", "json")
        assert (code, err) == (0, "") and out == cold, victim.name


def test_ledger_cache_empty_npy_after_power_cut(data, capsys):
    d, cold = data
    assert run(capsys, "report", d, "--format", "json")[1] == cold
    (npy,) = (cache_root() / "ledgers").rglob("customer.npy")
    npy.write_bytes(b"")  # what a power cut leaves after rename without fsync
    for _ in range(2):  # the miss is rebuilt, then used
        code, out, err = run(capsys, "report", d, "--format", "json")
        assert (code, err, out) == (0, "", cold)


def test_ledger_cache_micros_changed(data, capsys):
    d, cold = data
    assert run(capsys, "report", d, "--format", "json")[1] == cold
    (npy,) = (cache_root() / "ledgers").rglob("micros.npy")
    overwrite(npy, npy.stat().st_size - 8, (10**12).to_bytes(8, "little"))  # valid, but wrong
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert (code, err, out) == (0, "", cold)


def test_ledger_cache_meta_edited(data, capsys):
    d, cold = data
    assert run(capsys, "report", d, "--format", "json")[1] == cold
    (meta,) = (cache_root() / "ledgers").rglob("meta.json")
    meta.write_text(meta.read_text().replace('unattributed_micros\\": 0', 'unattributed_micros\\": 7'))
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert (code, err, out) == (0, "", cold)
