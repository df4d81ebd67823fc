"""Which rows (`--table` or `--sql`) and which columns: recognised from the column names exactly
as file headers are (ingest/layouts/generic), or named by [mapping]."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kpi_tui.database.connect import Connection
from kpi_tui.database.url import SourceError
from kpi_tui.ingest.headers import LOOKED_FOR, find_fields, line_items
from kpi_tui.ingest.plain import key
from kpi_tui.settings import Settings

PG_MONEY = 790  # PostgreSQL's type oid of money
ROLES = ("customer", "email", "date", "amount", "quantity", "unit_price", "refunded", "status",
         "order_id", "currency", "type")
# a column that changes whenever a row does: polled with the row count and the latest date
UPDATED_AT = ("updated_at", "updated", "modified_at", "modified", "last_modified",
              "date_modified", "last_updated", "changed_at")


@dataclass
class Fields:
    """The source column of each role (None: the table has none)."""

    names: dict[str, str | None]
    types: dict[str, str] = field(default_factory=dict)  # column -> engine type, as Ibis says
    mapped: bool = False  # named by [mapping]
    updated_at: str | None = None
    date_zone: bool = False  # the date column holds instants (Spark TIMESTAMP), not wall time
    line_items: bool = False  # UCI Online Retail's columns (headers.LINE_ITEMS), as in a file

    def __getitem__(self, role: str) -> str | None:
        return self.names.get(role)

    def describe(self) -> list[tuple[str, str]]:
        """(role, what is used) for `check`."""
        n = self.names
        who = [x for x in (n["customer"], n["email"] and f"{n['email']} (trimmed, lower-cased)") if x]
        amount = n["amount"] or (n["quantity"] and f"{n['quantity']} x {n['unit_price']}")
        if self.line_items:
            amount += " (negative for C-invoices)"
        if n["amount"] and n["refunded"]:
            amount = f"{n['amount']} - {n['refunded']}"
        return [
            ("customer", " else ".join(who) or "none (every row unattributed)"),
            ("date", n["date"] or "none"),
            ("amount", amount or "none"),
            ("status", n["status"] or "none (every row counts)"),
            ("order id", n["order_id"] or "none"),
            ("currency", n["currency"] or "none (reporting currency)"),
            ("type", f"{n['type']} (transfers, fees... left out)" if n["type"]
             else "none (every row a sale or refund)"),
        ]


def check_sql(sql: str, dialect: str | None = None) -> str:
    """The query if it is one read-only SELECT (or WITH ... SELECT, UNION ...); else SourceError."""
    import sqlglot
    from sqlglot import exp

    text = sql.strip().rstrip(";").strip()
    bad = SourceError("--sql must be one read-only SELECT query (SELECT ... or WITH ... SELECT ...)")
    log = logging.getLogger("sqlglot")  # ("... Falling back to parsing as a 'Command'.")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        stmts = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except Exception:  # noqa: BLE001 - sqlglot's parse errors
        stmts = []
    finally:
        log.setLevel(level)
    if len(stmts) != 1 or not isinstance(stmts[0], exp.Query):
        raise bad
    tree = stmts[0]
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge,
              exp.Into, exp.Command, exp.Lock)
    if any(tree.find_all(*writes)):
        raise bad
    return text


def table_parts(table: str) -> list[str]:
    """[catalog, schema, name] of `--table` (1 to 3 parts): split at its dots, or where it has
    quotes, read as SQL names ("Shop Data"."Orders", `shop`.`orders`, "a.b"); [] if it is
    not a name."""
    if '"' not in table and "`" not in table:
        return table.split(".")
    import sqlglot.expressions as exp

    try:
        parts = exp.to_table(table, dialect="mysql" if "`" in table else "postgres").parts
    except Exception:  # noqa: BLE001 - sqlglot's parse errors
        parts = []
    return [p.name for p in parts] if 1 <= len(parts) <= 3 else []


def open_rows(conn: Connection, table: str | None = None, sql: str | None = None):
    """The Ibis table of `--table NAME` (schema-qualified allowed) or `--sql QUERY`."""
    rows = _open_rows(conn, table, sql)
    return _pg_money(conn, rows) if conn.engine == "postgres" else rows


def _pg_money(conn: Connection, rows):
    """PostgreSQL's `money` columns as numbers: psycopg reads money as text ('$10.50', in the
    server's lc_monetary), which Ibis takes for DECIMAL(19, 4); cast to NUMERIC in the engine
    (exact, whatever the locale)."""
    import ibis.expr.datatypes as dt

    maybe = [n for n, t in rows.schema().items()
             if t.is_decimal() and (t.precision, t.scale) == (19, 4)]
    if not maybe:
        return rows
    try:
        with conn.backend.con.cursor() as cur:
            cur.execute(f"SELECT * FROM ({conn.backend.compile(rows)}) AS q LIMIT 0")
            money = [d.name for d in cur.description if d.type_code == PG_MONEY]
    except Exception as e:  # noqa: BLE001
        raise conn.error(e, "cannot read the columns") from None
    money = [n for n in money if n in maybe]
    return rows.mutate(**{n: rows[n].cast(dt.Decimal(38, 4)) for n in money}) if money else rows


def _open_rows(conn: Connection, table: str | None, sql: str | None):
    if bool(table) == bool(sql):
        raise SourceError(f"{conn.label}: give either --table NAME or --sql \"SELECT ...\"")
    con = conn.backend
    if table:
        parts = table_parts(table)
        if not parts:
            raise SourceError(f"{conn.label}: not a table name: {table!r}")
        *schema, name = parts
        try:
            return con.table(name, database=tuple(schema) or None)
        except Exception:  # noqa: BLE001 - each backend says it its own way
            raise SourceError(f"{conn.label}: table {table!r} not found") from None
    # Ibis's sqlglot dialect of the engine (a class: MySQL's `quoted` names parse)
    dialect = getattr(con, "dialect", None)
    if not isinstance(dialect, str | type):
        dialect = None
    if conn.engine == "pyspark":  # Spark SQL: `quoted` names, parquet.`/path`
        dialect = "spark"
    query = check_sql(sql, dialect)
    try:
        schema = None  # other engines: Ibis asks the engine
        if conn.engine == "postgres":
            schema = _pg_schema(con, query)
        elif conn.engine == "duckdb":
            schema = _duckdb_schema(con, query)
        elif conn.engine == "mysql":
            schema = _mysql_schema(con, query)
        return con.sql(query, schema=schema)
    except SourceError:
        raise
    except Exception as e:  # noqa: BLE001
        raise conn.error(e, "--sql") from None


def _pg_schema(con, query: str):
    """The columns of a PostgreSQL query from `LIMIT 0` (Ibis would create a temporary view)."""
    import ibis
    from ibis.backends.sql.datatypes import PostgresType

    with con.con.cursor() as cur:
        cur.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
        desc = cur.description
        types = []
        for d in desc:
            cur.execute("SELECT format_type(%s, NULL)", (d.type_code,))
            types.append(cur.fetchone()[0])
    return ibis.schema({d.name: PostgresType.from_string(t) for d, t in zip(desc, types)})


def _duckdb_schema(con, query: str):
    """The columns of a DuckDB query from `DESCRIBE` (Ibis 12's own reads it with the connection's
    `fetch_arrow_table`, which DuckDB 2.0 no longer has: `--sql` failed with an AttributeError)."""
    import ibis

    got = con.con.sql(f"DESCRIBE {query}").fetchall()  # name, type, null, key, default, extra
    mapper = con.compiler.type_mapper
    return ibis.schema({name: mapper.from_string(typ, nullable=null == "YES")
                        for name, typ, null, *_ in got})


def _mysql_schema(con, query: str):
    """The columns of a MySQL / MariaDB query from `LIMIT 0`, decoded by Ibis's own function.
    Ibis 12 reads `get_character_set_info()` and `description_flags` of mysqlclient, which
    PyMySQL (kpi-tui's stand-in for it) lacks: `--sql` failed with an AttributeError. The
    flags are PyMySQL's field descriptors' (no public accessor). mysqlclient: Ibis's own."""
    import ibis
    from ibis.backends.mysql.datatypes import _type_from_cursor_info

    raw = con.con
    if hasattr(raw, "get_character_set_info"):
        return None
    with raw.cursor() as cur:
        cur.execute("SELECT MAXLEN FROM information_schema.CHARACTER_SETS "
                    "WHERE CHARACTER_SET_NAME = %s", (raw.charset,))
        mb = int((cur.fetchone() or (1,))[0])
        cur.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
        desc, fields = cur.description, cur._result.fields
    return ibis.schema({d[0]: _type_from_cursor_info(flags=f.flags, type_code=d[1],
                                                     field_length=d[4], scale=d[5],
                                                     multi_byte_maximum_length=mb)
                        for d, f in zip(desc, fields)})


def recognise(rows, settings: Settings, label: str = "") -> Fields:
    """The role of each column, from [mapping] or from the names; SourceError when unusable."""
    schema = rows.schema()
    names = list(schema.names)
    where = f"{label}: " if label else ""
    m = settings.mapping
    if m is not None and any(getattr(m, r) for r in ROLES):
        mapped = {r: getattr(m, r) for r in ROLES}
        missing = [f"{r} = {v!r}" for r, v in mapped.items() if v and v not in names]
        if missing:
            raise SourceError(f"{where}the [mapping] columns {', '.join(missing)} are not in the "
                              f"table (it has: {', '.join(names)})")
        f = Fields(mapped, mapped=True)
    elif (li := line_items(names)) is not None:  # as the line-items layout reads a file
        f = Fields({r: li.get(r) for r in ROLES}, line_items=True)
    else:
        found = find_fields(names)
        f = Fields({r: found.get(r) for r in ROLES})
    for need in ("date", "amount"):
        if not f[need] and not (need == "amount" and f["quantity"] and f["unit_price"]):
            looked = "the [mapping]" if f.mapped else f"looked for {LOOKED_FOR[need]}"
            raise SourceError(f"{where}no {need} column found ({looked}; the table has: "
                              f"{', '.join(names)})")
    f.types = {n: str(schema[n]) for n in names}
    for role in ("amount", "refunded", "quantity", "unit_price"):
        col = f[role]
        if col and not schema[col].is_numeric():
            raise SourceError(f"{where}the {role} column {col!r} is {_kind(schema[col])}, not a "
                              f"number: cast it in --sql (CAST({col} AS DECIMAL(18,2)))")
    d = schema[f["date"]]
    if not (d.is_date() or d.is_timestamp()):
        raise SourceError(f"{where}the date column {f['date']!r} is {_kind(d)}, not a date or "
                          f"timestamp: cast it in --sql (CAST({f['date']} AS TIMESTAMP))")
    by_key = {key(n): n for n in names}
    f.updated_at = next((by_key[key(c)] for c in UPDATED_AT if key(c) in by_key), None)
    if f.updated_at and not schema[f.updated_at].is_temporal():
        f.updated_at = None
    return f


def _kind(dtype) -> str:
    return "text" if dtype.is_string() else f"of type {dtype}"
