"""What a file holds (magic bytes, extension, content) and how its text is encoded."""

from __future__ import annotations

import codecs
import os

from kpi_tui.ingest.readers.base import OLE_MAGIC

EXT_KIND = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "text",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".xlsb": "excel", ".ods": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".gz": "gzip", ".zip": "zip",
}  # fmt: skip
# Encodings of non-Latin scripts that charset_normalizer may rightly find; any other guess for
# bytes that are not UTF-8 is read as Windows-1252 (Western exports; Latin-1's text is a subset).
NON_LATIN = {
    "cp1251", "koi8_r", "koi8_u", "cp866", "iso8859_5", "mac_cyrillic", "cp1253", "iso8859_7",
    "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874", "tis_620", "big5", "big5hkscs",
    "gb2312", "gbk", "gb18030", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949", "johab",
}  # fmt: skip


def _kind(fname: str, head: bytes) -> str:
    """What the content is, by magic bytes first, then by extension, then by sniffing."""
    low = fname.lower()
    by_ext = EXT_KIND.get(os.path.splitext(low)[1], "")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "excel" if by_ext == "excel" else "zip"  # zip() spots xlsx/ods by content too
    if head.startswith(OLE_MAGIC):
        return "excel"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"ARROW1", b"FEA1", b"\xff\xff\xff\xff")):
        return "arrow"
    if by_ext in ("csv", "json", "jsonl"):
        return by_ext
    if _looks_binary(head):
        # a damaged known format gets its own reader's message; anything else is not a table
        return by_ext if by_ext not in ("", "text") else "binary"
    stripped = _decode_head(head).lstrip("\ufeff \t\r\n")
    if stripped[:1] == "<":
        return "markup"
    return "json" if stripped[:1] in ("{", "[") else "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_nobom(head):
        return False
    if b"\x00" in head:
        return True
    ctrl = len(head.translate(None, _NOT_CTRL))  # one pass, not one count a control byte
    return ctrl > max(2, len(head) // 100)


# every byte but the control characters that do not occur in text (tab, newlines, FF, EOF do)
_NOT_CTRL = bytes(c for c in range(256) if c >= 32 or c in (9, 10, 12, 13, 26))


def _utf16_nobom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16 text (ASCII-heavy: every other byte NUL)."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _encoding(head: bytes, complete: bool) -> str:
    """Python codec for the bytes: BOM, then valid UTF-8, then charset_normalizer (cp1252 first)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if nobom := _utf16_nobom(head):
        return nobom
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        return _guess_8bit(head)


def _guess_8bit(sample: bytes) -> str:
    """Encoding of non-UTF-8 bytes: a non-Latin script only when there is enough text to tell."""
    from charset_normalizer import from_bytes

    lines = [ln for ln in sample.splitlines() if max(ln, default=0) >= 0x80]  # ASCII tells nothing
    high = sum(1 for ln in lines for b in ln if b >= 0x80)
    best = from_bytes(b"\n".join(lines)).best() if high >= 16 else None
    enc = best.encoding if best is not None and best.encoding in NON_LATIN else "cp1252"
    if enc == "cp1252":
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8d, ...)
            enc = "latin-1"
    return enc


def _decode_head(head: bytes, enc: str | None = None) -> str:
    enc = enc or _encoding(head, complete=False)
    return codecs.getincrementaldecoder(enc)(errors="replace").decode(head, final=False)
