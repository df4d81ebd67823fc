"""One reader per kind of content: {kind: reader}; archives come back here for their members."""

from __future__ import annotations

import os
from pathlib import Path

from kpi_tui.ingest.readers import archives, columnar, delimited, excel, jsonfile, sniff
from kpi_tui.ingest.readers.base import MAX_JSON, RawTable, _Budget, _read_bytes, _size
from kpi_tui.ingest.schema import UnusableFile


def _csv(name, fname, path, data, head, budget) -> list[RawTable]:
    return [delimited._read_delimited(name, path, data, head)]


def _parquet(name, fname, path, data, head, budget) -> list[RawTable]:
    return [columnar._read_arrow_file(name, path, data, parquet=True)]


def _arrow(name, fname, path, data, head, budget) -> list[RawTable]:
    return [columnar._read_arrow_file(name, path, data, parquet=False)]


def _json(name, fname, path, data, head, budget, lines=False) -> list[RawTable]:
    size = len(data) if path is None else os.path.getsize(path)
    if size > MAX_JSON:
        raise UnusableFile(f"{name} is {_size(size)} of JSON, more than kpi-tui reads at once "
                           f"({_size(MAX_JSON)}); export it as CSV to use it.")
    return [jsonfile._read_json(name, _read_bytes(path, data), lines=lines)]


def _jsonl(name, fname, path, data, head, budget) -> list[RawTable]:
    return _json(name, fname, path, data, head, budget, lines=True)


def _zip(name, fname, path, data, head, budget) -> list[RawTable]:
    return archives._read_zip(name, path, data, budget)


def _markup(name, *_args) -> list[RawTable]:
    raise UnusableFile(
        f"{name} is a web page or XML document, not a table; save it as .xlsx or .csv to use it."
    )


def _binary(name, *_args) -> list[RawTable]:
    raise UnusableFile(f"{name} is not a table file that kpi-tui can read (binary content).")


READERS = {
    "csv": _csv, "excel": excel._read_excel, "parquet": _parquet, "arrow": _arrow,
    "json": _json, "jsonl": _jsonl, "gzip": archives._read_gzip, "zip": _zip,
    "markup": _markup, "binary": _binary,
}  # fmt: skip


def read_content(name: str, fname: str, path: Path | None, data, head: bytes,
                 budget: _Budget) -> list[RawTable]:
    """The tables of one file's content (`path`, or `data` in memory), by what it holds."""
    reader = READERS.get(sniff._kind(fname, head), _binary)
    return reader(name, fname, path, data, head, budget)
