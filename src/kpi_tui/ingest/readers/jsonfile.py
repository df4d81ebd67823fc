"""JSON (a list of records, or an object holding one) and JSON Lines; nesting is limited."""

from __future__ import annotations

import json

import pyarrow as pa

from kpi_tui import arrow
from kpi_tui.ingest.readers.base import SAMPLE, RawTable, _finish, _json_cell
from kpi_tui.ingest.readers.sniff import _encoding
from kpi_tui.ingest.schema import UnusableFile

MAX_DEPTH = 64  # JSON objects nested deeper than this are not records of a table


class _TooDeep(Exception):
    """A record nested deeper than MAX_DEPTH: skipped, never a RecursionError."""


def _flatten(obj: dict, prefix: str, out: dict, depth: int = 0) -> dict:
    # pandas.json_normalize would turn int columns with gaps into floats ("12.0"): flatten here.
    if depth > MAX_DEPTH:
        raise _TooDeep
    for key, v in obj.items():
        k = f"{prefix}{key}"
        if isinstance(v, dict) and v:
            _flatten(v, k + ".", out, depth + 1)
        else:
            try:
                out[k] = _json_cell(v)
            except RecursionError:  # a list nested deeper than Python can dump
                raise _TooDeep from None
    return out


def _records(doc, name: str) -> list:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list) and any(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
        if len(lists) > 1:
            raise UnusableFile(f"{name} holds several lists of records; kpi-tui cannot tell which to use.")
    raise UnusableFile(f"{name} is JSON but does not hold a list of records.")


def _read_json(name: str, raw, lines: bool) -> RawTable:
    raw = bytes(raw)
    text = raw.decode(_encoding(raw[:SAMPLE] if len(raw) > SAMPLE else raw, complete=len(raw) <= SAMPLE), "replace")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise UnusableFile(f"{name} is empty.")
    bad, deep_lines = 0, False
    if not lines:
        try:
            records = _records(json.loads(text), name)
        except RecursionError:
            raise UnusableFile(f"{name} is JSON nested too deeply to be a table.") from None
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":  # several documents: JSON Lines named .json
                raise UnusableFile(f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
            lines = True
    if lines:
        records = []
        for ln in text.splitlines():
            if ln.strip():
                try:
                    records.append(json.loads(ln))
                except json.JSONDecodeError:
                    bad += 1
                except RecursionError:
                    bad, deep_lines = bad + 1, True
        if not records and deep_lines:
            raise UnusableFile(f"{name} is JSON nested too deeply to be a table.")
        if not records:
            raise UnusableFile(f"{name} holds no valid JSON line.")
    flat, deep = [], 0
    for rec in records:
        try:
            if isinstance(rec, dict):
                flat.append(_flatten(rec, "", {}))
            else:
                bad += 1
        except _TooDeep:
            bad, deep = bad + 1, deep + 1
    if not flat and deep:
        raise UnusableFile(f"{name}: its records are nested more than {MAX_DEPTH} levels deep.")
    if not flat and bad:
        raise UnusableFile(f"{name} holds no JSON objects (records).")
    keys = list(dict.fromkeys(k for rec in flat for k in rec))
    # a key that is an object in some records and null in others: keep only its flattened fields
    keys = [k for k in keys if not (any(o.startswith(k + ".") for o in keys) and all(r.get(k) is None for r in flat))]
    cols = [arrow.strings([rec.get(k) for rec in flat]) for k in keys]
    return RawTable(name, _finish(keys, cols), bad_rows=bad)
