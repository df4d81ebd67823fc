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
    bad = 0
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
        records, bad, deep_lines = _lines(text)
        if not records and deep_lines:
            raise UnusableFile(f"{name} is JSON nested too deeply to be a table.")
        if not records:
            raise UnusableFile(f"{name} holds no valid JSON line.")
    flat, bad, deep = _flat(records, bad)
    if not flat and deep:
        raise UnusableFile(f"{name}: its records are nested more than {MAX_DEPTH} levels deep.")
    if not flat and bad:
        raise UnusableFile(f"{name} holds no JSON objects (records).")
    return RawTable(name, _table(flat), bad_rows=bad)


def _lines(text: str) -> tuple[list, int, bool]:
    """(records, lines not JSON, whether one was nested too deeply) of JSON Lines text."""
    records, bad, deep = [], 0, False
    for ln in text.splitlines():
        if ln.strip():
            try:
                records.append(json.loads(ln))
            except json.JSONDecodeError:
                bad += 1
            except RecursionError:
                bad, deep = bad + 1, True
    return records, bad, deep


def _flat(records: list, bad: int) -> tuple[list, int, int]:
    """(flattened objects, + records that are not objects or too deep, of them too deep)."""
    flat, deep = [], 0
    for rec in records:
        try:
            if isinstance(rec, dict):
                flat.append(_flatten(rec, "", {}))
            else:
                bad += 1
        except _TooDeep:
            bad, deep = bad + 1, deep + 1
    return flat, bad, deep


def _table(flat: list) -> pa.Table:
    keys = list(dict.fromkeys(k for rec in flat for k in rec))
    # a key that is an object in some records and null in others: keep only its flattened fields
    keys = [k for k in keys if not (any(o.startswith(k + ".") for o in keys) and all(r.get(k) is None for r in flat))]
    cols = [arrow.strings([rec.get(k) for rec in flat]) for k in keys]
    return _finish(keys, cols)


# encodings in which the byte 0x0A is a newline and nothing else (blocks cut there decode alone)
_CUTTABLE = frozenset({"utf-8", "utf-8-sig", "ascii", "cp1252"})


def stream_json_lines(name: str, path, head: bytes, block: int, lines: bool = True):
    """Raw tables of a large JSON Lines file, one per `block` bytes cut at a newline; the last
    value sent back is the count of lines that are not records. Raises Unsteady where only a
    whole read decides (an encoding cut at newlines does not decode, a JSON document that is
    not one object a line, a line longer than 4 blocks). `lines`: named as JSON Lines (else
    JSON that holds several documents, one a line, as `_read_json` finds them)."""
    from kpi_tui.ingest.readers.delimited import Unsteady

    enc = _encoding(head, complete=False)
    if enc not in _CUTTABLE:
        raise Unsteady(f"{enc} text")
    bad, carry, first = 0, b"", True
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(block)
            data = carry + chunk
            if not data:
                return bad
            cut = data.rfind(b"\n") if chunk else len(data) - 1
            if cut < 0:
                if len(data) > 4 * block:
                    raise Unsteady("a line longer than 4 blocks")
                carry = data
                continue
            carry, data = data[cut + 1:], data[:cut + 1]
            text = data.decode(enc, "replace")
            if first:
                text, first = text.lstrip("\ufeff"), False
                if not (lines or _one_object_a_line(text)):
                    raise Unsteady("not JSON Lines")
            records, n, _deep = _lines(text)
            flat, bad, _deep = _flat(records, bad + n)
            if flat:
                yield RawTable(name, _table(flat))
            if not chunk:
                return bad


def _one_object_a_line(text: str) -> bool:
    """Whether the text starts as JSON Lines do (what `_read_json` finds by 'Extra data')."""
    lines = iter(ln for ln in text.splitlines() if ln.strip())
    try:
        return isinstance(json.loads(next(lines)), dict) and next(lines, None) is not None
    except (StopIteration, ValueError, RecursionError):
        return False
