"""Strings -> numbers and dates, vectorised (pyarrow first, slower cleaning only where needed)."""

from __future__ import annotations

import contextlib
import contextvars
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow

# ---------------------------------------------------------------- decisions

# What a column's parse decided from all its values (a fast path, the decimal separator, the
# day/month order...). A file read in batches counts only when every batch decided alike:
# then the whole file would have decided the same (ingest.streamed).
_DECISIONS: contextvars.ContextVar[list | None] = contextvars.ContextVar("decisions", default=None)


@contextlib.contextmanager
def recording():
    """Collect the decisions of the parses inside the block, in order, into the list given."""
    out: list = []
    token = _DECISIONS.set(out)
    try:
        yield out
    finally:
        _DECISIONS.reset(token)


def _decided(*what) -> None:
    rec = _DECISIONS.get()
    if rec is not None:
        rec.append(what)


# ---------------------------------------------------------------- amounts

SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "US$": "USD", "C$": "CAD", "A$": "AUD", "CHF": "CHF"}
DOLLARS = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "NAD", "JMD", "BSD", "BBD"}

_CUR = r"(?:[A-Za-z]{3}|US\$|C\$|A\$|[$€£¥])"
_SEP_CHARS = " '\u00a0\u202f\u2009\u2019"
# an amount as written: optional sign / parentheses / currency on either side
_AMOUNT_RE = (
    r"^\(?\s*[-+]?\s*(?P<c1>" + _CUR + r")?\s*[-+]?\s*"
    r"(?P<num>\d[\d.," + _SEP_CHARS + r"]*|[.,]\d+)"
    r"\s*(?P<c2>" + _CUR + r")?\s*-?\s*\)?$"
)


