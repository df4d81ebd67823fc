"""Time `kpi-tui report --period month` (cold and warm) against one DuckDB query, and check figures.

    .venv/bin/python benchmarks/report_speed.py --rows 1000000 --rows 10000000

For each N: generate the exports (benchmarks/gen_rows.py, cached under benchmarks/_work/), then in
the same run, each as its own child process (wall time, and the child's own peak RSS via wait4):
  duckdb   cold  one SQL query over the same CSV files (read_csv), the per-month movement fields
  kpi-tui  cold  `report DIR --period month --format json --no-cache`, empty XDG_CACHE_HOME
  kpi-tui  fill  the same without --no-cache in a fresh XDG_CACHE_HOME (fills the parse cache)
  kpi-tui  warm  the same again, reusing that cache
then compares kpi-tui's JSON with DuckDB's figures, field by field, per month.
Targets (issue 12): cold <= 1.0x DuckDB, warm <= 0.25x DuckDB cold, peak <= 600 MB at 10M rows.
`--files 1`: the rows in one file (an ERP's or a year-long download); `--work DIR`: where the
generated exports go (default benchmarks/_work; large ones belong under /tmp).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_rows  # noqa: E402

DROPPED = ("failed", "declined", "pending", "canceled", "cancelled", "voided", "expired",
           "abandoned", "unpaid")
MONEY = ("revenue", "retained_revenue", "retained_revenue_prev", "churned_revenue_prev",
         "new_revenue", "reactivated_revenue", "expansion", "contraction")
COUNTS = ("active_customers", "retained_customers", "churned_customers", "new_customers",
          "reactivated_customers")
RATES = ("acv", "churn_rate")

# METRICS.md in SQL. $files: list of (path, rank by mtime). Amounts as DECIMAL: exact sums.
SQL = """
WITH ranks AS (SELECT * FROM (VALUES {ranks}) r(filename, rank)),
raw AS (
  SELECT order_id, customer_id, created_at, amount, lower(trim(status)) AS status, rank
  FROM read_csv({files}, filename = true, header = true,
       columns = {{'order_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'created_at': 'TIMESTAMP',
                  'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR', 'status': 'VARCHAR'}})
  JOIN ranks USING (filename)
),
dedup AS (  -- an id found in several files counts only from the newest of them (all its rows)
  SELECT * FROM raw QUALIFY rank = max(rank) OVER (PARTITION BY order_id)
),
txn AS (
  SELECT customer_id AS c, CAST(date_trunc('month', created_at) AS DATE) AS m, amount
  FROM dedup WHERE status NOT IN {dropped} AND customer_id IS NOT NULL AND customer_id <> ''
),
v AS (SELECT c, m, sum(amount) AS v, min(m) FILTER (WHERE amount > 0) AS pos FROM txn GROUP BY ALL),
first_buy AS (SELECT c, min(pos) AS fm FROM v GROUP BY c),  -- month of the first purchase
per AS (SELECT m, sum(v) AS revenue, count(*) FILTER (WHERE v > 0) AS active FROM v GROUP BY m),
a AS (SELECT c, m, v FROM v WHERE v > 0),
pairs AS (
  SELECT coalesce(cur.c, prev.c) AS c,
         coalesce(cur.m, CAST(prev.m + INTERVAL 1 MONTH AS DATE)) AS m,
         cur.v AS now, prev.v AS before
  FROM a cur FULL OUTER JOIN a prev
    ON cur.c = prev.c AND cur.m = CAST(prev.m + INTERVAL 1 MONTH AS DATE)
),
mov AS (
  SELECT p.m,
    count(*) FILTER (WHERE now IS NOT NULL AND before IS NOT NULL) AS retained_customers,
    count(*) FILTER (WHERE now IS NULL) AS churned_customers,
    count(*) FILTER (WHERE before IS NULL AND f.fm = p.m) AS new_customers,
    count(*) FILTER (WHERE before IS NULL AND f.fm <> p.m) AS reactivated_customers,
    coalesce(sum(now) FILTER (WHERE before IS NOT NULL), 0) AS retained_revenue,
    coalesce(sum(before) FILTER (WHERE now IS NOT NULL), 0) AS retained_revenue_prev,
    coalesce(sum(before) FILTER (WHERE now IS NULL), 0) AS churned_revenue_prev,
    coalesce(sum(now) FILTER (WHERE before IS NULL AND f.fm = p.m), 0) AS new_revenue,
    coalesce(sum(now) FILTER (WHERE before IS NULL AND f.fm <> p.m), 0) AS reactivated_revenue,
    coalesce(sum(greatest(now - before, 0)) FILTER (WHERE now IS NOT NULL AND before IS NOT NULL), 0)
      AS expansion,
    coalesce(sum(least(now - before, 0)) FILTER (WHERE now IS NOT NULL AND before IS NOT NULL), 0)
      AS contraction
  FROM pairs p LEFT JOIN first_buy f USING (c)
  GROUP BY p.m
),
months AS (
  SELECT CAST(unnest(generate_series(min(m), max(m), INTERVAL 1 MONTH)) AS DATE) AS m FROM per
)
SELECT strftime(months.m, '%Y-%m-%d') AS start,
  coalesce(per.revenue, 0) AS revenue, coalesce(per.active, 0) AS active_customers,
  CASE WHEN coalesce(per.active, 0) > 0 THEN per.revenue / per.active END AS acv,
  mov.* EXCLUDE (m),
  CASE WHEN mov.retained_customers + mov.churned_customers > 0
       THEN mov.churned_customers / (mov.retained_customers + mov.churned_customers) END
    AS churn_rate,
  months.m = min(months.m) OVER () AS first
