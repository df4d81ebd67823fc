"""Shared by the fault tests: run the command line in-process and build folders of exports."""

import json
import os
from pathlib import Path

from kpi_tui.cli import main

GOOD = "customer,date,amount\na,2026-01-05,10\nb,2026-02-03,20\n"


def run(capsys, *args):
    code = main([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def folder(tmp_path: Path, files: dict) -> Path:
    """A data folder with good.csv and `files` (name -> str or bytes; bytes names allowed)."""
    d = tmp_path / "data"
    d.mkdir()
    (d / "good.csv").write_text(GOOD)
    for name, content in files.items():
        p = os.path.join(os.fsencode(d), os.fsencode(name))
        with open(p, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    return d


def revenue(out: str) -> list[tuple[str, float]]:
    """(start, revenue) of each period of `report --format json`."""
    return [(p["start"], p["revenue"]) for p in json.loads(out)["periods"]]


def limited(args: list, limit_mb: int, timeout: float = 120):
    """`kpi-tui ARGS` in a subprocess whose address space is capped (RLIMIT_AS): a memory
    regression fails the test instead of eating the machine. (returncode, stdout, stderr)"""
    import subprocess
    import sys

    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit_mb << 20}, {limit_mb << 20}))\n"
            "from kpi_tui.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, env={**os.environ, "PYTHONUTF8": "1"})
    return p.returncode, p.stdout, p.stderr
