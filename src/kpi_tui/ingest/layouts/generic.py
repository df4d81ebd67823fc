"""Any export whose headers name the fields (en/fr/de/es), and the [mapping] of kpi-tui.toml."""

from __future__ import annotations

import pyarrow.compute as pc

from kpi_tui.ingest.headers import FIELDS, LOOKED_FOR  # noqa: F401 (where they were)
from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text

NAME = "generic"


def find_fields(c: Columns) -> dict[str, str | None]:
    return {f: c.find(*cands) for f, cands in FIELDS.items()}


def detect(c: Columns) -> int:
    f = find_fields(c)
    return 1 if f["amount"] and f["date"] else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    f = find_fields(b.cols)
    for need in ("amount", "date"):
        if not f[need]:
            raise b.unusable(f"no {need} column found (looked for {LOOKED_FOR[need]})")
    return _build(b, f)


def normalize_mapped(raw, settings):
    """Use exactly the columns named in [mapping]."""
    m = settings.mapping
    b = Builder(raw, "mapping", settings)
    names = {k: getattr(m, k) for k in ("customer", "email", "date", "amount", "quantity", "unit_price",
                                         "refunded", "status", "order_id", "currency", "type")}
    missing = [f"{k} = {v!r}" for k, v in names.items() if v and v not in raw.table.column_names]
    if missing:
        raise b.unusable(f"the [mapping] columns {', '.join(missing)} are not in the file")
    if not names["date"]:
        raise b.unusable("the [mapping] names no date column")
    if not names["amount"] and not (names["quantity"] and names["unit_price"]):
        raise b.unusable("the [mapping] names no amount column (nor quantity and unit_price)")
    return _build(b, names)


def _build(b: Builder, f: dict):
    c = b.cols
    if f.get("status"):
        b.drop_statuses(f["status"])
        b.mapping["status"] = f["status"]
        b.refunded_status(f["status"], f.get("refunded"))
    if f.get("type"):
        b.drop_not_sales(f["type"])
        b.mapping["type"] = f["type"]
    if f.get("amount"):
        amount, sym = b.amount_column(f["amount"], f.get("refunded"))
    else:
        q = b.amounts(f["quantity"])
        p, sym = b.amount_column(f["unit_price"])
        amount = pc.multiply(q, p)
        b.mapping["amount"] = f"{f['quantity']} x {f['unit_price']}"
    currency = b.currency(f.get("currency"), sym)
    cid, email, oid = f.get("customer"), f.get("email"), f.get("order_id")
    who = [x for x in (cid, email and f"{email} (trimmed, lower-cased)") if x]
    b.mapping.update(customer=" else ".join(who) or "none (unattributed)", date=f["date"],
                     txn_id=oid or "none")
    customer = b.who(cid, email)
    return b.finish(customer, b.dates(f["date"]), amount, currency, clean_text(c.col(oid)) if oid else None)
