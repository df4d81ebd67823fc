"""Ibis imports only what the engine needs.

`ibis.backends.sql.compilers` imports the compiler of every engine Ibis knows (and with them
every sqlglot dialect) whichever backend is opened: ~0.1 s of CPU and ~8 MB of kpi-tui's
process on each run. Installed before a backend is imported, this stands for that package and
imports one engine's compiler when the backend asks for it (`sc.duckdb.compiler`,
`sc.PostgresCompiler`). Ibis sees the same modules, loaded one by one.

`postgres` opens Ibis's PostgreSQL backend as `ibis.connect` does, without the pandas import of
its connection set-up (a dumper for pandas' NaT, a value kpi-tui never sends). `duckdb` opens
Ibis's DuckDB backend, reading a table's columns with `fetchall` where Ibis reads them as a
pyarrow table (pyarrow and numpy stay out of the process: database.rows).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import sys

COMPILERS = "ibis.backends.sql.compilers"


def lazy_compilers() -> None:
    """Install the stand-in unless the package is already imported (then nothing changes)."""
    if COMPILERS in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(COMPILERS)
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    package = importlib.util.module_from_spec(spec)  # its __path__, without running it

    def __getattr__(attr: str):
        # sc.duckdb -> the module; sc.DuckDBCompiler -> the class of module duckdb
        name = attr[:-len("Compiler")].lower() if attr.endswith("Compiler") else attr
        if not name.isidentifier() or name.startswith("_"):
            raise AttributeError(attr)
        try:
            module = importlib.import_module(f"{COMPILERS}.{name}")
        except ModuleNotFoundError as e:
            raise AttributeError(f"module {COMPILERS!r} has no attribute {attr!r}") from e
        return module if name == attr else getattr(module, attr)

    package.__getattr__ = __getattr__
    sys.modules[COMPILERS] = package
    setattr(sys.modules[COMPILERS.rsplit(".", 1)[0]], "compilers", package)


def postgres(url: str, **kwargs):
    """ibis.connect(url, **kwargs) for a postgres:// URL (the URL's query string: more kwargs)."""
    from urllib.parse import parse_qsl, urlparse

    from ibis.backends.postgres import Backend

    class Postgres(Backend):
        def _post_connect(self) -> None:  # Ibis's, without `import pandas`
            with (con := self.con).cursor() as cursor, con.transaction():
                cursor.execute("SET TIMEZONE = UTC")
                if schema := self._con_kwargs.get("schema"):
                    cursor.execute("SELECT set_config('search_path', %s, false)", (schema,))
            far_dates(self.con)

    parsed = urlparse(url)
    options = dict(parse_qsl(parsed.query))
    options.update(kwargs)
    return Postgres()._from_url(parsed, **options)


def duckdb(path: str, **kwargs):
    """ibis.duckdb.connect(path, **kwargs), its tables' columns read without pyarrow."""
    import duckdb as _duckdb
    import ibis.expr.schema as sch
    import sqlglot as sg
    import sqlglot.expressions as sge
    from ibis.backends.duckdb import Backend
    from ibis.common.exceptions import TableNotFound

    class DuckDB(Backend):
        def get_schema(self, table_name, *, catalog=None, database=None):  # Ibis's, fetchall
            query = sge.Describe(this=sg.table(table_name, db=database, catalog=catalog,
                                               quoted=self.compiler.quoted)).sql(self.dialect)
            try:
                got = self.con.sql(query).fetchall()  # name, type, null, key, default, extra
            except _duckdb.CatalogException:
                raise TableNotFound(table_name) from None
            mapper = self.compiler.type_mapper
            return sch.Schema({name: mapper.from_string(typ, nullable=null == "YES")
                               for name, typ, null, *_ in got})

    from kpi_tui.database.replay import take_spare

    spare = take_spare(path) if kwargs.get("read_only") else None  # (opened the same way)
    return DuckDB.from_connection(spare) if spare is not None else DuckDB().connect(path, **kwargs)


def far_dates(con) -> None:
    """psycopg loads PostgreSQL's dates beyond Python's years 1..9999 (`infinity`, 20230-01-05,
    0044-03-15 BC) as the first or last date Python has, on the same side of every date, where
    it raised DataError: the plausibility rule then leaves those rows out, as a folder does,
    instead of the report stopping at its first query."""
    from psycopg import DataError
    from psycopg.types import datetime as pdt

    from kpi_tui.database.rows import before_year_1

    def far(base, lo, hi):
        class Far(base):
            def load(self, data):
                try:
                    return super().load(data)
                except (DataError, ValueError, OverflowError):
                    return lo if before_year_1(bytes(data).decode("ascii", "replace")) else hi
        return Far

    utc = dt.timezone.utc
    for name, base, lo, hi in (
            ("date", pdt.DateLoader, dt.date.min, dt.date.max),
            ("timestamp", pdt.TimestampLoader, dt.datetime.min, dt.datetime.max),
            ("timestamptz", pdt.TimestamptzLoader, dt.datetime.min.replace(tzinfo=utc),
             dt.datetime.max.replace(tzinfo=utc))):
        con.adapters.register_loader(name, far(base, lo, hi))