def _one_chunk(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _sample(arr: pa.Array, n: int = 1000) -> pa.Array:
    """A few values from the start, middle and end (a failing cast on 10M rows costs seconds)."""
    if len(arr) <= 3 * n:
        return arr
    mid = len(arr) // 2
    return pa.concat_arrays([arr.slice(0, n), arr.slice(mid, n), arr.slice(len(arr) - n, n)])


def _try_cast(arr: pa.Array, typ) -> pa.Array | None:
    """`arr` cast to `typ`, or None when some value does not convert (sample checked first)."""
    try:
        pc.cast(_sample(arr), typ)
        return pc.cast(arr, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _mostly_distinct(arr: pa.Array) -> bool:
    """True when encoding distinct values would not save work (e.g. timestamps to the second)."""
    smp = _sample(arr, 60000)
    return len(smp) > 1000 and pc.count_distinct(smp).as_py() > 0.5 * len(smp)


def _nan_to_null(x: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_nan(x), arrow.scalar(None, pa.float64()), x)


def _to_float(s: pa.Array, valid) -> pa.Array:
    s = pc.if_else(valid, s, arrow.scalar(None, pa.string()))
    return pc.cast(s, pa.float64())


def _decide_decimal(own: pa.Array) -> str:
    """'.' or ',' for the column: the majority of the values that show it unambiguously."""
    comma = pc.sum(pc.cast(arrow.fill_null(own, False), pa.int64())).as_py() or 0
    dot = pc.sum(pc.cast(arrow.fill_null(pc.invert(own), False), pa.int64())).as_py() or 0
    return "," if comma > dot else "."


def _own_decimal_is_comma(num: pa.Array) -> pa.Array:
    """True / False where a value shows its decimal separator, null where it is ambiguous."""
    has_dot = arrow.fill_null(pc.match_substring(num, "."), False)
    has_com = arrow.fill_null(pc.match_substring(num, ","), False)
    last_com = arrow.fill_null(pc.match_substring_regex(num, r",\d*$"), False)
    multi_dot = arrow.fill_null(pc.match_substring_regex(num, r"\..*\."), False)
    multi_com = arrow.fill_null(pc.match_substring_regex(num, r",.*,"), False)
    amb = arrow.fill_null(pc.match_substring_regex(num, r"^\d{1,3}[.,]\d{3}$"), False)
    none = arrow.scalar(None, pa.bool_())
    out = pc.if_else(amb, none, pc.if_else(has_dot, arrow.scalar(False), pc.if_else(has_com, arrow.scalar(True), none)))
    out = pc.if_else(pc.and_(has_dot, has_com), last_com, out)
    out = pc.if_else(pc.and_(multi_dot, pc.invert(has_com)), arrow.scalar(True), out)
    return pc.if_else(pc.and_(multi_com, pc.invert(has_dot)), arrow.scalar(False), out)


def _symbol_currency(sym: pa.Array, dollar: str) -> pa.Array:
    enc = pc.dictionary_encode(sym)
    codes = [None if not v else dollar if v == "$" else SYMBOLS.get(v, v.upper()) for v in enc.dictionary.to_pylist()]
    return pc.take(arrow.strings(codes), enc.indices)


def _parse_unique(vals: pa.Array, decimal: str | None, dollar: str):
    """The slow path on distinct values: returns (float64 array, currency array)."""
    s = pc.utf8_trim_whitespace(vals)
    m = pc.extract_regex(s, _AMOUNT_RE)  # null where the shape is wrong
    valid = pc.is_valid(m)
    num = pc.struct_field(m, "num")
    for ch in _SEP_CHARS:
        num = pc.replace_substring(num, ch, "")
    if decimal:
        use_com = arrow.array(np.full(len(num), decimal == ","))
    else:  # a value that names its decimal itself keeps it; ambiguous ones follow the column
        own = _own_decimal_is_comma(num)
        decimal = _decide_decimal(own)
        use_com = arrow.fill_null(own, decimal == ",")
    _decided("decimal", decimal)
    as_dot = pc.replace_substring(num, ",", "")
    as_com = pc.replace_substring(pc.replace_substring(num, ".", ""), ",", ".")
    cand = pc.if_else(use_com, as_com, as_dot)
    ok = pc.and_(valid, arrow.fill_null(pc.match_substring_regex(cand, r"^(\d+\.?\d*|\.\d+)$"), False))
    val = _to_float(cand, ok)
    neg = arrow.fill_null(pc.match_substring_regex(s, r"-|^\(.*\)$"), False)
    val = pc.if_else(neg, pc.negate(val), val)
    c1, c2 = pc.struct_field(m, "c1"), pc.struct_field(m, "c2")
    sym = pc.if_else(pc.greater(pc.utf8_length(arrow.fill_null(c1, "")), arrow.scalar(0)), c1, c2)
    sym = pc.if_else(valid, sym, arrow.scalar(None, pa.string()))
    return val, _symbol_currency(sym, dollar)


def parse_amounts(arr, decimal: str | None = None, dollar: str = "USD"):
    """Amount strings -> (float64, null = unreadable; currency from symbols or None).

    Handles 1234.56, 1,234.56, 1.234,56, 1 234,56, 1'234.56, $22.50, -$0.95, $-0.95,
    12,50 €, EUR 12.50, (12.50), 12.50-. The decimal separator is decided per column
    (a value with both '.' and ',' names it; ambiguous `1,234` follows the column majority);
    `decimal` overrides. `dollar` is the code a bare `$` stands for.
    """
    arr = _one_chunk(arr)
    if decimal in (None, "."):
        fast = _try_cast(arr, pa.float64())
        if fast is not None:
            _decided("amount", "number")
            return _nan_to_null(fast), None
    _decided("amount", "text")
    if _mostly_distinct(arr):
        vals, cur = _parse_unique(arr, decimal, dollar)
        return vals, (cur if cur.null_count < len(cur) else None)
    enc = pc.dictionary_encode(arr)
    vals, cur = _parse_unique(enc.dictionary, decimal, dollar)
    out = pc.take(vals, enc.indices)
    currency = pc.take(cur, enc.indices) if cur.null_count < len(cur) else None
    return out, currency


# ---------------------------------------------------------------- dates

_MONTHS = {
    1: ["january", "jan", "janvier", "janv", "januar", "jänner", "janner", "enero", "ene"],
    2: ["february", "feb", "février", "fevrier", "févr", "fevr", "fév", "fev", "februar", "febrero"],
    3: ["march", "mar", "mars", "märz", "marz", "maerz", "mär", "marzo"],
    4: ["april", "apr", "avril", "avr", "abril", "abr"],
    5: ["may", "mai", "mayo"],
    6: ["june", "jun", "juin", "juni", "junio"],
    7: ["july", "jul", "juillet", "juil", "juli", "julio"],
    8: ["august", "aug", "août", "aout", "agosto", "ago"],
    9: ["september", "sept", "sep", "septembre", "septiembre", "setiembre"],
    10: ["october", "oct", "octobre", "oktober", "okt", "octubre"],
    11: ["november", "nov", "novembre", "noviembre"],
    12: ["december", "dec", "décembre", "decembre", "déc", "dezember", "dez", "diciembre", "dic"],
}
_MONTH_WORD = {w: m for m, ws in _MONTHS.items() for w in ws}
_MONTH_RE = re.compile(
    r"(?<![a-zäéû])(" + "|".join(sorted(map(re.escape, _MONTH_WORD), key=len, reverse=True)) + r")\.?(?![a-zäéû])"
)
_EN = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WEEKDAYS = re.compile(
    r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|\b(lun|mar|mer|jeu|ven|sam|dim)[a-z]*\.,?"
    r"|\b(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag),?"
    r"|\b(lunes|martes|miércoles|jueves|viernes|sábado|domingo),?"
)

_OFFSET_RE = r"(?:Z|[ ]?(?:UTC|GMT)|[ ]?[+-]\d{2}:?\d{2})$"
_ISO_RE = r"^\d{4}-\d{2}-\d{2}"
_NUM_RE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:$|[ T,])"


def _pd():
    """pandas, imported only for the rare values pyarrow cannot read (an import of ~0.5 s)."""
    import pandas

    return pandas


def _dates_from_ts(ts) -> pa.Array:
    return pa.array(ts.dt.date, pa.date32(), from_pandas=True)


def _iso_dates(s: pa.Array) -> pa.Array:
    head = pc.utf8_slice_codeunits(s, 0, 10)
    try:
        return pc.cast(head, pa.date32())
    except pa.ArrowInvalid:  # e.g. 2026-02-30
        pd = _pd()
        return _dates_from_ts(pd.to_datetime(pd.Series(head.to_pylist(), dtype=object), format="%Y-%m-%d", errors="coerce"))


def _may_have_offsets(s: pa.Array) -> bool:
    """Cheap test (no regex) for values that might end in a UTC offset."""
    tail = pc.utf8_slice_codeunits(s, 10)
    return any(pc.any(x).as_py() for x in (
        pc.ends_with(s, "Z"), pc.match_substring(tail, "+"), pc.match_substring(tail, "-"),
        pc.match_substring(tail, "UTC"), pc.match_substring(tail, "GMT")))


def _iso_with_tz(s: pa.Array, timezone: str, plain: pa.Array | None = None) -> pa.Array:
    """ISO strings -> dates; those carrying an offset are converted to `timezone` first."""
    if plain is None:
        plain = _iso_dates(s)
    every = _try_cast(s, pa.timestamp("us", tz="UTC"))  # works when every value has an offset
    if every is not None:
        _decided("offsets", "all")
        return pc.cast(pc.cast(every, pa.timestamp("us", tz=timezone)), pa.date32())
    if not _may_have_offsets(s):
        _decided("offsets", "none")
        return plain
    has_off = arrow.fill_null(pc.match_substring_regex(s, _OFFSET_RE), False)
    _decided("offsets", "some")
    if not pc.any(has_off).as_py():
        return plain
    t = pc.if_else(has_off, s, arrow.scalar(None, pa.string()))
    if pc.any(pc.match_substring_regex(t, "UTC|GMT")).as_py():
        t = pc.replace_substring_regex(t, r"[ ]?(UTC|GMT)$", "Z")
    if pc.any(pc.match_substring_regex(t, r" [+-]\d")).as_py():
        t = pc.replace_substring_regex(t, r"[ ]([+-]\d{2}:?\d{2})$", r"\1")
    try:
        ts = pc.cast(t, pa.timestamp("us", tz="UTC"))
        conv = pc.cast(pc.cast(ts, pa.timestamp("us", tz=timezone)), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # odd values: pandas, which coerces
        pd = _pd()
        ser = pd.Series(t.to_pylist(), dtype=object)
        tsp = pd.to_datetime(ser, format="ISO8601", utc=True, errors="coerce").dt.tz_convert(timezone)
        conv = _dates_from_ts(tsp)
    return pc.if_else(has_off, conv, plain)


_TIME_TAIL = r"(?i)[ T,]+\d{1,2}[:h.]\d{2}.*$"


def _numeric_order(s: pa.Array, date_order: str | None, notes: list | None) -> str:
    order, why = _order_of(s, date_order, notes)
    _decided("order", order, why)
    return order


def _order_of(s: pa.Array, date_order: str | None, notes: list | None) -> tuple[str, str]:
    parts = pc.extract_regex(s, r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-]")
    a = pc.cast(pc.struct_field(parts, "a"), pa.int32())
    b = pc.cast(pc.struct_field(parts, "b"), pa.int32())
    a_big = pc.any(pc.greater(a, arrow.scalar(12))).as_py()
    b_big = pc.any(pc.greater(b, arrow.scalar(12))).as_py()
    if a_big and not b_big:
        return "dmy", "values"
    if b_big and not a_big:
        return "mdy", "values"
    if date_order in ("dmy", "mdy"):
        return date_order, "setting"
    if not pc.any(pc.match_substring_regex(s, r"^\d{1,2}[/-]")).as_py():
        return "dmy", "dots"  # dd.mm.yyyy: nobody writes the month first with dots
    if notes is not None:
        notes.append("day/month order is ambiguous in every date; read as dd/mm/yyyy (set date_order)")
    return "dmy", "ambiguous"


def _words_to_iso(v: str, dayfirst: bool) -> str | None:
    """A date written with a month name (en/fr/de/es) -> a string dateutil reads reliably."""
    t = unicodedata.normalize("NFC", v).lower()
    t = _WEEKDAYS.sub(" ", t)
    t = re.sub(r"\bde(l)?\b", " ", t)  # 5 de enero de 2026
    t = re.sub(r"(\d)(st|nd|rd|th|er|ème|e)\b", r"\1", t)
    t = re.sub(r"\b(\d{1,2})\.(?=\s)", r"\1 ", t)  # 5. März
    m = _MONTH_RE.search(t)
    if not m:
        return None
    t = t[: m.start()] + " " + _EN[_MONTH_WORD[m.group(1)]] + " " + t[m.end():]
    return re.sub(r"[\s,]+", " ", t).strip()


def _parse_words(vals: list, timezone: str | None) -> list:
    from dateutil import parser as du

    out = []
    for v in vals:
        t = _words_to_iso(v, True) if v else None
        d = None
        if t:
            try:
                x = du.parse(t, ignoretz=timezone is None)
                if timezone and x.tzinfo is not None:
                    x = _pd().Timestamp(x).tz_convert(timezone)
                d = x.date()
            except Exception:  # noqa: BLE001 - an odd string is an unreadable date, never a crash
                d = None
        out.append(d)
    return out


def _parse_unique_dates(s: pa.Array, date_order, timezone, notes) -> pa.Array:
    """Distinct trimmed strings -> date32, detecting the format from the values."""
    n = len(s)
    result = pa.nulls(n, pa.date32())
    todo = pc.is_valid(s)

    def fill(mask, values):
        nonlocal result, todo
        mask = arrow.fill_null(mask, False)
        result = pc.if_else(mask, values, result)
        todo = pc.and_(todo, pc.invert(mask))

    iso = arrow.fill_null(pc.match_substring_regex(s, _ISO_RE), False)
    if pc.any(iso).as_py():
        sub = pc.if_else(iso, s, arrow.scalar(None, pa.string()))
        fill(iso, _iso_with_tz(sub, timezone) if timezone else _iso_dates(sub))

    ymd_sl = pc.and_(todo, arrow.fill_null(pc.match_substring_regex(s, r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"), False))
    if pc.any(ymd_sl).as_py():
        head = pc.extract_regex(s, r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
        fill(ymd_sl, _from_parts(head, "y", "m", "d", ymd_sl))

    numeric = pc.and_(todo, arrow.fill_null(pc.match_substring_regex(s, _NUM_RE), False))
    if pc.any(numeric).as_py():
        sub = pc.filter(s, numeric)
        order = _numeric_order(sub, date_order, notes)
        head = pc.extract_regex(s, r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})")
        d, m = ("a", "b") if order == "dmy" else ("b", "a")
        fill(numeric, _from_parts(head, "y", m, d, numeric))

    compact = pc.and_(todo, arrow.fill_null(pc.match_substring_regex(s, r"^(19|20)\d{6}$"), False))
    if pc.any(compact).as_py():
        head = pc.extract_regex(s, r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
        fill(compact, _from_parts(head, "y", "m", "d", compact))

    serial = pc.and_(todo, arrow.fill_null(pc.match_substring_regex(s, r"^\d{5}(\.\d+)?$"), False))
    if pc.any(serial).as_py():
        x = pc.cast(pc.if_else(serial, s, arrow.scalar(None, pa.string())), pa.float64())
        ok = pc.and_(serial, pc.and_(pc.greater_equal(x, arrow.scalar(20000)), pc.less(x, arrow.scalar(80000))))
        days = pc.cast(pc.floor(pc.if_else(ok, x, arrow.scalar(None, pa.float64()))), pa.int64())
        days = pc.subtract(days, arrow.scalar(25569))  # 1899-12-30 -> 1970-01-01
        fill(ok, pc.cast(pc.cast(days, pa.int32()), pa.date32()))

    words = pc.and_(todo, arrow.fill_null(pc.match_substring_regex(s, r"[A-Za-zÀ-ÿ]{3}"), False))
    if pc.any(words).as_py():
        sub = pc.if_else(words, s, arrow.scalar(None, pa.string())).to_pylist()
        vals = _parse_words([v if v is not None else None for v in sub], timezone)
        fill(words, arrow.dates(vals))
    return result


def _from_parts(parts, yk, mk, dk, mask) -> pa.Array:
    y = pc.cast(pc.struct_field(parts, yk), pa.int32())
    y = pc.if_else(pc.less(y, arrow.scalar(100)), pc.add(y, arrow.scalar(2000)), y)
    m = pc.cast(pc.struct_field(parts, mk), pa.int32())
    d = pc.cast(pc.struct_field(parts, dk), pa.int32())
    y, m, d = (np.asarray(arrow.to_numpy(arrow.fill_null(a, 0)), np.int64) for a in (y, m, d))
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = _MONTH_DAYS[np.clip(m, 0, 13)] + ((m == 2) & leap)
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)  # 2026-02-30: unreadable
    days = _days_from_civil(y, np.where(ok, m, 1), np.where(ok, d, 1))
    out = arrow.array(days.astype(np.int32), mask=~ok).cast(pa.date32())
    return pc.if_else(mask, out, arrow.scalar(None, pa.date32()))


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0])


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid (year, month, day) (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def parse_dates(arr, date_order: str | None = None, timezone: str | None = None, fmt: str | None = None,
                notes: list | None = None) -> pa.Array:
    """Date strings -> date32 (null = unreadable): the wall-clock date as written.

    With `timezone`, values that carry an offset (Z, +01:00, -0500, UTC) are converted to it
    first. dd/mm vs mm/dd is decided per column from the values; `date_order` settles the
    truly ambiguous case (default dmy, with a note appended to `notes`).
    """
    arr = _one_chunk(arr)
    if fmt:
        pd = _pd()
        enc = pc.dictionary_encode(arr)
        ser = pd.Series(pc.utf8_trim_whitespace(enc.dictionary).to_pylist(), dtype=object)
        ts = pd.to_datetime(ser, format=fmt, errors="coerce")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert(timezone) if timezone else ts.dt.tz_localize(None)
        return pc.take(_dates_from_ts(ts), enc.indices)
    # fast path: ISO dates, with or without time / offset
    dates = _try_cast(pc.utf8_slice_codeunits(arr, 0, 10), pa.date32())
    _decided("iso dates", dates is not None)
    if dates is not None:
        return _iso_with_tz(arr, timezone, dates) if timezone else dates
    if not timezone and _mostly_distinct(arr):  # times make values distinct: the date part is enough
        _decided("times cut")
        arr = pc.replace_substring_regex(arr, _TIME_TAIL, "")
    if _mostly_distinct(arr):
        uniq = pc.utf8_trim_whitespace(arr)
        uniq = pc.if_else(pc.equal(uniq, arrow.scalar("")), arrow.scalar(None, pa.string()), uniq)
        return _parse_unique_dates(uniq, date_order, timezone, notes)
    enc = pc.dictionary_encode(arr)
    uniq = pc.utf8_trim_whitespace(enc.dictionary)
    uniq = pc.if_else(pc.equal(uniq, arrow.scalar("")), arrow.scalar(None, pa.string()), uniq)
    return pc.take(_parse_unique_dates(uniq, date_order, timezone, notes), enc.indices)