FROM months LEFT JOIN per USING (m) LEFT JOIN mov USING (m)
ORDER BY months.m
"""


def duckdb_child(folder: str, out: str) -> None:
    """Runs in its own process: the DuckDB side, as an analyst would write it."""
    import duckdb

    paths = sorted(Path(folder).glob("*.csv"), key=lambda p: (p.stat().st_mtime, str(p)))
    ranks = ", ".join(f"('{p}', {i})" for i, p in enumerate(paths))
    files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    sql = SQL.format(ranks=ranks, files=files, dropped=str(DROPPED))
    cur = duckdb.connect().execute(sql)
    cols = [d[0] for d in cur.description]
    periods = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        first = r.pop("first")
        for k, v in r.items():
            if k != "start" and v is not None:
                r[k] = float(v) if k not in COUNTS and not k.endswith("_customers") else int(v)
        if first:  # movements are null for the first period of the series
            for k in r:
                if k not in ("start", "revenue", "active_customers", "acv"):
                    r[k] = None
        periods.append(r)
    Path(out).write_text(json.dumps({"periods": periods}))


GNU_TIME = "/usr/bin/time"


@functools.cache
def compiled() -> None:
    """kpi-tui's bytecode written before any child is timed, as `pip install` writes it: an
    editable install (src/) gets its .pyc on the first import, never with
    PYTHONDONTWRITEBYTECODE set, and then every timed child compiled kpi-tui's sources anew."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kpi_tui")
    if spec and spec.submodule_search_locations:
        for where in spec.submodule_search_locations:
            compileall.compile_dir(where, quiet=1)


