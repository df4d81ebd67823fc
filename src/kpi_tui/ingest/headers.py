"""Which column holds which field, from the headers' names (en/fr/de/es), in plain Python:
the generic layout of a file and a database table's columns (database.columns) both use it."""

from __future__ import annotations

from kpi_tui.ingest.plain import key

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
    "date": ["Date", "Order Date", "Created at", "Created", "Created Date", "Date Created",
             "Date Created GMT", "Purchase Date", "Sale Date",
             "Transaction Date", "Invoice Date",
             "Paid at", "Timestamp", "Date de commande", "Date commande", "Date de facture", "Date de vente",
             "Bestelldatum", "Datum", "Rechnungsdatum", "Verkaufsdatum", "Fecha", "Fecha de pedido",
             "Fecha del pedido", "Fecha de factura"],
    "amount": ["Amount", "Total", "Order Total", "Total Amount", "Grand Total", "Total Price", "Amount Paid", "Revenue",
               "Sales", "Montant TTC", "Total TTC", "Montant", "Montant total", "Prix total", "Betrag",
               "Gesamtbetrag", "Bruttobetrag", "Summe", "Gesamt", "Umsatz", "Importe", "Importe total",
               "Total pedido", "Monto", "Value"],
    "refunded": ["Refunded Amount", "Amount Refunded", "Refunded", "Refund Amount", "Refunds",
                 "Total Refunded", "Refunded Total",
                 "Montant remboursé", "Remboursé", "Remboursement", "Erstattet", "Erstattungsbetrag",
                 "Rückerstattung", "Importe reembolsado", "Reembolsado", "Reembolso"],
    "status": ["Status", "Order Status", "Payment Status", "Financial Status", "State", "Statut",
               "Statut de la commande", "État", "Etat", "Bestellstatus", "Zahlungsstatus", "Estado",
               "Estado del pedido", "Estado del pago"],
    "currency": ["Currency", "Currency Code", "Order Currency", "Order Currency Code", "Devise",
                 "Monnaie", "Währung", "Moneda", "Divisa"],
    # what kind of row (a sale, a refund, or a transfer, fee...: plain.not_sale); not a bank
    # statement's kind of booking ("Buchungsart", "Type d'opération": a customer's transfer
    # there is a payment)
    "type": ["Transaction Type", "Type", "Type de transaction", "Typ", "Transaktionstyp",
             "Transaktionsart", "Tipo de transacción", "Tipo"],
}
# UCI Online Retail I and II (the line-items layout): amount = quantity x unit price per row,
# negative on a C-invoice (a cancellation)
LINE_ITEMS = {"order_id": ("InvoiceNo", "Invoice"), "quantity": ("Quantity",),
              "unit_price": ("UnitPrice", "Price", "Unit Price"),
              "date": ("InvoiceDate", "Invoice Date"), "customer": ("CustomerID", "Customer ID"),
              "currency": ("Currency",)}
LOOKED_FOR = {"amount": "Total, Amount, Montant, Betrag, Importe ...", "date": "Date, Created at, Datum, Fecha ..."}


def by_key(names) -> dict[str, str]:
    """Matching key -> the first name with that key (exports may repeat a column)."""
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(key(name), name)
    return out


def find(keys: dict[str, str], *candidates: str) -> str | None:
    """The name of the first candidate found in `keys` (`by_key`)."""
    for c in candidates:
        name = keys.get(key(c))
        if name is not None:
            return name
    return None


def find_fields(names) -> dict[str, str | None]:
    """The column of each of FIELDS among `names` (None: not found)."""
    keys = by_key(names)
    return {f: find(keys, *cands) for f, cands in FIELDS.items()}


def line_items(names) -> dict[str, str | None] | None:
    """The columns of LINE_ITEMS among `names`, if it has an invoice, a quantity, a unit price
    and a date; else None."""
    keys = by_key(names)
    got = {f: find(keys, *cands) for f, cands in LINE_ITEMS.items()}
    return got if all(got[f] for f in ("order_id", "quantity", "unit_price", "date")) else None
