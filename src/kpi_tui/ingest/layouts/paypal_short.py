"""PayPal's short activity download (eBay sellers): Date, Time, TimeZone, Name, Type, Status,
Currency, Amount, Receipt ID, Balance. Payments received are sales, refunds sent are refunds;
holds, releases, withdrawals, tax, fees... are not transactions. The buyer is the Name."""

from __future__ import annotations

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_id, clean_text, signed
from kpi_tui.ingest.layouts.paypal import REFUND_TYPE
from kpi_tui.ingest.plain import NOT_SALE_LEFT_OUT as LEFT_OUT

NAME = "paypal-activity-short"
SALE_TYPE = r"^\s*(ebay auction payment|payment received|.*payment received)\s*$"
WEAK = ("the customer is the Name column (no e-mail or id in this export): one name is one "
        "customer, so namesakes are merged and two spellings of one buyer are two customers")


def detect(c: Columns) -> int:
    need = ("Date", "TimeZone", "Name", "Type", "Amount", "Balance")
    return 8 if all(c.has(h) for h in need) and not c.has("Gross") else 0


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    date, name, typ, status = c.find("Date"), c.find("Name"), c.find("Type"), c.find("Status")
    receipt = c.find("Receipt ID")
    if status:
        b.drop_statuses(status)
    sale, refund = b.mask(typ, SALE_TYPE), b.mask(typ, REFUND_TYPE)
    values, idx = b.codes(typ)
    for i, v in enumerate(values):
        b.drop(~sale & ~refund & (idx == i), LEFT_OUT.format((v or "").strip()))
    b.drop(~sale & ~refund, LEFT_OUT.format("(no type)"))
    amount, sym = b.amount_column(c.find("Amount"))
    amount = signed(amount, refund)
    b.mapping["amount"] += " (negative for refunds)"
    currency = b.currency(c.find("Currency"), sym)
    b.mapping.update(customer=f"{name} (a name: weak identity)", date=date, status=status or "none",
                     txn_id=receipt or "none", rows=f"{typ}: payments received and refunds")
    b.notes.append(WEAK)
    hint = "mdy" if b.mask(c.find("TimeZone"), r"^\s*(P|M|C|E|AK|H)[SD]T\s*$").any() else None
    ids = clean_text(c.col(receipt)) if receipt else None
    return b.finish(clean_id(c.col(name)), b.dates(date, order_hint=hint), amount, currency, ids)
