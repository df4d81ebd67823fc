"""For a file whose columns were not recognised: a `[mapping]` block to paste, with the likely
column for each key guessed from its headers and values (issue 10)."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow, safe
from kpi_tui.ingest.layouts.common import Columns, key
from kpi_tui.ingest.layouts.generic import find_fields
from kpi_tui.ingest.parse import parse_amounts, parse_dates

SAMPLE = 200  # values looked at per column
COLUMNS = 100  # columns looked at (a file of 10,000 columns is not guessed column by column)
# words of a header that hint at a key (matched on key() of each word), most telling first
HINTS = {
    "email": "email mail courriel correo",
    "date": "date datum fecha data day tag jour dia when time created paid placed ordered",
    "amount": "total amount sum summe montant betrag importe monto price prix preis paid "
              "revenue value gross brutto net umsatz ttc eur usd gbp",
    "customer": "customer client kunde cliente buyer member account user shopper purchaser "
                "name nom phone tel telephone telefon telefono mobile",
    "order_id": "order invoice receipt transaction txn commande bestellung bestell pedido "
                "factura facture rechnung beleg ref reference number nr no id",
    "currency": "currency ccy devise monnaie wahrung moneda divisa",
    "status": "status state etat estado zustand",
}
ORDER = ("email", "date", "amount", "customer", "order_id", "currency", "status")


def _words(header: str) -> list[str]:
    return [key(w) for w in re.split(r"[^\w]+", str(header)) if key(w)]


def by_header(header: str, field: str) -> int:
    """How strongly a header hints at `field` (0: not at all; earlier hint words score more)."""
    hints = HINTS[field].split()
    words = _words(header)
    best = 0
    for w in words:
        for i, h in enumerate(hints):
            if w == h or (len(h) > 3 and w.startswith(h)):
                best = max(best, len(hints) - i)
    return best


def _share(mask: pa.Array, n: int) -> float:
    return (pc.sum(pc.cast(arrow.fill_null(mask, False), pa.int64())).as_py() or 0) / n if n else 0.0


def _values(table: pa.Table, name: str) -> pa.Array:
    c = table.column(name).slice(0, SAMPLE).combine_chunks()
    c = c if pa.types.is_string(c.type) else pc.cast(c, pa.string())
    return pc.drop_null(pc.if_else(pc.equal(pc.utf8_trim_whitespace(c), arrow.scalar("")), arrow.scalar(None, pa.string()), c))


def _kinds(table: pa.Table, name: str) -> set[str]:
    """What a column's values look like: 'email', 'date', 'amount', 'currency'."""
    v = _values(table, name)
    n, out = len(v), set()
    if not n:
        return out
    if _share(pc.match_substring_regex(v, r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), n) >= 0.8:
        out.add("email")
    if _share(pc.match_substring_regex(v, r"^[A-Z]{3}$"), n) >= 0.8:
        out.add("currency")
    if _share(pc.is_valid(parse_dates(v, notes=[])), n) >= 0.8 and _share(
            pc.match_substring_regex(v, r"\d.*[-/.\s]\d|[A-Za-z]{3}.*\d"), n) >= 0.8:
        out.add("date")
    elif _share(pc.is_valid(parse_amounts(v)[0]), n) >= 0.8:
        out.add("amount")
    return out


def guess(table: pa.Table) -> dict[str, str]:
    """[mapping] key -> the file's column most likely to hold it (keys not guessed left out)."""
    names = [n for n in dict.fromkeys(table.column_names[:COLUMNS]) if str(n).strip()]
    exact = {k: v for k, v in find_fields(Columns(table)).items() if v}
    kinds = {n: _kinds(table, n) for n in names}
    out: dict[str, str] = {}
    for field in ORDER:
        free = [n for n in names if n not in out.values()]
        if exact.get(field) in free and (field not in ("date", "amount", "email")
                                         or field in kinds[exact[field]]):
            out[field] = exact[field]
            continue
        if field in ("email", "date", "amount", "currency"):
            cands = [n for n in free if field in kinds[n]]
        else:  # names and ids look like anything: the header decides
            cands = [n for n in free if not kinds[n] & {"date", "email"}]
        scored = [(by_header(n, field), i if field == "amount" else -i, n)  # a total: the last
                  for i, n in enumerate(cands)]
        scored = [s for s in scored if s[0] > 0 or field in ("email", "date", "amount", "currency")]
        if scored:
            out[field] = max(scored)[2]
    return {k: out[k] for k in ("customer", "email", "date", "amount", "order_id", "currency",
                                "status") if k in out}


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's), safe to print."""
    return safe.json_text(json.dumps(value, ensure_ascii=False))


def mapping_block(guessed: dict[str, str]) -> list[str]:
    """The lines of a [mapping] block to paste, with a comment on what else can be named."""
    lines = ["[mapping]"] + [f"{k} = {_toml(v)}" for k, v in guessed.items()]
    lines += [f'{k} = ""  # none guessed: the {k} column' for k in ("date", "amount") if k not in guessed]
    rest = [k for k in ("customer", "email", "order_id", "currency", "status") if k not in guessed]
    if rest:
        lines.append("# can also name: " + ", ".join(rest) + ", date_format, decimal")
    return lines
