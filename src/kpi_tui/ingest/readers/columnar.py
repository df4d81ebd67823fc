"""Parquet and Arrow/Feather files: every column cast to strings as the other readers give."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.readers.base import RawTable, _finish, _json_cell
from kpi_tui.ingest.schema import UnusableFile


def _read_arrow_file(name: str, path: Path | None, data, parquet: bool) -> RawTable:
    source = str(path) if path is not None else pa.BufferReader(pa.py_buffer(data))
    try:
        if parquet:
            import pyarrow.parquet as pq

            table = pq.ParquetFile(source).read()  # (read_table: pyarrow.dataset, pandas)
        else:
            import pyarrow.feather as feather

            try:
                table = feather.read_table(source)
            except (pa.ArrowInvalid, OSError):
                if path is None:
                    source = pa.BufferReader(pa.py_buffer(data))
                table = pa.ipc.open_stream(source).read_all()
    except (pa.ArrowException, OSError, ValueError):
        kind = "Parquet" if parquet else "Arrow/Feather"
        raise UnusableFile(f"{name} is not a valid {kind} file (it may be damaged).") from None
    return _as_text(name, table)


def _as_text(name: str, table: pa.Table) -> RawTable:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    cols = [_to_string(col) for col in table.columns]
    return RawTable(name, _finish(table.column_names, cols))


def stream_parquet(name: str, path: Path, rows: int):
    """Raw tables of a Parquet file, `rows` at a time (a row group is read at once)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(str(path)) as f:
        for batch in f.iter_batches(batch_size=rows):
            if batch.num_rows:
                yield _as_text(name, pa.Table.from_batches([batch]))
    return 0  # no malformed rows in Parquet


def _to_string(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_timestamp(t):
        col = col.cast(pa.timestamp("s", t.tz), safe=False)  # whole seconds: no ".000000"
        if t.tz:
            out = pc.strftime(col, format="%Y-%m-%d %H:%M:%S%z")
            return pc.replace_substring_regex(out, r"([+-]\d\d)(\d\d)$", r"\1:\2")
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_date64(t):
        col = col.cast(pa.date32())
    if pa.types.is_floating(t):
        col = pc.round(col.cast(pa.float64()), 10)
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(col), pa.string())])
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals = [v if v is None or isinstance(v, str) else _json_cell(v) for v in col.to_pylist()]
        return pa.chunked_array([arrow.strings(vals)])
