"""Shared pieces of the layouts: header matching, statuses, customers, the final table."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest import headers
from kpi_tui.ingest.parse import DOLLARS, parse_amounts, parse_dates
from kpi_tui.ingest.plain import (NEVER_MOVED, NOT_SALE_LEFT_OUT, PLACEHOLDERS, key,  # noqa: F401
                                  never_moved, not_sale)
from kpi_tui.ingest.schema import TXN_SCHEMA, Normalized, UnusableFile
from kpi_tui.settings import Settings


class Columns:
    """The table's columns, looked up by matching key."""

    def __init__(self, table: pa.Table):
        self.table = table
        self.by_key = headers.by_key(table.column_names)
        self.index: dict[str, int] = {}  # first column of a name (exports may repeat one)
        for i, name in enumerate(table.column_names):
            self.index.setdefault(name, i)

    def find(self, *candidates: str) -> str | None:
        return headers.find(self.by_key, *candidates)

    def has(self, *candidates: str) -> bool:
        return self.find(*candidates) is not None

    def col(self, name: str) -> pa.Array:
        c = self.table.column(self.index[name])
        if isinstance(c, pa.ChunkedArray):
            c = c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
        if not pa.types.is_string(c.type):  # readers give strings; be lenient with others
            c = pc.cast(c, pa.string())
        return c


def _np(arr) -> np.ndarray:
    return np.asarray(arrow.to_numpy(arrow.fill_null(arr, False)), bool)


def _any(mask) -> bool:
    return bool(pc.any(mask).as_py())


def clean_text(arr: pa.Array) -> pa.Array:
    """Trim; empty -> null (each step only when some value needs it: these columns are long)."""
    if _any(pc.starts_with(arr, " ")) or _any(pc.ends_with(arr, " ")):
        arr = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(arr, arrow.scalar(""))
    if _any(empty):
        arr = pc.if_else(empty, arrow.scalar(None, pa.string()), arr)
    return arr




def _case_variants(word: str) -> list[str]:
    out = [""]
    for ch in word:
        out = [o + c for o in out for c in dict.fromkeys((ch.lower(), ch.upper()))]
    return out


@functools.cache
def _placeholder_set() -> pa.Array:
    return arrow.strings(sorted({v for w in PLACEHOLDERS for v in _case_variants(w)}))


def no_placeholders(t: pa.Array) -> pa.Array:
    """Placeholder customer values -> null (an exact, case-insensitive match of a short list)."""
    hit = pc.is_in(t, value_set=_placeholder_set())
    if _any(hit):
        t = pc.if_else(hit, arrow.scalar(None, pa.string()), t)
    return t


def clean_id(arr: pa.Array) -> pa.Array:
    """A customer id: trimmed, `17850.0` -> `17850`; empty or a placeholder -> null."""
    t = clean_text(arr)
    if _any(pc.ends_with(t, ".0")):
        t = pc.replace_substring_regex(t, r"^(\d+)\.0+$", r"\1")
    return no_placeholders(t)


def clean_email(arr: pa.Array) -> pa.Array:
    """An e-mail: trimmed, lower-cased; empty or a placeholder -> null."""
    return no_placeholders(clean_text(pc.utf8_lower(arr)))


def customer_of(ids: pa.Array | None, emails: pa.Array | None, n: int) -> pa.Array:
    """METRICS.md: the export's customer id; else the e-mail trimmed and lower-cased; else null.
    `emails` already cleaned (clean_email)."""
    out = emails if emails is not None else pa.nulls(n, pa.string())
    if ids is not None:
        out = pc.coalesce(ids, out)
    return out


# statuses that say an order was refunded in full (key() of en/fr/de/es words, `wc-` prefix);
# "partially refunded" is not one of them
REFUNDED = frozenset("""refunded fullyrefunded rembourse remboursee remboursees erstattet
ruckerstattet zuruckerstattet vollstandigerstattet reembolsado reembolsada reembolsados""".split())


def says_refunded(status: str) -> bool:
    k = key(status)
    return k in REFUNDED or (k.startswith("wc") and k[2:] in REFUNDED)


STORE = ("Store", "Store Name", "Store ID", "Shop", "Shop Name", "Shop ID", "Boutique", "Magasin", "Laden",
         "Filiale", "Tienda")


def dollar_for(settings: Settings) -> str:
    cur = (settings.currency or "").upper()
    return cur if cur in DOLLARS else "USD"


