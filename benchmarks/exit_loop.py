"""Runs `kpi-tui ARGS` many times, two at a time, and counts the exit codes: a clean exit
every time (issue 10: pyarrow's thread pool aborted about 1 run in 100 at interpreter exit).

    python benchmarks/exit_loop.py [--runs 1000] [--jobs 2] -- check FOLDER
Prints `codes: {2: 1000}` and each distinct stderr line with its count; exit 1 on any exit
code other than 0, 1 or 2 (134 is the abort)."""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

KPI = [sys.executable, "-m", "kpi_tui"]


def loop(args: list[str], runs: int, jobs: int = 2) -> tuple[collections.Counter, collections.Counter]:
    """(exit codes, stderr lines), each counted over `runs` runs."""
    def one(_):
        p = subprocess.run(KPI + args, capture_output=True, text=True, timeout=300)
        return p.returncode, p.stderr.splitlines()

    codes, lines = collections.Counter(), collections.Counter()
    with ThreadPoolExecutor(jobs) as pool:
        for code, err in pool.map(one, range(runs)):
            codes[code] += 1
            lines.update(err)
    return codes, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    codes, lines = loop(args, a.runs, a.jobs)
    print("codes:", dict(sorted(codes.items())))
    for line, n in lines.most_common():
        print(f"{n:6d}  {line}")
    return 0 if set(codes) <= {0, 1, 2} else 1


if __name__ == "__main__":
    sys.exit(main())