def run_child(cmd: list[str], env: dict, out: Path) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in MB of that child, exit code, stderr tail.

    The peak comes from GNU time where it is installed: a child forked straight from this
    (large) process would count this process's memory in its own peak (Linux charges the
    pre-exec footprint to ru_maxrss); else from wait4, with that caveat."""
    compiled()
    with open(out, "wb") as fo, tempfile.TemporaryFile() as fe, \
            tempfile.NamedTemporaryFile("r") as ft:
        wrap = [GNU_TIME, "-q", "-f", "%M", "-o", ft.name] if os.path.exists(GNU_TIME) else []
        t0 = time.perf_counter()
        p = subprocess.Popen(wrap + cmd, stdout=fo, stderr=fe, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fe.seek(0)
        err = fe.read().decode(errors="replace")[-2000:]
        peak = ru.ru_maxrss / 1024
        if wrap:
            kb = ft.read().strip().splitlines()
            peak = int(kb[-1]) / 1024 if kb and kb[-1].isdigit() else peak
    return wall, ru.ru_utime + ru.ru_stime, peak, p.returncode, err


def kpi_cmd(folder: Path, no_cache: bool) -> list[str]:
    exe = shutil.which("kpi-tui", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "kpi_tui"]
    cmd += ["report", str(folder), "--period", "month", "--format", "json"]
    return cmd + (["--no-cache"] if no_cache else [])


def compare(kpi: dict, duck: dict) -> list[str]:
    """Mismatches between kpi-tui's JSON and DuckDB's figures, one line each."""
    out = []
    kp = {p["start"]: p for p in kpi["periods"]}
    dp = {p["start"]: p for p in duck["periods"]}
    if list(kp) != list(dp):
        only_k = sorted(set(kp) - set(dp))
        only_d = sorted(set(dp) - set(kp))
        out.append(f"periods differ: only kpi-tui {only_k[:5]}, only duckdb {only_d[:5]}")
    for start in sorted(set(kp) & set(dp)):
        k, d = kp[start], dp[start]
        for f in COUNTS + MONEY + RATES:
            a, b = k.get(f), d.get(f)
            if a is None or b is None:
                ok = a is None and b is None
            elif f in COUNTS:
                ok = a == b
            elif f in RATES:
                ok = abs(a - b) <= 1e-6 * max(1.0, abs(b))
            else:
                ok = abs(a - b) <= 0.01 + 1e-12 * abs(b)
            if not ok:
                out.append(f"{start} {f}: kpi-tui {a!r} vs duckdb {b!r}")
    return out


def bench(rows: int, repeat: int, keep: bool, cancel_overlap: float, files: int = 12,
          work: Path = HERE / "_work") -> list[dict]:
    tag = f"rows-{rows}" + (f"-files{files}" if files != 12 else "") \
        + (f"-cancel{cancel_overlap}" if cancel_overlap else "")
    folder = work / tag
    t0 = time.perf_counter()
    paths = gen_rows.generate(rows, folder, files=files, cancel_overlap=cancel_overlap)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"\n== {rows:,} rows: {len(paths)} files, {size:.0f} MB in {folder} "
          f"(ready in {time.perf_counter() - t0:.1f} s)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    base_env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    results: list[dict] = []

    def timed(tool: str, mode: str, cmd: list[str], env: dict, out: Path) -> dict | None:
        best = None
        for _ in range(repeat if mode != "fill" else 1):
            wall, cpu, peak, rc, err = run_child(cmd, env, out)
            if rc != 0:
                print(f"  {tool} {mode}: exit {rc}\n{err}", flush=True)
                return None
            if best is None or wall < best["seconds"]:
                best = {"rows": rows, "files": files, "tool": tool, "mode": mode, "seconds": wall, "cpu": cpu,
                        "peak_mb": peak if best is None else max(peak, best["peak_mb"])}
        print(f"  {tool:8} {mode:5} {best['seconds']:7.2f} s {best['cpu']:7.2f} s CPU "
              f"{best['peak_mb']:7.0f} MB", flush=True)
        results.append(best)
        return best

    try:
        duck_out = tmp / "duckdb.json"
        timed("duckdb", "cold", [sys.executable, __file__, "--duckdb-child", str(folder),
                                 str(duck_out)], base_env, duck_out)
        cold_env = dict(base_env, XDG_CACHE_HOME=str(tmp / "cache-cold"))
        kpi_out = tmp / "kpi-cold.json"
        timed("kpi-tui", "cold", kpi_cmd(folder, True), cold_env, kpi_out)
        warm_env = dict(base_env, XDG_CACHE_HOME=str(tmp / "cache-warm"))
        timed("kpi-tui", "fill", kpi_cmd(folder, False), warm_env, tmp / "kpi-fill.json")
        timed("kpi-tui", "warm", kpi_cmd(folder, False), warm_env, tmp / "kpi-warm.json")
        print("  check vs duckdb:", end=" ")
        if not duck_out.is_file() or not kpi_out.is_file() or not kpi_out.stat().st_size:
            print("skipped (a run failed)")
        else:
            duck = json.loads(duck_out.read_text())
            kpi = json.loads(kpi_out.read_text())
            bad = compare(kpi, duck)
            warm_file = tmp / "kpi-warm.json"
            if warm_file.is_file() and warm_file.stat().st_size:
                if json.loads(warm_file.read_text()) != kpi:
                    bad.append("warm (cached) JSON differs from cold JSON")
            n = len(kpi["periods"])
            print(f"{n} months, {'all figures match' if not bad else f'{len(bad)} mismatches'}")
            for line in bad[:40]:
                print("   ", line)
            if len(bad) > 40:
                print(f"    ... {len(bad) - 40} more")
            for r in results:
                r["mismatches"] = len(bad)
    finally:
        if keep:
            print(f"  outputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


def table(results: list[dict]) -> None:
    print(f"\n{'rows':>11} {'files':>5}  {'tool':8} {'mode':5} {'seconds':>8} {'CPU s':>7} "
          f"{'peak MB':>8} {'x duckdb':>9}")
    ref = {(r["rows"], r["files"]): r["seconds"] for r in results if r["tool"] == "duckdb"}
    for r in results:
        x = r["seconds"] / ref.get((r["rows"], r["files"]), float("nan"))
        print(f"{r['rows']:>11,} {r['files']:>5}  {r['tool']:8} {r['mode']:5} {r['seconds']:8.2f} "
              f"{r['cpu']:7.2f} {r['peak_mb']:8.0f} {x:9.2f}")
    print("\ntargets:")
    for rows, files in sorted({(r["rows"], r["files"]) for r in results}):
        got = {(r["tool"], r["mode"]): r for r in results if (r["rows"], r["files"]) == (rows, files)}
        d = got.get(("duckdb", "cold"))
        for mode, limit in (("cold", 1.0), ("warm", 0.25)):
            k = got.get(("kpi-tui", mode))
            if d and k:
                x = k["seconds"] / d["seconds"]
                print(f"  {rows:>11,} rows in {files} files, {mode} <= {limit}x duckdb cold: "
                      f"{x:.2f}x {'MET' if x <= limit else 'NOT MET'}")
        if rows >= 10_000_000:
            peaks = [r["peak_mb"] for r in got.values() if r["tool"] == "kpi-tui"]
            if peaks:
                p = max(peaks)
                print(f"  {rows:>11,} rows in {files} files, peak <= 600 MB: {p:.0f} MB "
                      f"{'MET' if p <= 600 else 'NOT MET'}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--duckdb-child":
        duckdb_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, action="append",
                    help="rows to generate (repeatable; default 1000000)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per timing, best kept")
    ap.add_argument("--cancel-overlap", type=float, default=0.0,
                    help="fraction of overlapping rows paid in the older export and cancelled "
                    "in the newer one (edge case of the dedupe rule)")
    ap.add_argument("--files", type=int, action="append",
                    help="files the rows are split into (repeatable; default 12)")
    ap.add_argument("--work", type=Path, default=HERE / "_work",
                    help="where the generated exports are kept")
    ap.add_argument("--keep", action="store_true", help="keep the JSON outputs")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    results = []
    for rows in a.rows or [1_000_000]:
        for files in a.files or [12]:
            results += bench(rows, a.repeat, a.keep, a.cancel_overlap, files, a.work)
    table(results)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
