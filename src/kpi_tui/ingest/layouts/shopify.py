"""Shopify orders export: one row per line item, order fields on each order's first row only."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text

NAME = "shopify-orders"


def detect(c: Columns) -> int:
    need = ("Name", "Financial Status", "Total", "Created at", "Email")
    return 10 if all(c.has(h) for h in need) else 0


def first_rows_only(b: Builder, id_col: str) -> None:
    """Order-level figures sit on an order's first row: later rows of the same id are not counted."""
    enc = pc.dictionary_encode(clean_text(b.cols.col(id_col)))
    idx = arrow.to_numpy(arrow.fill_null(enc.indices, -1))
    dup = idx >= 0
    dup[np.unique(idx, return_index=True)[1]] = False  # each value's first row
    b.drop(dup, "line-item row of an order counted on its first row")
    b.mapping["rows"] = f"first row of each {id_col}"


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    name, status, email, created = c.find("Name"), c.find("Financial Status"), c.find("Email"), c.find("Created at")
    first_rows_only(b, name)
    b.drop_statuses(status)
    b.refunded_status(status, c.find("Refunded Amount"))
    amount, sym = b.amount_column(c.find("Total"), c.find("Refunded Amount"))
    currency = b.currency(c.find("Currency"), sym)
    b.mapping.update(customer=f"{email} (trimmed, lower-cased)", date=created, status=status, txn_id=name)
    return b.finish(b.who(None, email), b.dates(created), amount, currency, order_ids(b, name))


def order_ids(b: Builder, name: str) -> pa.Array:
    """`Id` (unique across stores) where the export has it, from each order's first row; else
    `Name` (#1001: unique only inside one store)."""
    names = clean_text(b.cols.col(name))
    idcol = b.cols.find("Id")
    if idcol is None:
        return names
    ids = clean_text(b.cols.col(idcol))
    enc = pc.dictionary_encode(names)
    codes = arrow.to_numpy(arrow.fill_null(enc.indices, -1))
    uniq, first = np.unique(codes, return_index=True)  # first row of each Name
    by_code = pc.take(ids, arrow.array(first[uniq >= 0]))
    lookup = arrow.array(np.where(codes >= 0, codes, 0))
    out = pc.if_else(arrow.array(codes >= 0), pc.take(by_code, lookup), arrow.scalar(None, pa.string()))
    out = pc.coalesce(out, names)
    b.mapping["txn_id"] = f"{idcol} (else {name})"
    return out
