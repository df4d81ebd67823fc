"""Text from data (file names, customer ids, currency codes, messages) made safe to show.

`text()` replaces every C0/C1 control character, bidi override and undecodable byte of a
file name (os.fsdecode's surrogates) by a visible escape: `\\x1b`, `\\n`, `\\xe4`. A newline in
a name can then never forge an output line, nor an escape sequence reach the terminal.
`markup()` also escapes Textual/Rich markup, `[$variable]` included.
"""

from __future__ import annotations

import os
import re

# C0 (tab and newline too), DEL, C1, bidi overrides/isolates, line/paragraph separators,
# and the lone surrogates os.fsdecode makes of bytes that are not UTF-8.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def text(value) -> str:
    """`value` as one line of printable text (paths: their name as the OS gave it)."""
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    s = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def lines(value) -> str:
    """Like text(), but keeps newlines (a message of several lines written by kpi-tui)."""
    return "\n".join(text(part) for part in str(value).split("\n"))


def markup(value) -> str:
    """text() with Rich/Textual markup escaped: `[b]`, `[$var]` and `[@click]` show literally."""
    s = text(value)
    return s.replace("[", "\\[") if "[" in s else s


def name(path) -> str:
    """A path's last component, safe to show."""
    return text(os.path.basename(os.fspath(path)) or os.fspath(path))


def encode(s: str) -> bytes:
    """A str (a path from the OS may hold surrogates) as bytes, for hashing: never raises."""
    return s.encode("utf-8", "surrogateescape")


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(dumped: str) -> str:
    """JSON from json.dumps(ensure_ascii=False) with what it leaves raw (DEL, C1, bidi
    overrides, lone surrogates) written as \\uXXXX escapes: the same values, safe to print.
    (json.dumps always escapes C0; these characters can only occur inside strings.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
