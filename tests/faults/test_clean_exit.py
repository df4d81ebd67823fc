"""Issue 10 item 16: `kpi-tui check` on a folder whose only file is header-only aborted about
once in a hundred runs at interpreter exit (exit 134, "terminate called without an active
exception"). 50 runs, two at a time, must all exit 2 with nothing else on stderr
(benchmarks/exit_loop.py runs the 1,000 of the proof)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "exit_loop.py"


def test_fifty_runs_exit_clean(tmp_path):
    spec = importlib.util.spec_from_file_location("exit_loop", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / "h.csv").write_text("a,b\n")
    codes, lines = mod.loop(["check", str(tmp_path)], runs=50)
    assert codes == {2: 50}
    assert dict(lines) == {f"kpi-tui: skipped {tmp_path}/h.csv: h.csv: has a header but no rows": 50}
