"""A database source: kpi-tui's pushdown vs an analyst's hand-written SQL vs dump + folder engine.

    .venv/bin/python benchmarks/db_speed.py --rows 1000000 --rows 10000000 [--engine postgres]

For each N: the rows of benchmarks/gen_rows.py (one table, no overlapping exports: rows of a table
are never merged) are loaded once into a table `kpi_bench_N` of the engine (PostgreSQL on
127.0.0.1:5432 db `test`, a DuckDB file under benchmarks/_work/, or for `--engine spark` a parquet
file there, read by `spark:local[2]` through `--sql "SELECT * FROM parquet.`…`"`), then, each as
its own child process, side by side in one run:
  sql        the hand-written SQL an analyst would run in the same server for the monthly
             movement fields of METRICS.md (one query, `SQL_PG` / `SQL_DUCKDB` / `SQL_SPARK`)
  kpi-tui    `kpi-tui report URL --table kpi_bench_N --period month --format json --no-cache`
             (DuckDB: also without --no-cache, `kpi-tui 1st` in an empty cache dir, which keeps
             the statements, and `kpi-tui again`, which replays them: database.replay)
  dump+folder  the table dumped to CSV (COPY) and `kpi-tui report DIR --no-cache` on it
and checks every month's figures of the three against each other.
Targets (issue 8): pushdown within 1.2x of the hand-written SQL; kpi-tui's own peak memory
under 200 MB whatever the table size; identical figures. Peak memory is the child's own
(wait4): for `sql` that is the client (psql / duckdb), not the server.
Each side is timed as a whole process (Python's start, imports, connecting, the query, the
output). The DuckDB hand SQL runs with DuckDB's own memory_limit (80% of the RAM: ~600 MB at
10M rows) unless `--sql-memory MB` caps it as kpi-tui caps itself (64 MB on 2 threads).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
COUNTS = ("active_customers", "retained_customers", "churned_customers", "new_customers",
          "reactivated_customers")

PG = dict(host="127.0.0.1", port="5432", user="postgres", db="test")
WORK_MEM = "64MB"  # kpi_tui.database.connect.PG_WORK_MEM
PG_URL = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG['db']}"
DROPPED = ("failed", "declined", "pending", "canceled", "cancelled", "voided", "expired",
           "abandoned", "unpaid")

# METRICS.md for one table (no dedupe: rows of a table are never merged), monthly.
_BODY = """
WITH txn AS (
  SELECT customer_id AS c, CAST(date_trunc('month', created_at) AS DATE) AS m, amount
  FROM {table} WHERE lower(trim(status)) NOT IN {dropped}
    AND customer_id IS NOT NULL AND trim(customer_id) <> ''
),
v AS (SELECT c, m, sum(amount) AS v, bool_or(amount > 0) AS bought FROM txn GROUP BY c, m),
first_buy AS (SELECT c, min(m) AS fm FROM v WHERE bought GROUP BY c),
per AS (SELECT m, sum(v) AS revenue, count(*) FILTER (WHERE v > 0) AS active FROM v GROUP BY m),
a AS (SELECT c, m, v FROM v WHERE v > 0),
pairs AS (
  SELECT coalesce(cur.c, prev.c) AS c,
         coalesce(cur.m, CAST(prev.m + INTERVAL '1 month' AS DATE)) AS m,
         cur.v AS now, prev.v AS before
  FROM a cur FULL OUTER JOIN a prev
    ON cur.c = prev.c AND cur.m = CAST(prev.m + INTERVAL '1 month' AS DATE)
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
bounds AS (SELECT min(m) AS lo, max(m) AS hi FROM per),
months AS ({months})
SELECT {start} AS start,
  coalesce(per.revenue, 0) AS revenue, coalesce(per.active, 0) AS active_customers,
  CASE WHEN coalesce(per.active, 0) > 0 THEN per.revenue / per.active END AS acv,
  mov.retained_customers, mov.churned_customers, mov.new_customers, mov.reactivated_customers,
  mov.retained_revenue, mov.retained_revenue_prev, mov.churned_revenue_prev, mov.new_revenue,
  mov.reactivated_revenue, mov.expansion, mov.contraction,
  CASE WHEN mov.retained_customers + mov.churned_customers > 0
       THEN CAST(mov.churned_customers AS DOUBLE PRECISION)
            / (mov.retained_customers + mov.churned_customers) END AS churn_rate,
  months.m = (SELECT lo FROM bounds) AS first
FROM months LEFT JOIN per USING (m) LEFT JOIN mov USING (m)
ORDER BY months.m
"""
SQL_PG = _BODY.format(
    table="{table}", dropped=str(DROPPED),
    months="SELECT CAST(generate_series(lo, hi, INTERVAL '1 month') AS DATE) AS m FROM bounds",
    start="to_char(months.m, 'YYYY-MM-DD')")
SQL_SPARK = _BODY.replace("DOUBLE PRECISION", "DOUBLE").replace("INTERVAL '1 month'",
                                                                 "INTERVAL 1 MONTH").format(
    table="{table}", dropped=str(DROPPED),
    months="SELECT explode(sequence(lo, hi, INTERVAL 1 MONTH)) AS m FROM bounds",
    start="date_format(months.m, 'yyyy-MM-dd')")
SPARK_URL = "spark:local[2]"
SQL_DUCKDB = _BODY.format(
    table="{table}", dropped=str(DROPPED),
    months="SELECT CAST(unnest(generate_series(lo, hi, INTERVAL '1 month')) AS DATE) AS m "
           "FROM bounds",
    start="strftime(months.m, '%Y-%m-%d')")


def _psql(*args: str, **kw) -> subprocess.CompletedProcess:
    cmd = ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", PG["db"],
           "-v", "ON_ERROR_STOP=1", "-q", *args]
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def _rows_to_periods(cols: list[str], rows: list[list]) -> dict:
    periods = []
    for row in rows:
        r = dict(zip(cols, row))
        first = str(r.pop("first")).lower() in ("t", "true", "1")
        for k, v in r.items():
            if k == "start" or v is None or v == "":
                r[k] = None if v == "" else v
                continue
            r[k] = int(v) if k in COUNTS or k.endswith("_customers") else float(v)
        if first:  # movements are null for the first period of the series
            for k in r:
                if k not in ("start", "revenue", "active_customers", "acv"):
                    r[k] = None
        periods.append(r)
    return {"periods": periods}


def spark_table(where: str) -> str:
    return f"parquet.`{where}`"


def sql_cmd(engine: str, table: str, where: str, out: Path) -> list[str]:
    """The analyst's side as its own process: psql itself, or a Python child with only duckdb
    (or pyspark, in kpi-tui's own local Spark settings)."""
    if engine == "postgres":
        return ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", PG["db"],
                "-v", "ON_ERROR_STOP=1", "-q", "--csv", "-c", SQL_PG.format(table=table)]
    return [sys.executable, __file__, "--sql-child", table, where, str(out)]


def duckdb_child(table: str, where: str, out: str) -> None:
    if where.endswith(".parquet"):  # Spark: the same session settings as kpi-tui's
        from kpi_tui.database.connect import spark_session

        df = spark_session(SPARK_URL).sql(SQL_SPARK.format(table=spark_table(where)))
        cols, rows = df.columns, [list(r) for r in df.collect()]
    else:
        import duckdb

        con = duckdb.connect(where, read_only=True)
        if os.environ.get("KPI_BENCH_SQL_MEMORY"):  # --sql-memory: kpi-tui's own cap
            con.execute(f"SET memory_limit = '{os.environ['KPI_BENCH_SQL_MEMORY']}MB'")
        cur = con.execute(SQL_DUCKDB.format(table=table))
        cols, rows = [d[0] for d in cur.description], [list(r) for r in cur.fetchall()]
    Path(out).write_text(json.dumps(_rows_to_periods(cols, rows), default=str))


def read_sql_out(engine: str, out: Path) -> dict:
    if engine != "postgres":
        return json.loads(out.read_text())
    import csv

    rows = list(csv.reader(out.read_text().splitlines()))
    return _rows_to_periods(rows[0], rows[1:])


def load(engine: str, rows: int, work: Path) -> tuple[str, str, str]:
    """Create the table once (reused while it has the right row count): (url, table, where)."""
    table = f"kpi_bench_{rows}"
    csv_path = work / f"{table}.csv"
    work.mkdir(parents=True, exist_ok=True)
    if engine == "spark":  # a parquet file read through --sql (a table lives in one session)
        where = str(work / f"{table}.parquet")
        import pyarrow.parquet as pq

        if Path(where).exists() and pq.read_metadata(where).num_rows == rows:
            return SPARK_URL, table, where
    elif engine == "postgres":
        have = _psql("-A", "-t", "-c",
                     f"SELECT count(*) FROM {table}", capture_output=True, text=True, check=False)
        if have.returncode == 0 and have.stdout.strip() == str(rows):
            return PG_URL, table, ""
    else:
        where = str(work / "bench.duckdb")
        import duckdb

        con = duckdb.connect(where)
        try:
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows:
                return f"duckdb:///{where}", table, where
        except duckdb.Error:
            pass
        con.close()
    t0 = time.perf_counter()
    import gen_rows
    import pyarrow.csv as pacsv

    if engine == "spark":
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = gen_rows.make_table(rows)
        t = t.set_column(t.schema.get_field_index("amount"), "amount",
                         t.column("amount").cast(pa.decimal128(18, 2)))
        t = t.set_column(t.schema.get_field_index("created_at"), "created_at",
                         t.column("created_at").cast(pa.timestamp("us")))
        pq.write_table(t, where)
        print(f"  wrote {rows:,} rows to {where} in {time.perf_counter() - t0:.1f} s", flush=True)
        return SPARK_URL, table, where
    pacsv.write_csv(gen_rows.make_table(rows), csv_path)
    ddl = (f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (order_id VARCHAR, "
           "customer_id VARCHAR, created_at TIMESTAMP, amount NUMERIC(18,2), currency VARCHAR, "
           "status VARCHAR)")
    if engine == "postgres":
        _psql("-c", ddl)
        _psql("-c", f"\\copy {table} FROM '{csv_path}' WITH (FORMAT csv, HEADER true)")
        _psql("-c", f"ANALYZE {table}")
        url, where = PG_URL, ""
    else:
        con = duckdb.connect(where)
        con.execute(ddl.replace("NUMERIC(18,2)", "DECIMAL(18,2)"))
        con.execute(f"INSERT INTO {table} SELECT * FROM read_csv('{csv_path}', header=true)")
        con.close()
        url = f"duckdb:///{where}"
    csv_path.unlink()
    print(f"  loaded {rows:,} rows into {engine} in {time.perf_counter() - t0:.1f} s", flush=True)
    return url, table, where


def dump(engine: str, table: str, where: str, folder: Path) -> None:
    """The table as one CSV export in `folder` (part of the dump+folder timing)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    out = folder / f"{table}.csv"
    if engine == "postgres":
        _psql("-c", f"\\copy {table} TO '{out}' WITH (FORMAT csv, HEADER true)")
    elif engine == "spark":
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        pacsv.write_csv(pq.read_table(where), out)
    else:
        import duckdb

        con = duckdb.connect(where, read_only=True)
        con.execute(f"COPY {table} TO '{out}' (HEADER, DELIMITER ',')")


def kpi(*args: str) -> list[str]:
    exe = shutil.which("kpi-tui", path=str(Path(sys.executable).parent))
    return ([exe] if exe else [sys.executable, "-m", "kpi_tui"]) + list(args)


def bench(engine: str, rows: int, repeat: int = 1) -> list[dict]:
    """Each tool `repeat` times, in turns (sql, kpi-tui, ... then again): the median time and
    CPU, the largest peak."""
    from report_speed import compare, run_child

    work = HERE / "_work" / "db"
    print(f"\n== {engine}, {rows:,} rows", flush=True)
    url, table, where = load(engine, rows, work)
    tmp = Path(tempfile.mkdtemp(prefix="kpi-dbbench-"))
    # the hand SQL's psql session gets kpi-tui's work_mem too (a fair comparison)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"), PGOPTIONS=f"-c work_mem={WORK_MEM}",
               KPI_TUI_QUERY_TIMEOUT="3600")  # 10M rows on this machine: beyond the 60 s default
    runs: dict[str, list[dict]] = {}
    outs = {}

    def timed(tool: str, cmd: list[str], out: Path, before=None) -> None:
        t0 = time.perf_counter()
        if before:
            before()
        pre = time.perf_counter() - t0
        wall, cpu, peak, rc, err = run_child(cmd, env, out)
        if rc != 0:
            print(f"  {tool}: exit {rc}\n{err}", flush=True)
            return
        r = {"engine": engine, "rows": rows, "tool": tool, "seconds": wall + pre, "cpu": cpu,
             "peak_mb": peak}
        print(f"  {tool:12} {r['seconds']:7.2f} s {cpu:7.2f} s CPU {peak:7.0f} MB", flush=True)
        runs.setdefault(tool, []).append(r)
        outs[tool] = read_sql_out(engine, out) if tool == "sql" else json.loads(out.read_text())

    try:
        which = (["--sql", f"SELECT * FROM {spark_table(where)}"] if engine == "spark"
                 else ["--table", table])
        for _ in range(repeat):
            timed("sql", sql_cmd(engine, table, where, tmp / "sql.out"), tmp / "sql.out")
            timed("kpi-tui", kpi("report", url, *which, "--period", "month",
                                 "--format", "json", "--no-cache"), tmp / "kpi.json")
            if engine == "duckdb":  # a user's first run (statements kept), then a repeat (replayed)
                shutil.rmtree(tmp / "cache" / "kpi-tui" / "replay", ignore_errors=True)
                for tool in ("kpi-tui 1st", "kpi-tui again"):
                    timed(tool, kpi("report", url, *which, "--period", "month", "--format",
                                    "json"), tmp / f"{tool.split()[1]}.json")
            folder = tmp / "dump"
            if os.environ.get("KPI_BENCH_NO_DUMP") != "1":
                timed("dump+folder", kpi("report", str(folder), "--period", "month", "--format",
                                         "json", "--no-cache"), tmp / "folder.json",
                      before=lambda: dump(engine, table, where, folder))
        if os.environ.get("KPI_BENCH_LISTS") == "1":
            _lists(engine, rows, url, which, env, tmp, folder)
        results = [_median(rs) for rs in runs.values()]
        base = outs.get("sql")
        for tool in ("kpi-tui", "kpi-tui 1st", "kpi-tui again", "dump+folder"):
            if base and tool in outs:
                bad = compare(outs[tool], base)
                print(f"  check {tool} vs sql: "
                      f"{'all figures match' if not bad else f'{len(bad)} mismatches'}")
                for line in bad[:20]:
                    print("   ", line)
        if "kpi-tui" in outs and "dump+folder" in outs:
            same = outs["kpi-tui"]["periods"] == outs["dump+folder"]["periods"]
            print(f"  kpi-tui (database) JSON == kpi-tui (folder) JSON: {same}")
        for tool in ("kpi-tui 1st", "kpi-tui again"):
            if "kpi-tui" in outs and tool in outs:
                print(f"  {tool} JSON == kpi-tui --no-cache JSON: {outs[tool] == outs['kpi-tui']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


LISTS = (("customers", "--group", "retained"), ("customers", "--group", "at-risk"),
         ("cohorts",))


def _lists(engine: str, rows: int, url: str, which: list[str], env: dict, tmp: Path,
           folder: Path) -> None:
    """--lists: `customers` (a whole list as CSV) and `cohorts` on the database and, when the
    table was dumped, on the folder; the two outputs must be the same bytes."""
    from report_speed import run_child

    print(f"  {'list':28} {'database s':>10} {'MB':>5} {'folder s':>9} {'MB':>5}  same output")
    for args in LISTS:
        got = []
        for side, src in (("db", [url, *which]), ("folder", [str(folder), "--no-cache"])):
            if side == "folder" and not folder.exists():
                got.append(None)
                continue
            out = tmp / f"list-{side}.csv"
            wall, _, peak, rc, err = run_child(kpi(*args, *src, "--format", "csv"), env, out)
            got.append((wall, peak, out.read_bytes()) if rc == 0 else None)
            if rc != 0:
                print(f"  {' '.join(args)} ({side}): exit {rc}\n{err}", flush=True)
        db, fo = got
        def cell(r):
            return f"{r[0]:10.2f} {r[1]:5.0f}"

        name = " ".join(a for a in args if a != "--group")
        print(f"  {name:28} {cell(db) if db else ' ' * 16} {cell(fo) if fo else '':16}  "
              f"{(db[2] == fo[2]) if db and fo else '-'}"
              f"{'' if not db else f' ({db[2].count(10) - 1:,} rows)'}", flush=True)


def _median(rs: list[dict]) -> dict:
    """One row of several runs of a tool: median seconds and CPU, largest peak."""
    def mid(k):
        return statistics.median(r[k] for r in rs)

    return {**rs[0], "seconds": mid("seconds"), "cpu": mid("cpu"),
            "peak_mb": max(r["peak_mb"] for r in rs), "runs": len(rs)}


def table(results: list[dict]) -> None:
    n = max((r.get("runs", 1) for r in results), default=1)
    if n > 1:
        print(f"\n(median of {n} runs in turns; peak: the largest)")
    print(f"\n{'engine':9} {'rows':>11}  {'tool':12} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} "
          f"{'x sql':>6}")
    ref = {(r["engine"], r["rows"]): r["seconds"] for r in results if r["tool"] == "sql"}
    for r in results:
        x = r["seconds"] / ref.get((r["engine"], r["rows"]), float("nan"))
        print(f"{r['engine']:9} {r['rows']:>11,}  {r['tool']:12} {r['seconds']:8.2f} "
              f"{r['cpu']:7.2f} {r['peak_mb']:8.0f} {x:6.2f}")
    print("\ntargets: pushdown <= 1.2x the hand-written SQL; kpi-tui peak < 200 MB")
    for r in results:
        if r["tool"].startswith("kpi-tui"):
            x = r["seconds"] / ref.get((r["engine"], r["rows"]), float("nan"))
            print(f"  {r['engine']:9} {r['rows']:>11,} {r['tool']:13}: {x:.2f}x {'MET' if x <= 1.2 else 'NOT MET'}"
                  f", peak {r['peak_mb']:.0f} MB {'MET' if r['peak_mb'] < 200 else 'NOT MET'}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--sql-child":
        duckdb_child(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, action="append", help="rows (repeatable; default 1M)")
    ap.add_argument("--engine", action="append", choices=("postgres", "duckdb", "spark"),
                    help="engines (repeatable; default both)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--sql-memory", type=int, metavar="MB",
                    help="DuckDB: the hand SQL's memory_limit (default: DuckDB's own, 80%% of "
                         "the RAM; kpi-tui starts at 64 MB on 2 threads)")
    ap.add_argument("--no-dump", action="store_true", help="skip dump+folder")
    ap.add_argument("--lists", action="store_true",
                    help="also time `customers` (retained, at-risk: whole CSV lists) and "
                         "`cohorts` on the database and on the dumped folder")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each tool N times in turns: median time, largest peak (default 1)")
    a = ap.parse_args()
    if a.no_dump:
        os.environ["KPI_BENCH_NO_DUMP"] = "1"
    if a.lists:
        os.environ["KPI_BENCH_LISTS"] = "1"
    if a.sql_memory:
        os.environ["KPI_BENCH_SQL_MEMORY"] = str(a.sql_memory)
    results = []
    for engine in a.engine or ["postgres", "duckdb"]:
        for rows in a.rows or [1_000_000]:
            results += bench(engine, rows, a.repeat)
    table(results)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
