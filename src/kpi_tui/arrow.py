"""Arrow arrays and scalars to and from numpy without importing pandas (issue 12).

pyarrow imports pandas (~0.2 s of a 0.4 s report) the first time `pa.array`, `pa.scalar` or
`pa.table` see anything that is not Arrow (a numpy array, a list, a str: it asks pandas whether
it is a Series), so on every compute function given a Python value (`pc.equal(a, "")`,
`pc.fill_null(a, 0)`: a `pa.scalar` inside), on `to_numpy()` (its pandas conversion code) and on
importing `pyarrow.acero` (group_by). These do the same from buffers; pandas stays importable
for whoever needs it later.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EPOCH = 719163  # date(1970, 1, 1).toordinal()
_INFER = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


def array(a: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """`pa.array(a, mask=mask)` of a 1-d numpy array of bool or numbers (mask True: null)."""
    a = np.ascontiguousarray(a)
    bits = None if mask is None or not mask.any() else _bits(~np.asarray(mask, bool))
    if a.dtype == bool:
        return pa.Array.from_buffers(pa.bool_(), len(a), [bits, _bits(a)])
    return pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), len(a), [bits, pa.py_buffer(a)])


def _bits(a: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(a, bitorder="little"))


def strings(values, type=None) -> pa.Array:
    """`pa.array(values, type or pa.string())` of Python str and None."""
    values = values if isinstance(values, list) else list(values)
    n, bits = len(values), None
    try:
        text = "".join(values)
    except TypeError:  # nulls (or values pyarrow converts, or refuses, itself)
        if not all(v is None or isinstance(v, str) for v in values):
            return pa.array(values, type or pa.string())
        valid = np.fromiter((v is not None for v in values), bool, n)
        bits = None if valid.all() else _bits(valid)
        values = [v if v is not None else "" for v in values]
        text = "".join(values)
    if text.isascii():  # one encode of everything: a character is a byte
        data = text.encode()
        sizes = np.fromiter(map(len, values), np.int64, n)
    else:
        enc = [v.encode() for v in values]
        data = b"".join(enc)
        sizes = np.fromiter(map(len, enc), np.int64, n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    big = len(data) >= 2**31
    out = pa.Array.from_buffers(pa.large_string() if big else pa.string(), n,
                                [bits, pa.py_buffer(offsets if big else offsets.astype(np.int32)),
                                 pa.py_buffer(data)])
    want = type or pa.string()
    return out if out.type == want else out.cast(want)


def dates(values) -> pa.Array:
    """`pa.array(values, pa.date32())` of datetime.date and None."""
    values = list(values)
    null = np.fromiter((v is None for v in values), bool, len(values))
    days = np.fromiter((0 if v is None else v.toordinal() - _EPOCH for v in values), np.int32,
                       len(values))
    return array(days, mask=null).cast(pa.date32())


@lru_cache(maxsize=256, typed=True)
def scalar(value, type: pa.DataType | None = None) -> pa.Scalar:
    """`pa.scalar(value, type)` of None, a bool, int, float or str."""
    if isinstance(value, np.generic):
        value = value.item()
    if type is None:
        type = _INFER[builtins_type(value)]
    if value is None:
        return pa.nulls(1, type)[0]
    if isinstance(value, str):
        arr = strings([value])
    else:
        arr = array(np.array([value], {bool: bool, int: np.int64, float: np.float64}[
            builtins_type(value)]))
    return (arr if arr.type == type else arr.cast(type))[0]


def builtins_type(value) -> type:
    for t in (bool, int, float, str):  # bool first: True is an int too
        if isinstance(value, t):
            return t
    raise TypeError(f"no Arrow scalar for {value!r}")


def fill_null(values, fill):
    """`pc.fill_null(values, fill)` with `fill` a Python value (of the values' type)."""
    return pc.fill_null(values, scalar(fill, values.type))


def to_numpy(a) -> np.ndarray:
    """`a.to_numpy(zero_copy_only=False)` of an Array or ChunkedArray: numbers and bools (nulls:
    NaN, in floats), dates, strings; other types go through pyarrow's own (pandas)."""
    if isinstance(a, pa.ChunkedArray):
        if a.num_chunks == 1:
            return to_numpy(a.chunk(0))
        if a.num_chunks == 0:
            return to_numpy(pa.nulls(0, a.type))
        return np.concatenate([to_numpy(c) for c in a.chunks])
    t, n = a.type, len(a)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = np.empty(n, object)
        out[:] = a.to_pylist()
        return out
    if pa.types.is_dictionary(t) and not a.null_count:
        return to_numpy(a.dictionary)[to_numpy(a.indices)]
    dtype = _DTYPES.get(t.id)
    if dtype is None or (a.null_count and (t.id == _BOOL or n == 0)):
        return a.to_numpy(zero_copy_only=False)
    buf = a.buffers()[1]
    if t.id == _BOOL:
        bits = np.frombuffer(buf, np.uint8) if buf is not None else np.zeros(0, np.uint8)
        return np.unpackbits(bits, count=a.offset + n, bitorder="little")[a.offset:].view(bool)
    out = np.frombuffer(buf, dtype, n, a.offset * dtype.itemsize) if n else np.empty(0, dtype)
    if pa.types.is_date32(t):
        out = out.astype("datetime64[D]")
    if a.null_count:  # pyarrow's: integers become floats, NaN (dates NaT) where null
        null = to_numpy(a.is_null())
        out = out.astype(np.float64) if out.dtype.kind in "iu" else out.copy()
        out[null] = np.datetime64("NaT") if out.dtype.kind == "M" else np.nan
    return out


_BOOL = pa.bool_().id
_DTYPES = {pa.from_numpy_dtype(d).id: np.dtype(d) for d in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float32, np.float64, bool)}
_DTYPES[pa.date32().id] = np.dtype(np.int32)
