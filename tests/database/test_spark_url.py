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
