"""`spark:local[N]` is a SOURCE (not a folder), and Spark SQL's own syntax passes --sql's check."""

from __future__ import annotations

from pathlib import Path

from kpi_tui.cli.parser import parser
from kpi_tui.database.columns import check_sql


def test_spark_local_is_a_source_not_a_folder():
    args = parser().parse_args(["report", "spark:local[2]", "--sql", "SELECT * FROM t"])
    assert args.dir == "spark:local[2]"
    assert parser().parse_args(["report", "sparks"]).dir == Path("sparks")


def test_spark_parquet_path_in_sql():
    q = "SELECT * FROM parquet.`/data/orders.parquet`"
    assert check_sql(q, "spark") == q


def test_a_spark_master_that_does_not_answer_is_one_line_at_once(tmp_path):
    """`spark://host:port` with no master there: one line and exit 2 within seconds (Spark
    itself retried for a minute and printed ~120 lines of Java stack traces). In a process of
    its own, as a user runs it (a test process may hold another Spark session)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    for url, why in ((f"spark://127.0.0.1:{port}",
                      "connection refused (is the Spark master running?)"),
                     ("spark://no-such-host.invalid:7077", "unknown host")):
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, "-m", "kpi_tui", "report", url, "--table", "t"],
                           capture_output=True, text=True, env=env, timeout=120)
        assert time.monotonic() - t0 < 15
        assert (p.returncode, p.stdout) == (2, "")
        assert p.stderr == f"kpi-tui: {url}: cannot connect: {why}\n"


def test_spark_local_prints_nothing_of_its_jvm(tmp_path):
    """A Spark report's standard error is empty: the JVM's own log goes to the user cache dir
    (database.spark.log_path), not over the terminal or the screen."""
    import os
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    pytest.importorskip("pyspark")
    data = tmp_path / "o.parquet"
    pq.write_table(pa.table({"customer_id": ["a", "b"], "created_at": ["2025-01-05", "2025-01-06"],
                             "amount": [10.0, 20.0]}), data)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    p = subprocess.run([sys.executable, "-m", "kpi_tui", "report", "spark:local[1]", "--sql",
                        f"SELECT customer_id, CAST(created_at AS DATE) AS created_at, amount "
                        f"FROM parquet.`{data}`", "--format", "csv"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.splitlines()[1].startswith("2025-01-01,30.0,2,")
    assert "Spark" in (tmp_path / "cache" / "kpi-tui" / "spark.log").read_text()
