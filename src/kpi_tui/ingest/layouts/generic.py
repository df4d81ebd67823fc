"""Any export whose headers name the fields (en/fr/de/es), and the [mapping] of kpi-tui.toml."""

from __future__ import annotations

import pyarrow.compute as pc

from kpi_tui.ingest.layouts.common import Builder, Columns, clean_text

NAME = "generic"

# candidates per field, most specific first (matched case-, accent- and punctuation-insensitively)
FIELDS = {
    "order_id": ["Order ID", "Order Number", "Order No", "Order", "Transaction ID", "Txn ID", "Invoice ID",
                 "Invoice Number", "Invoice No", "Receipt Number", "Numéro de commande", "N° de commande",
                 "Nº de commande", "No de commande", "N° commande", "Nº commande", "No commande",
                 "Numéro commande", "Réf. commande", "Réf commande", "Référence de commande",
                 "Référence commande", "Référence", "Commande", "Numéro de facture", "Bestellnummer",
                 "Bestell-Nr", "Bestellnr.", "Bestellung Nr.", "Auftragsnummer", "Auftragsnr.",
                 "Rechnungsnummer", "Transaktions-ID", "Número de pedido", "N.º de pedido", "Nº de pedido",
                 "Nº pedido", "N° pedido", "No. pedido", "Núm. pedido", "ID de pedido", "Pedido",
                 "Número de factura", "wc_order_id", "ID"],
    "customer": ["Customer ID", "Customer Number", "Customer No", "Customer Code", "Client ID", "Account ID",
                 "Customer", "Client", "Code client", "Numéro client", "N° client", "ID client",
                 "Kundennummer", "Kunden-Nr", "Kundennr", "Kunden-ID", "Kunde", "ID de cliente",
                 "Código de cliente", "Número de cliente", "Cliente", "User ID", "Buyer"],
    "email": ["Email", "E-mail", "Email Address", "Customer Email", "Billing Email", "Courriel",
              "Adresse e-mail", "E-Mail-Adresse", "Kunden-E-Mail", "Correo", "Correo electrónico"],
    "date": ["Date", "Order Date", "Created at", "Created", "Created Date", "Date Created", "Sale Date",
             "Transaction Date", "Invoice Date",
             "Paid at", "Timestamp", "Date de commande", "Date commande", "Date de facture", "Date de vente",
             "Bestelldatum", "Datum", "Rechnungsdatum", "Verkaufsdatum", "Fecha", "Fecha de pedido",
             "Fecha del pedido", "Fecha de factura"],
    "amount": ["Amount", "Total", "Order Total", "Total Amount", "Grand Total", "Amount Paid", "Revenue",
               "Sales", "Montant TTC", "Total TTC", "Montant", "Montant total", "Prix total", "Betrag",
               "Gesamtbetrag", "Bruttobetrag", "Summe", "Gesamt", "Umsatz", "Importe", "Importe total",
               "Total pedido", "Monto", "Value"],
    "refunded": ["Refunded Amount", "Amount Refunded", "Refunded", "Refund Amount", "Refunds",
                 "Montant remboursé", "Remboursé", "Remboursement", "Erstattet", "Erstattungsbetrag",
                 "Rückerstattung", "Importe reembolsado", "Reembolsado", "Reembolso"],
    "status": ["Status", "Order Status", "Payment Status", "Financial Status", "State", "Statut",
               "Statut de la commande", "État", "Etat", "Bestellstatus", "Zahlungsstatus", "Estado",
               "Estado del pedido", "Estado del pago"],
    "currency": ["Currency", "Currency Code", "Devise", "Monnaie", "Währung", "Moneda", "Divisa"],
}
LOOKED_FOR = {"amount": "Total, Amount, Montant, Betrag, Importe ...", "date": "Date, Created at, Datum, Fecha ..."}


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
                                         "refunded", "status", "order_id", "currency")}
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
