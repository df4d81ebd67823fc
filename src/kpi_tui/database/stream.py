"""A long answer (a whole customer list for CSV / JSON) read from one query through a cursor.

Paging with ORDER BY / LIMIT / OFFSET runs the list's query once per page: the per-customer
sums of the whole table again each time (10M rows on DuckDB: 5 pages of 47,100 customers,
~2 s each). Here the query runs once and its rows come `size` at a time as the engine sends
them: DuckDB's streamed result, PostgreSQL's rows in single-row mode (a plain statement, so
its plan may use parallel workers, which a server-side cursor's may not), MySQL's unbuffered
cursor, Spark's partitions one after another. kpi-tui holds one batch at a time.

    batches = stream(conn, expr, 10_000)   # None: not on this engine (page with LIMIT then)
    for rows in batches: ...               # lists of dicts, values as Rows.to_pylist gives
"""

from __future__ import annotations

from kpi_tui.database.url import SourceError

ENGINES = ("duckdb", "postgres", "mysql", "pyspark")


def stream(conn, expr, size: int):
    """The rows of `expr` in lists of up to `size` dicts (a generator), or None when the
    engine or a column's type is not streamed here (database.rows: `plain`)."""
    from kpi_tui.database.rows import plain

    if conn.engine not in ENGINES:
        return None
    columns = plain(expr)
    if columns is None:
        return None
    return _batches(conn, expr, columns, size)


def _batches(conn, expr, columns: list, size: int):
    from kpi_tui.database.rows import converted

    names = [n for n, _ in columns]
    with conn.limited():  # one statement: one time limit
        table = expr.as_table()
        conn.backend._run_pre_execute_hooks(table)
        sql = conn.backend.compile(table)
        for batch in _READERS[conn.engine](conn, sql, size):
            try:
                rows = converted(batch, columns)
            except TypeError as e:  # a value not of its column's type (never seen)
                raise SourceError(f"{conn.label}: unexpected value in the list: {e}") from None
            yield [dict(zip(names, r)) for r in rows]


def _duckdb(conn, sql: str, size: int):
    """DuckDB's streamed result. Out of memory (the sort of a large list may fail as its
    spilled blocks are read back, after rows came): the query runs again with a larger limit
    (connect.duckdb_retrying) and the rows already read are skipped: the list's order is total
    (ties by key), so the same rows come first again."""
    import duckdb

    from kpi_tui.database.connect import duckdb_retrying

    con = conn.backend.con
    state = {"result": None, "done": 0}

    def fetch():
        try:
            if state["result"] is None:
                state["result"] = result = con.execute(sql)
                skip = state["done"]
                while skip > 0 and (got := _fetch(result, min(skip, size))):
                    skip -= len(got)
            return _fetch(state["result"], size)
        except duckdb.OutOfMemoryException:
            state["result"] = None  # the next try runs it again
            raise

    while rows := duckdb_retrying(conn, con, fetch):
        state["done"] += len(rows)
        yield rows
        if len(rows) < size:
            return


def _fetch(result, n: int) -> list:
    return result.fetchmany(n)


def in_batches(items, size: int):
    """The items of an iterable in lists of `size` (the last one shorter)."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _postgres(conn, sql: str, size: int):
    with conn.backend.con.cursor() as cur:
        yield from in_batches(cur.stream(sql), size)


def _mysql(conn, sql: str, size: int):
    import MySQLdb.cursors  # (PyMySQL, where mysqlclient is not installed: connect)

    cur = conn.backend.con.cursor(MySQLdb.cursors.SSCursor)
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(size):
            yield rows
    finally:
        cur.close()  # (reads what is left of the answer)


def _pyspark(conn, sql: str, size: int):
    yield from in_batches(map(tuple, conn.backend._session.sql(sql).toLocalIterator()), size)


_READERS = {"duckdb": _duckdb, "postgres": _postgres, "mysql": _mysql, "pyspark": _pyspark}