class Builder:
    """Collects the columns of one raw table and the rows dropped, then makes the Normalized."""

    def __init__(self, raw, layout: str, settings: Settings):
        self.name = raw.name
        self.table = raw.table
        self.n = raw.table.num_rows
        self.cols = Columns(raw.table)
        self.layout = layout
        self.settings = settings
        self.keep = np.ones(self.n, dtype=bool)
        self.drops: Counter = Counter()
        self.why = np.full(self.n, -1, np.int16)  # each row's reason left out (index in drops)
        self.mapping: dict[str, str] = {}
        self.notes: list[str] = []
        self._codes: dict = {}
        self.email: pa.Array | None = None  # the rows' e-mails, cleaned (who())
        self.refunded: np.ndarray | None = None  # rows whose status says refunded

    # -- dropping rows
    def drop(self, mask, reason: str) -> None:
        m = np.asarray(mask, dtype=bool) & self.keep
        k = int(m.sum())
        if k:
            self.drops[reason] += k
            self.why[m] = list(self.drops).index(reason)
            self.keep &= ~m

    def codes(self, name: str) -> tuple[list, np.ndarray]:
        """Distinct values of a short-vocabulary column (status, type...) and each row's index."""
        if name not in self._codes:
            enc = pc.dictionary_encode(self.cols.col(name))
            idx = arrow.to_numpy(arrow.fill_null(enc.indices, -1))
            self._codes[name] = (enc.dictionary.to_pylist(), idx)
        return self._codes[name]

    def mask(self, name: str, pattern: str) -> np.ndarray:
        """Rows whose value in `name` matches `pattern` (case-insensitive regex)."""
        values, idx = self.codes(name)
        hit = np.array([bool(v is not None and re.search(pattern, v, re.I)) for v in values] + [False])
        return hit[idx]  # idx -1 (null) picks the trailing False

    def drop_values(self, name: str | None, judge, reason) -> None:
        """Drop rows whose value v of column `name` is judge(v), counted per value as reason(v)
        (v trimmed)."""
        if name is None:
            return
        values, idx = self.codes(name)
        for i, v in enumerate(values):
            if v is not None and v.strip() and judge(v):
                self.drop(idx == i, reason(v.strip()))

    def drop_statuses(self, name: str | None) -> None:
        """Drop rows whose status says the money never moved, counted per status value."""
        self.drop_values(name, never_moved, lambda v: f"status {v.lower()}")

    def drop_not_sales(self, name: str | None) -> None:
        """Drop rows whose type says they are not a sale or refund (a transfer, a fee...:
        plain.not_sale), counted per type value."""
        self.drop_values(name, not_sale, NOT_SALE_LEFT_OUT.format)

    def who(self, id_col: str | None, email_col: str | None) -> pa.Array:
        """The customer (id, else e-mail); the e-mails are kept beside it (identity linking).
        Rows left unattributed by a placeholder ("N/A", "guest"...) are counted in a note."""
        ids = clean_id(self.cols.col(id_col)) if id_col else None
        if email_col:
            self.email = clean_email(self.cols.col(email_col))
        customer = customer_of(ids, self.email, self.n)
        if customer.null_count:
            said = np.zeros(self.n, bool)
            for name in (id_col, email_col):
                if name:
                    raw = pc.utf8_trim_whitespace(self.cols.col(name))
                    said |= _np(pc.is_in(raw, value_set=_placeholder_set())) & _np(pc.is_null(customer))
            said &= self.keep
            if said.any():
                k = int(said.sum())
                self.notes.append(f"{k:,} {'row' if k == 1 else 'rows'} with a placeholder for the customer "
                                  "((blank), N/A, none, null, -, 0, guest, unknown): unattributed")
        return customer

    def refunded_status(self, status: str | None, refunded_col: str | None) -> None:
        """Mark rows whose status says refunded, when the export has no refunded-amount column
        (METRICS.md, Amount: such a positive row is net zero unless its refund is a row)."""
        if status is None or refunded_col:
            return
        values, idx = self.codes(status)
        hit = np.array([v is not None and says_refunded(v) for v in values] + [False])
        if hit.any():
            self.refunded = hit[idx]
            self.mapping.setdefault("status", status)

    # -- parsing
    def amounts(self, name: str, currency_out: list | None = None) -> pa.Array:
        m = self.settings.mapping if self.layout == "mapping" else None
        vals, cur = parse_amounts(self.cols.col(name), decimal=m.decimal if m else None,
                                  dollar=dollar_for(self.settings))
        if currency_out is not None:
            currency_out.append(cur)
        return vals

    def dates(self, name: str, assume_utc: bool = False, order_hint: str | None = None) -> pa.Array:
        """Parse a date column; `order_hint` settles dd/mm vs mm/dd when the values cannot
        (after the date_order setting)."""
        arr = self.cols.col(name)
        tz = self.settings.timezone
        if assume_utc and tz:  # a column documented as UTC: an offset that is not written
            arr = clean_text(arr)
            no_off = pc.invert(arrow.fill_null(pc.match_substring_regex(arr, r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})$"), True))
            arr = pc.if_else(no_off, pc.binary_join_element_wise(arr, arrow.scalar("Z"), arrow.scalar("")), arr)
        m = self.settings.mapping if self.layout == "mapping" else None
        fmt = m.date_format if m else None
        order = self.settings.date_order or order_hint
        return parse_dates(arr, date_order=order, timezone=tz, fmt=fmt, notes=self.notes)

    def amount_column(self, name: str, refunded: str | None = None) -> tuple[pa.Array, pa.Array | None]:
        """`name` (minus `refunded` where there is such a column); also the symbol currencies."""
        cur: list = []
        amount = self.amounts(name, cur)
        self.mapping["amount"] = name
        if refunded:
            amount = pc.subtract(amount, arrow.fill_null(pc.abs(self.amounts(refunded)), 0.0))
            self.mapping["amount"] = f"{name} - {refunded}"
        return amount, cur[0]

    def currency(self, name: str | None, from_symbols: pa.Array | None) -> pa.Array | None:
        """The currency column, else the currency named by symbols in the amounts, else None."""
        if name:
            self.mapping["currency"] = name
            values, idx = self.codes(name)
            clean = [(v.strip().upper() or None) if v is not None else None for v in values]
            arr = self.cols.col(name) if clean == values else pc.take(arrow.strings(clean + [None]),
                                                                      arrow.array(np.where(idx < 0, len(clean), idx)))
            return pc.coalesce(arr, from_symbols) if from_symbols is not None else arr
        if from_symbols is not None:
            self.mapping["currency"] = "symbol in the amounts"
            return from_symbols
        self.mapping["currency"] = "none (reporting currency)"
        return None

    def store(self) -> None:
        """The store the export names (a Store or Shop column): order ids are unique within one."""
        name = self.cols.find(*STORE)
        if name is None:
            return
        values, _ = self.codes(name)
        stores = sorted({v.strip() for v in values if v is not None and v.strip()})
        if stores:
            self.mapping["store"] = f"{name}: {', '.join(stores)}"

    # -- the customer
    def own_customer(self, customer):
        """A [mapping] naming only `customer` (a name or phone column, say) sets the customer of
        every recognised export that has that column; where it is empty, the layout's stays."""
        m = self.settings.mapping
        if self.layout == "mapping" or not customer_only(m) or m.customer not in self.cols.index:
            return customer
        own = clean_id(self.cols.col(m.customer))
        before = self.mapping.get("customer", "none")
        self.mapping["customer"] = f"{m.customer} ([mapping])" + ("" if before.startswith("none")
                                                                    else f" else {before}")
        return own if customer is None else pc.coalesce(own, customer)

    def no_customer(self, customer) -> None:
        """A note when no kept row has a customer: what that means, and what to set (issue 10)."""
        if not self.keep.any():
            return
        if customer is not None and customer.null_count < len(customer):
            if pc.any(pc.is_valid(customer).filter(arrow.array(self.keep))).as_py():
                return
        from kpi_tui.ingest.guess import by_header  # (guess reads the layouts)

        used = set(self.mapping.values())
        scored = [(by_header(h, "customer"), -i, h) for i, h in enumerate(self.table.column_names)
                  if h not in used and str(h).strip()]
        best = max((s for s in scored if s[0] > 0), default=None)
        col = json.dumps(best[2], ensure_ascii=False) if best else '"<a name or phone column>"'
        put = (f"add to the [mapping] of kpi-tui.toml: customer = {col}" if self.layout == "mapping"
               else f"put in kpi-tui.toml: mapping = {{ customer = {col} }}")
        self.notes.append(f"{NO_CUSTOMER}: its rows count as unattributed revenue, not as customers. To count "
                          f"customers by a name or phone column, {put}")

    # -- result
    def finish(self, customer, date, amount, currency=None, txn_id=None) -> Normalized:
        for arr, reason in ((date, "unreadable date"), (amount, "unreadable amount")):
            if arr.null_count:
                self.drop(np.asarray(arrow.to_numpy(pc.is_null(arr)), dtype=bool), reason)
        customer = self.own_customer(customer)
        self.no_customer(customer)
        n = self.n
        email = pc.dictionary_encode(self.email) if self.email is not None else null_dictionary(n)
        refunded = None
        if self.refunded is not None:
            positive = np.asarray(arrow.to_numpy(arrow.fill_null(pc.greater(amount, arrow.scalar(0.0)), False)))
            refunded = arrow.array(self.refunded & positive)
        cols = [
            customer if customer is not None else pa.nulls(n, pa.string()),
            date,
            amount,
            currency if currency is not None else pa.nulls(n, pa.string()),
            txn_id if txn_id is not None else pa.nulls(n, pa.string()),
            email.cast(TXN_SCHEMA.field("email").type),
            refunded if refunded is not None else pa.nulls(n, pa.bool_()),
        ]
        table = pa.Table.from_arrays([pa.array(c) if not isinstance(c, pa.Array) else c for c in cols],
                                     schema=TXN_SCHEMA)
        if n and not self.keep.any():
            self.notes.append(self.nothing_kept(currency))
        if txn_id is not None:
            self.store()
        dropped_ids = None
        if not self.keep.all():
            if txn_id is not None:  # dedupe must see every id of the file, counted or not
                arr = txn_id.combine_chunks() if isinstance(txn_id, pa.ChunkedArray) else pa.array(txn_id)
                ids = pc.drop_null(arr.filter(arrow.array(~self.keep)))
                dropped_ids = pc.unique(ids) if len(ids) else None
            table = kept(table, self.keep)
        order = ["customer", "date", "amount", "currency", "status", "txn_id", "store", "rows"]
        mapping = dict(sorted(self.mapping.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
        return Normalized(table=table, layout=self.layout, mapping=mapping, rows_read=n,
                          drops=dict(self.drops), notes=list(dict.fromkeys(self.notes)),
                          dropped_ids=dropped_ids, left_out=self.why)

    def nothing_kept(self, currency) -> str:
        """Why every row was left out, and what to do when the statuses are wrong (issue 10)."""
        why = ", ".join(f"{r[7:]}: {k:,}" for r, k in self.drops.items() if r.startswith("status "))
        cur = ""
        if currency is not None:
            seen = sorted(pc.unique(pc.drop_null(currency)).to_pylist())
            cur = f" Its currency: {', '.join(seen)}." if seen else ""
        if not why:
            return "every row was left out (see the reasons above)." + cur
        cols = {}  # the columns read, as [mapping] keys
        for k, v in self.mapping.items():
            k = {"txn_id": "order_id"}.get(k, k)
            for part in v.split(" else "):
                name = part.removesuffix(" (trimmed, lower-cased)")
                if name in self.cols.index and k in ("customer", "date", "amount", "order_id", "currency"):
                    cols["email" if name != part else k] = name
        block = "mapping = { " + ", ".join(f'{k} = "{v}"' for k, v in cols.items()) + " }"
        return (f"every row was left out: its status says the money never moved ({why}).{cur} If these "
                f"orders were paid (cash on delivery, for instance), name the columns without a status "
                f"in kpi-tui.toml to count them: {block}")

    def unusable(self, what: str) -> UnusableFile:
        return UnusableFile(f"{self.name}: {what}")


NO_CUSTOMER = "no customer id or e-mail in any row"


def customer_only(m) -> bool:
    """A [mapping] that names the customer column and nothing else."""
    return m is not None and bool(m.customer) and not any(
        v for k, v in vars(m).items() if k != "customer")


def null_dictionary(n: int) -> pa.Array:
    """n nulls of the e-mail column's type, on zeroed memory the system maps only when written
    (most exports have no e-mail: no 4 bytes a row for nothing)."""
    validity = pa.py_buffer(np.zeros((n + 7) // 8, np.uint8))
    indices = pa.Array.from_buffers(pa.int32(), n, [validity, pa.py_buffer(np.zeros(n, np.int32))], null_count=n)
    return pa.DictionaryArray.from_arrays(indices, arrow.strings([]))


def kept(table: pa.Table, keep: np.ndarray) -> pa.Table:
    """table.filter(keep), a column without any value (no e-mail, no refund, no id...) made anew
    at its new length: nothing copied, and no bytes a row for nothing (the e-mails' indices)."""
    k, mask = int(keep.sum()), arrow.array(keep)
    cols = [c.filter(mask) if c.null_count < len(c) else
            null_dictionary(k) if pa.types.is_dictionary(c.type) else pa.nulls(k, c.type)
            for c in table.columns]
    return pa.Table.from_arrays(cols, schema=table.schema)


def signed(amount: pa.Array, negative_mask) -> pa.Array:
    """Force the rows of `negative_mask` negative (refund rows written with or without a sign)."""
    neg = arrow.array(np.asarray(negative_mask, dtype=bool))
    return pc.if_else(neg, pc.negate(pc.abs(amount)), amount)
