"""A DuckDB (or MySQL) query's answer as plain rows, without pyarrow or numpy.

The figures' queries return a few rows (one per period). Ibis hands them over as a pyarrow
table, and importing pyarrow and numpy adds ~40 MB to kpi-tui's process, taken from DuckDB's
share of the ~200 MB it keeps to (10M rows: the figures' query 4.0 s with 36 MB, 2.1 s with
64 MB). `duckdb_rows` fetches them with DuckDB's own fetchall instead, checked against the
expression's Ibis schema: `Rows` answers `to_pylist()`, `to_pydict()`, `column(name)` and
`num_rows` with the values Ibis's table gives. A type not listed in `_plain` (arrays, structs,
intervals, time zones...) goes through pyarrow as before (`plain` is None).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


class Column(list):
    def to_pylist(self) -> list:
        return list(self)


class Rows:
    """The rows of an answer, with the part of pyarrow.Table's API the database path reads."""

    def __init__(self, names: list[str], rows: list[tuple]):
        self.column_names = list(names)
        self.rows = rows

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def to_pylist(self) -> list[dict]:
        return [dict(zip(self.column_names, r)) for r in self.rows]

    def to_pydict(self) -> dict[str, list]:
        return {n: [r[i] for r in self.rows] for i, n in enumerate(self.column_names)}

    def column(self, name: str) -> Column:
        i = self.column_names.index(name)
        return Column(r[i] for r in self.rows)


def plain(expr) -> list | None:
    """[(name, convert)] of the expression's columns when every type is one `_plain` knows."""
    schema = expr.as_table().schema()
    out = []
    for name, dtype in schema.items():
        convert = _plain(dtype)
        if convert is None:
            return None
        out.append((name, convert))
    return out


def _plain(dtype):
    """value -> the value Ibis's pyarrow table holds, for a column of `dtype`; TypeError when
    DuckDB's value is not of that kind (then pyarrow decides). None: a type not handled here."""
    if dtype.is_null():
        return _none
    if dtype.is_boolean():
        return _boolean
    if dtype.is_integer():
        return _integer
    if dtype.is_floating():
        return _floating
    if dtype.is_decimal():
        return _decimal
    if dtype.is_string():
        return _string
    if dtype.is_binary():
        return _binary
    if dtype.is_date():
        return _date
    if dtype.is_timestamp() and dtype.timezone is None:
        return _naive
    return None


def _none(v):
    if v is not None:
        raise TypeError(f"{type(v).__name__} in a null column")


def _string(v):
    if isinstance(v, str):
        return v
    raise TypeError(f"{type(v).__name__} in a string column")  # (MySQL's bytes: pyarrow)


def _binary(v):
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)  # (PostgreSQL's bytea: a memoryview)
    raise TypeError(f"{type(v).__name__} in a binary column")


def _integer(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)  # MySQL's sum of integers is a DECIMAL
    raise TypeError(f"{type(v).__name__} in an integer column")


def _boolean(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):  # MySQL's booleans are 0 and 1
        return bool(v)
    raise TypeError(f"{type(v).__name__} in a boolean column")


def _floating(v):
    if isinstance(v, float | int | Decimal) and not isinstance(v, bool):
        return float(v)
    raise TypeError(f"{type(v).__name__} in a floating column")


def _decimal(v):
    if isinstance(v, Decimal):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return Decimal(v)
    raise TypeError(f"{type(v).__name__} in a decimal column")


def _date(v):
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    return _far(v, dt.date.min, dt.date.max, "date")


def _naive(v):
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        return v
    return _far(v, dt.datetime.min, dt.datetime.max, "timestamp")


def _far(v, lo, hi, kind: str):
    """A date beyond Python's years 1..9999, which DuckDB gives as text ('20230-01-05',
    '0044-03-15 (BC)'), or MySQL's zero date ('0000-00-00'): the first or last one Python
    has, on the same side of every date (the plausibility rule leaves such rows out;
    pyarrow raised OverflowError on them)."""
    if isinstance(v, str) and v[:1].isdigit():
        return lo if before_year_1(v) else hi
    raise TypeError(f"{type(v).__name__} in a {kind} column")


def before_year_1(text: str) -> bool:
    """Whether a date's text beyond Python's years is before them: BC ('0044-03-15 BC',
    DuckDB's '(BC)'), '-infinity', or MySQL's zero date (year 0) or zero month or day
    ('2025-00-00': no date); else after (9999 and on)."""
    year, _, rest = text.partition("-")
    return (text.startswith("-") or text.rstrip(")").endswith("BC")
            or (year.isdigit() and int(year) == 0) or rest[:2] == "00" or rest[3:5] == "00")


def duckdb_rows(backend, expr, columns: list, sqls: list | None = None) -> Rows | None:
    """Execute `expr` on Ibis's DuckDB backend with fetchall: Rows, or None when a value is
    not what the schema says (the caller asks pyarrow). `columns`: `plain(expr)`."""
    table = expr.as_table()
    backend._run_pre_execute_hooks(table)  # as Ibis's _to_duckdb_relation
    sql = backend.compile(table)
    got = backend.con.sql(sql).fetchall()
    if sqls is not None:
        sqls.append(sql)
    return _converted(got, columns, sqls)


def mysql_rows(backend, expr, columns: list) -> Rows | None:
    """The same on Ibis's MySQL backend (whose to_pyarrow builds a pandas DataFrame first)."""
    table = expr.as_table()
    backend._run_pre_execute_hooks(table)
    with backend._safe_raw_sql(backend.compile(table)) as cursor:
        got = cursor.fetchall()
    return _converted(got, columns)


def converted(got: list, columns: list) -> list[tuple]:
    """The rows `got` with each value as Ibis's pyarrow table holds it (TypeError: a value not
    of its column's type). A value already of its column's exact type is kept as it is."""
    converts = [c for _, c in columns]
    exact = [_EXACT.get(c) for c in converts]
    pairs = list(zip(converts, exact))
    return [tuple(v if v is None or type(v) is e else f(v) for (f, e), v in zip(pairs, r))
            for r in got]


def _converted(got: list, columns: list, sqls: list | None = None) -> Rows | None:
    try:
        rows = converted(got, columns)
    except TypeError:
        if sqls is not None:
            sqls.pop()
        return None
    return Rows([n for n, _ in columns], rows)


# the Python type a converter keeps as it is (a subclass, bool in an integer column say, or
# a datetime in a date column, still goes through the converter)
_EXACT = {_string: str, _integer: int, _floating: float, _date: dt.date, _binary: bytes,
          _boolean: bool}
