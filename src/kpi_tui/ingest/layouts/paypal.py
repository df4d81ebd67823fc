"""PayPal activity download (English and German headers): only rows that move money."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow
from kpi_tui.ingest.layouts.common import Builder, Columns, clean_email, clean_text, signed
from kpi_tui.ingest.plain import NOT_SALE_LEFT_OUT

NAME = "paypal-activity"
IMPACT = ("Balance Impact", "Auswirkung auf Guthaben", "Impact sur le solde", "Impacto en el saldo")
GROSS = ("Gross", "Brutto", "Brut", "Bruto")
DATE = ("Date", "Datum", "Fecha")
TYPE = ("Type", "Typ", "Tipo")
CURRENCY = ("Currency", "Währung", "Devise", "Divisa", "Moneda")
FROM = ("From Email Address", "Absender E-Mail-Adresse", "De l'adresse email", "Desde la dirección de correo electrónico")
TO = ("To Email Address", "Empfänger E-Mail-Adresse", "À l'adresse email", "A la dirección de correo electrónico")
TXN = ("Transaction ID", "Transaktionscode", "Numéro de transaction", "Id. de transacción")

CREDIT = r"^\s*(credit|haben|cr[eé]dit|cr[eé]dito)\s*$"
DEBIT = r"^\s*(debit|soll|d[eé]bit|d[eé]bito)\s*$"
REFUND_TYPE = r"refund|reversal|chargeback|r[üu]ckzahlung|erstattung|r[üu]ckbuchung|remboursement|reembolso"
# credits that are not a customer paying (METRICS.md, "not transactions"): transfers, withdrawals,
# holds and releases, currency conversions, fees, cash-back bonuses, debit-card transactions,
# non-reference credits
NOT_SALE_TYPE = (r"conversion|deposit|transfer|withdrawal|hold|reserve|release|umrechnung|einzahlung|"
                 r"[üu]berweisung|bankgutschrift|r[üu]ckbehalt|freigabe|abbuchung|virement|dep[oó]sito|"
                 r"cash ?back|bonus|debit ?card|debitkarte|non[- ]?reference|fee\b|geb[üu]hr|frais|comisi[oó]n|"
                 r"retrait|retiro|conversi[oó]n|retenue|retenci[oó]n")


def detect(c: Columns) -> int:
    if not (c.has(*GROSS) and c.has(*DATE)):
        return 0
    if c.has(*IMPACT):
        return 9
    return 8 if c.has(*TXN) and c.has(*FROM) and c.has(*TYPE) else 0  # older downloads


def normalize(raw, settings):
    b = Builder(raw, NAME, settings)
    c = b.cols
    impact, gross, date, status = c.find(*IMPACT), c.find(*GROSS), c.find(*DATE), c.find("Status")
    typ, frm, to, txn = c.find(*TYPE), c.find(*FROM), c.find(*TO), c.find(*TXN)
    if impact:
        credit, debit = b.mask(impact, CREDIT), b.mask(impact, DEBIT)
        b.drop(~credit & ~debit, "no balance impact (memo)")
        rows = f"{impact} credit, and debit refunds"
    else:  # no Balance Impact column: the sign of Gross says which way the money went
        g = arrow.to_numpy(b.amounts(gross))
        credit, debit = np.nan_to_num(g) > 0, np.nan_to_num(g) < 0
        rows = f"{gross} > 0, and refunds (< 0)"
    if status:
        b.drop_statuses(status)
    if typ:  # payments received and refunds sent; what else was left out, by type
        values, idx = b.codes(typ)
        refund, not_sale = b.mask(typ, REFUND_TYPE), b.mask(typ, NOT_SALE_TYPE)
        out = (debit & ~refund) | (credit & not_sale)
        for i, v in enumerate(values):
            b.drop(out & (idx == i), NOT_SALE_LEFT_OUT.format((v or "").strip()))
        b.drop(out, NOT_SALE_LEFT_OUT.format("(no type)"))
    amount, sym = b.amount_column(gross)
    amount = signed(amount, debit)
    currency = b.currency(c.find(*CURRENCY), sym)
    n = b.n
    payer = clean_email(c.col(frm)) if frm else pa.nulls(n, pa.string())
    refunded_to = clean_email(c.col(to)) if to else pa.nulls(n, pa.string())
    customer = pc.if_else(arrow.array(np.asarray(debit, bool)), refunded_to, payer)
    b.email = customer  # the customer is an e-mail (links to ids that share it)
    b.mapping.update(
        customer=f"{frm} (payments) / {to} (refunds), trimmed, lower-cased",
        date=date, status=status or "none", txn_id=txn or "none",
        rows=rows,
    )
    b.mapping["amount"] = f"{gross} (negative for refunds)"
    # US accounts write mm/dd/yyyy: their TimeZone column settles files where every day is <= 12
    hint = None
    tzcol = c.find("TimeZone", "Time Zone", "Zeitzone")
    if tzcol and b.mask(tzcol, r"^\s*(P|M|C|E|AK|H)[SD]T\s*$").any():
        hint = "mdy"
    return b.finish(customer, b.dates(date, order_hint=hint), amount, currency, clean_text(c.col(txn)) if txn else None)
