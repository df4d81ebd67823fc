"""The real engines the database tests run on: PostgreSQL and MariaDB/MySQL on 127.0.0.1, DuckDB
in process, Spark local. Each test table has a unique name and is dropped afterwards; an engine
is skipped only when its server (or driver) truly cannot be had, with the reason."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal

import pytest

PG_URL = os.environ.get("KPI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("KPI_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
SPARK_URL = "spark:local[2]"
ENGINES = ("duckdb", "postgres", "mysql", "spark")

# column kinds -> each engine's type
TYPES = {
    "postgres": {"text": "TEXT", "date": "DATE", "timestamp": "TIMESTAMP",
                 "timestamptz": "TIMESTAMPTZ", "double": "DOUBLE PRECISION",
                 "decimal": "NUMERIC(14,2)", "integer": "BIGINT"},
    "mysql": {"text": "VARCHAR(200)", "date": "DATE", "timestamp": "DATETIME",
              "timestamptz": "TIMESTAMP NULL", "double": "DOUBLE", "decimal": "DECIMAL(14,2)",
              "integer": "BIGINT"},
    "duckdb": {"text": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP",
               "timestamptz": "TIMESTAMPTZ", "double": "DOUBLE", "decimal": "DECIMAL(14,2)",
               "integer": "BIGINT"},
    "spark": {"text": "STRING", "date": "DATE", "timestamp": "TIMESTAMP_NTZ",
              "timestamptz": "TIMESTAMP", "double": "DOUBLE", "decimal": "DECIMAL(14,2)",
              "integer": "BIGINT"},
}


def unique(prefix: str = "kt") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class Engine:
    """Creates test tables in one engine (with its own admin connection, never kpi-tui's)."""

    def __init__(self, name: str, tmp):
        self.name, self.tmp = name, tmp
        self.created: list[str] = []
        # Spark local on a busy 2-core machine: a query may take a minute (figures are checked,
        # not speed; the statement timeout itself is tested on PostgreSQL)
        self.timeout = 900.0 if name == "spark" else 60.0
        self.url = {"postgres": PG_URL, "mysql": MYSQL_URL, "spark": SPARK_URL}.get(name)
        if name == "postgres":
            import psycopg

            self.admin = psycopg.connect(PG_URL.replace("postgresql://", "postgres://")
                                         .replace("postgres://", "postgresql://"),
                                         autocommit=True, connect_timeout=5)
        elif name == "mysql":
            import MySQLdb

            self.admin = MySQLdb.connect(host="127.0.0.1", port=3306, user="root",
                                         database="test", autocommit=True, connect_timeout=5)
        elif name == "spark":
            from kpi_tui.database.connect import spark_session

            self.spark = spark_session(SPARK_URL)
            self.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
            self.spark.sparkContext.setLogLevel("ERROR")

    def load(self, columns: list[tuple[str, str]], rows: list[tuple]) -> tuple[str, str]:
        """A new table of `rows` with `columns` [(name, kind)]: (url, table name)."""
        name = unique()
        if self.name == "duckdb":
            import duckdb

            path = self.tmp / f"{name}.duckdb"
            con = duckdb.connect(str(path))
            cols = ", ".join(f'"{c}" {TYPES["duckdb"][k]}' for c, k in columns)
            con.execute(f'CREATE TABLE "{name}" ({cols})')
            if rows:
                import pyarrow as pa

                arrow = pa.table({c: pa.array([r[i] for r in rows])  # noqa: F841 - read by SQL
                                  for i, (c, _) in enumerate(columns)})
                con.execute(f'INSERT INTO "{name}" SELECT * FROM arrow')
            con.close()
            return f"duckdb://{path}", name
        if self.name == "spark":
            from pyspark.sql.types import _parse_datatype_string

            import pandas as pd

            ddl = ", ".join(f"`{c}` {TYPES['spark'][k]}" for c, k in columns)
            # from pandas through Arrow: a local relation, no Python worker per query
            frame = pd.DataFrame(list(rows) or None, columns=[c for c, _ in columns],
                                 dtype=object)
            df = self.spark.createDataFrame(frame, schema=_parse_datatype_string(ddl))
            df.createOrReplaceTempView(name)
            self.created.append(name)
            return self.url, name
        q = '"' if self.name == "postgres" else "`"
        cols = ", ".join(f"{q}{c}{q} {TYPES[self.name][k]}" for c, k in columns)
        cur = self.admin.cursor()
        cur.execute(f"CREATE TABLE {q}{name}{q} ({cols})")
        self.created.append(name)
        if rows:
            marks = ", ".join("%s" for _ in columns)
            cur.executemany(f"INSERT INTO {q}{name}{q} VALUES ({marks})", rows)
        cur.close()
        return self.url, name

    def execute(self, sql: str) -> None:
        cur = self.admin.cursor()
        cur.execute(sql)
        cur.close()

    def drop_all(self) -> None:
        for name in self.created:
            if self.name == "spark":
                self.spark.catalog.dropTempView(name)
            else:
                q = '"' if self.name == "postgres" else "`"
                self.execute(f"DROP TABLE IF EXISTS {q}{name}{q}")
        self.created.clear()

    def close(self) -> None:
        self.drop_all()
        if self.name in ("postgres", "mysql"):
            self.admin.close()


_REASONS: dict[str, str] = {}


def open_engine(name: str, tmp) -> Engine:
    """The engine, or pytest.skip saying why it cannot be had."""
    if name in _REASONS:
        pytest.skip(_REASONS[name])
    module = {"duckdb": "duckdb", "postgres": "psycopg", "mysql": "MySQLdb",
              "spark": "pyspark"}[name]
    try:
        if name == "mysql":  # PyMySQL stands in for MySQLdb, as in kpi-tui itself
            from kpi_tui.database.connect import _mysql_driver

            _mysql_driver()
        __import__(module)
        __import__("ibis")
    except ImportError:
        _REASONS[name] = f"{name}: driver {module} not installed (pip install -e '.[test,db]')"
        pytest.skip(_REASONS[name])
    try:
        return Engine(name, tmp)
    except Exception as e:  # noqa: BLE001 - each driver's connection error
        _REASONS[name] = f"{name} server cannot be reached: {str(e).splitlines()[0]}"
        pytest.skip(_REASONS[name])


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, tmp_path_factory):
    eng = open_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield eng
    eng.close()


@pytest.fixture(scope="module", params=ENGINES[:3])
def sql_engine(request, tmp_path_factory):
    """The SQL servers and DuckDB (rules whose Ibis expression has nothing engine-specific;
    Spark runs the equality suites and the engine-specific rules, to keep the time down)."""
    eng = open_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield eng
    eng.close()


def money(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)
