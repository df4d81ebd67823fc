"""One fixture per layout, written from the columns each system documents; exact rows asserted."""

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from kpi_tui.ingest.layouts import detect, normalize
from kpi_tui.ingest.schema import TXN_SCHEMA, UnusableFile
from kpi_tui.settings import Mapping, Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
try:  # the reader's own type when it exists
    from kpi_tui.ingest.readers import RawTable
except ImportError:  # pragma: no cover
    from dataclasses import dataclass

    @dataclass
    class RawTable:
        name: str
        table: pa.Table
        bad_rows: int = 0


def raw_from_rows(name, header, rows):
    cols = {h.strip(): pa.array([(r[i] if r[i] != "" else None) for r in rows], pa.string())
            for i, h in enumerate(header)}
    return RawTable(name=name, table=pa.table(cols))


def load(path: Path) -> RawTable:
    text = path.read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delim))
    return raw_from_rows(path.name, rows[0], rows[1:])


def run(name, **settings):
    n = normalize(load(FIX / name), Settings(**settings))
    assert n.table.schema == TXN_SCHEMA
    return n


def rows(n):
    return [
        (r["customer"], r["date"].isoformat(), pytest.approx(r["amount"]), r["currency"], r["txn_id"])
        for r in n.table.to_pylist()
    ]


def R(customer, date, amount, currency, txn):
    return (customer, date, amount, currency, txn)


def test_shopify_orders():
    n = run("shopify-orders.csv")
    assert n.layout == "shopify-orders"
    assert rows(n) == [  # issue 10 item 1: Id (unique across stores), no longer Name (#1001)
        R("alice@example.com", "2026-01-05", 120.0, "EUR", "5001"),
        R("bob@example.com", "2026-01-31", 50.0, "EUR", "5002"),  # 80 - 30 refunded
        R("erin@example.com", "2026-02-04", 0.0, "EUR", "5005"),  # fully refunded
        R(None, "2026-02-06", 15.0, "EUR", "5006"),  # no e-mail: unattributed
    ]
    assert n.rows_read == 8
    assert n.drops == {
        "line-item row of an order counted on its first row": 2,
        "status pending": 1,
        "status voided": 1,
    }
    assert n.mapping["amount"] == "Total - Refunded Amount"
    assert n.mapping["txn_id"] == "Id (else Name)"


def test_shopify_offset_converted_with_timezone():
    n = run("shopify-orders.csv", timezone="Europe/Paris")
    # 2026-01-31 23:30 -0500 is 2026-02-01 05:30 in Paris
    assert [r[1] for r in rows(n)] == ["2026-01-05", "2026-02-01", "2026-02-04", "2026-02-06"]


def test_stripe_unified_payments():
    # reporting currency USD (the charged currency): Amount and Currency as charged
    n = run("stripe-unified_payments.csv", currency="USD")
    assert n.layout == "stripe-payments"
    assert rows(n) == [
        R("cus_A", "2026-01-05", 22.5, "USD", "ch_1"),
        R("cus_B", "2026-01-06", 60.0, "USD", "ch_2"),  # 100 - 40 refunded
        R("dan@example.com", "2026-01-08", 0.0, "USD", "ch_4"),  # no customer id: e-mail
        R(None, "2026-01-09", 10.0, "EUR", "ch_5"),
    ]
    assert n.drops == {"status failed": 1, "status canceled": 1}
    assert n.mapping["amount"] == "Amount - Amount Refunded"


def test_stripe_converted_amount_in_the_accounts_currency():
    # issue 10 item 12 (the test encoded the old rule, Converted Amount never used): with the
    # reporting currency the account's (EUR) or not set, Converted Amount is the exact amount
    for settings in ({}, {"currency": "EUR"}):
        n = run("stripe-unified_payments.csv", **settings)
        assert rows(n) == [
            R("cus_A", "2026-01-05", 20.7, "EUR", "ch_1"),
            R("cus_B", "2026-01-06", 55.2, "EUR", "ch_2"),  # 92 - 36.80 refunded
            R("dan@example.com", "2026-01-08", 0.0, "EUR", "ch_4"),
            R(None, "2026-01-09", 10.0, "EUR", "ch_5"),
        ]
        assert n.mapping["amount"] == "Converted Amount - Converted Amount Refunded (the account's currency)"
        assert n.mapping["currency"] == "Converted Currency"


def test_stripe_counts_captured_charges_only():
    # issue 10 item 2: PaymentIntent rows (no id, no Captured), requires_*, incomplete, uncaptured
    n = run("stripe-unified_payments-intents.csv")
    assert rows(n) == [
        R("cus_K", "2026-02-01", 40.0, "EUR", "py_11"),
        R("cus_L", "2026-02-05", 27.6, "EUR", "ch_15"),  # 30 USD charged, 27.60 EUR converted
        R(None, "2026-02-06", 12.0, "GBP", "ch_16"),  # no converted amount: as charged
    ]
    assert n.drops == {"not a charge (payment attempt without a ch_/py_ id or Captured)": 2, "status incomplete": 1,
                       "status requires_action": 1, "not captured": 1}


def test_stripe_without_id_column():
    # issue 10 item 9: `Created date (UTC)` in a Stripe export without `id`
    raw = load(FIX / "stripe-unified_payments-intents.csv")
    raw = RawTable(name="payments.csv", table=raw.table.drop_columns(["id"]))
    n = normalize(raw, Settings())
    assert n.layout == "stripe-payments"
    # without ids, the PaymentIntent rows are told apart by their empty Captured
    assert [r[:3] for r in rows(n)] == [("cus_K", "2026-02-01", 40.0), ("cus_L", "2026-02-05", 27.6),
                                        (None, "2026-02-06", 12.0)]
    assert n.drops == {"not a charge (payment attempt without a ch_/py_ id or Captured)": 2,
                       "status incomplete": 1, "status requires_action": 1, "not captured": 1}
    assert n.mapping["txn_id"] == "none"


def test_stripe_older_header_and_utc_conversion():
    raw = load(FIX / "stripe-unified_payments.csv")
    raw = RawTable(name="payments.csv", table=raw.table.rename_columns(
        ["Created (UTC)" if c == "Created date (UTC)" else c for c in raw.table.column_names]))
    n = normalize(raw, Settings(timezone="Asia/Tokyo"))
    assert n.layout == "stripe-payments"
    # 2026-01-05 23:30 UTC is already 2026-01-06 in Tokyo
    assert [r[1] for r in rows(n)] == ["2026-01-06", "2026-01-06", "2026-01-08", "2026-01-09"]


def test_woocommerce_builtin_export():
    n = run("woocommerce-orders.csv")
    assert n.layout == "woocommerce-orders"
    assert rows(n) == [
        R("7", "2026-01-05", 45.0, "USD", "101"),
        R("guest@example.com", "2026-01-06", 30.0, "USD", "102"),  # customer_id 0 = guest
        R("7", "2026-01-07", 0.0, "USD", "103"),
        R("8", "2026-01-08", 45.0, "USD", "104"),  # 60 - 15 refunded
        R("8", "2026-01-12", 10.0, "USD", "108"),  # on-hold is not in METRICS.md's list: counts
    ]
    assert n.drops == {"status failed": 1, "status cancelled": 1, "status pending": 1}


def test_woocommerce_plugin_export_without_refund_column():
    n = run("woocommerce-plugin-export.csv")
    assert n.layout == "woocommerce-orders"
    assert rows(n) == [
        R("12", "2026-02-01", 1200.0, "EUR", "201"),
        R("12", "2026-02-02", 50.0, "EUR", "202"),  # wc-refunded, no refunded column: flagged,
        R("zo@example.com", "2026-02-04", 19.9, "EUR", "204"),  # net zero in the folder (no refund row)
    ]
    assert n.table.column("refunded_status").to_pylist() == [False, True, False]
    assert n.drops == {"status wc-cancelled": 1}


def test_paypal_activity_english():
    n = run("paypal-activity.csv")
    assert n.layout == "paypal-activity"
    assert rows(n) == [
        R("buyer1@example.com", "2026-01-05", 1234.56, "USD", "1AA11111AA1111111"),
        R("buyer2@example.com", "2026-01-13", 20.0, "USD", "2BB22222BB2222222"),
        R("buyer2@example.com", "2026-01-14", -20.0, "USD", "3CC33333CC3333333"),  # refund: To address
    ]
    assert n.drops == {  # issue 10 item 3: what was left out, by type (was two generic reasons)
        "no balance impact (memo)": 1,
        "status pending": 1,
        "not a sale or refund: General Currency Conversion": 1,
        "not a sale or refund: General Withdrawal": 1,
        "not a sale or refund: Bank Deposit to PP Account": 1,
        "not a sale or refund: PreApproved Payment Bill User Payment": 1,
    }


def test_paypal_activity_german():
    n = run("paypal-aktivitaet.csv")
    assert n.layout == "paypal-activity"
    assert rows(n) == [
        R("kaeufer1@example.de", "2026-01-05", 1234.56, "EUR", "1AB11111AB1111111"),
        R("kaeufer2@example.de", "2026-01-13", 20.0, "EUR", "2AB22222AB2222222"),
        R("kaeufer2@example.de", "2026-01-14", -20.0, "EUR", "3AB33333AB3333333"),
    ]
    assert n.drops == {"no balance impact (memo)": 1, "status ausstehend": 1,
                       "not a sale or refund: Allgemeine Währungsumrechnung": 1}
    assert n.notes == []


def test_square_transactions():
    n = run("square-transactions.csv")
    assert n.layout == "square-transactions"
    assert rows(n) == [
        R("CUST1", "2026-01-05", 22.5, "USD", "TX1"),
        R(None, "2026-01-05", 11.0, "USD", "TX2"),
        R("CUST1", "2026-01-06", -22.5, "USD", "TX1"),
        R("CUST2", "2026-01-07", -5.0, "USD", "TX3"),  # Refund written without a sign
        R("CUST2", "2026-01-08", 1000.0, "USD", "TX4"),
    ]
    assert n.drops == {}


def test_square_dollar_follows_reporting_currency():
    n = run("square-transactions.csv", currency="CAD")
    assert {r[3] for r in rows(n)} == {"CAD"}


def test_online_retail_line_items():
    n = run("online-retail.csv")
    assert n.layout == "line-items"
    assert rows(n) == [
        R("17850", "2010-12-01", 15.3, None, "536365"),  # "17850.0" -> "17850"
        R("17850", "2010-12-01", 20.34, None, "536365"),  # same invoice: a separate row, never merged
        R("14527", "2010-12-01", -27.5, None, "C536379"),  # negative quantity
        R("15311", "2010-12-01", -4.65, None, "C536383"),  # C-invoice with positive quantity
        R(None, "2010-12-01", 0.0, None, "536414"),
        R("12583", "2010-12-13", 5.5, None, "536415"),  # 12/13: month first
    ]
    assert n.drops == {"unreadable amount": 1}


def test_online_retail_ii():
    n = run("online-retail-ii.csv")
    assert n.layout == "line-items"
    assert rows(n) == [
        R("13085", "2009-12-01", 83.4, None, "489434"),
        R("13085", "2009-12-01", 81.0, None, "489434"),
        R("16321", "2009-12-01", -35.4, None, "C489449"),
    ]


def test_generic_french():
    n = run("generic-fr.csv")
    assert n.layout == "generic"
    assert rows(n) == [
        R("C001", "2026-01-05", 1234.56, "EUR", "F-1"),
        R("C002", "2026-01-13", 20.0, "EUR", "F-2"),
        R("C002", "2026-01-14", -20.0, "EUR", "F-3"),
        R(None, "2026-01-18", 12.5, "EUR", "F-7"),
    ]
    assert n.drops == {"status échoué": 1, "status annulé": 1, "status en attente": 1}
    assert n.mapping["customer"] == "Code client" and n.mapping["amount"] == "Montant TTC"


def test_generic_german():
    n = run("generic-de.csv")
    assert rows(n) == [
        R("K-1", "2026-01-05", 1234.56, "EUR", "B-1"),
        R("K-2", "2026-01-10", 19.99, "EUR", "B-6"),
    ]
    assert n.drops == {"status storniert": 1, "status fehlgeschlagen": 1, "status ausstehend": 1,
                       "status abgelehnt": 1}
    assert n.notes == []  # dd.mm.yyyy is not ambiguous


def test_generic_spanish():
    n = run("generic-es.csv")
    assert rows(n) == [
        R("CL-1", "2026-01-05", 1234.56, "EUR", "P-1"),
        R("CL-2", "2026-01-10", 15.5, "EUR", "P-6"),
    ]
    assert n.drops == {"status fallido": 1, "status cancelado": 1, "status pendiente": 1, "status rechazado": 1}


def test_generic_email_only_and_refund_status():
    raw = raw_from_rows("e.csv", ["E-mail", "Date", "Total", "Status"], [
        ["  Ann@Example.COM ", "2026-01-05", "10.00", "paid"],
        ["ann@example.com", "2026-01-06", "10.00", "refund"],  # positive: counts as signed (METRICS.md)
        ["ann@example.com", "2026-01-06", "7.00", "refunded"],  # marked refunded: flagged (folder: 0)
        ["", "2026-01-07", "5.00", "paid"],
        ["bo@example.com", "not a date", "5.00", "paid"],
        ["bo@example.com", "2026-01-08", "n/a", "paid"],
    ])
    n = normalize(raw, Settings())
    assert rows(n) == [
        R("ann@example.com", "2026-01-05", 10.0, None, None),
        R("ann@example.com", "2026-01-06", 10.0, None, None),
        R("ann@example.com", "2026-01-06", 7.0, None, None),
        R(None, "2026-01-07", 5.0, None, None),
    ]
    assert n.drops == {"unreadable date": 1, "unreadable amount": 1}


def test_golden_examples_normalise():
    # copies of examples/golden/orders-*.csv
    n = normalize(load(FIX / "golden-orders-2026-02.csv"), Settings())
    assert n.layout == "generic"
    assert rows(n) == [
        R("alice", "2026-01-05", 100.0, "EUR", "1001"),
        R("bob", "2026-01-09", 50.0, "EUR", "1002"),
        R("carol", "2026-01-12", 10.0, "EUR", "1003"),
        R("carol", "2026-01-28", 20.0, "EUR", "1004"),
        R("alice", "2026-02-02", 120.0, "EUR", "1005"),
        R("bob", "2026-02-03", 50.0, "EUR", "1006"),
        R("bob", "2026-02-10", -50.0, "EUR", "1006-R"),
        R("dave", "2026-02-20", 40.0, "EUR", "1008"),
    ]
    assert n.drops == {"status failed": 1}
    n = normalize(load(FIX / "golden-orders-2026-05.csv"), Settings())
    assert rows(n)[5] == R(None, "2026-03-22", 15.0, "EUR", "1013")
    assert n.table.num_rows == 7 and n.drops == {}


def test_mapping_overrides_detection():
    raw = raw_from_rows("odd.csv", ["Kto", "Tag", "Wert", "Art", "Total"], [
        ["A1", "05-01-2026", "1.234", "ok", "999"],
        ["A2", "06-01-2026", "2,5", "void", "999"],
    ])
    m = Mapping(customer="Kto", date="Tag", amount="Wert", status="Art", date_format="%d-%m-%Y", decimal=",")
    n = normalize(raw, Settings(mapping=m))
    assert n.layout == "mapping"
    assert rows(n) == [R("A1", "2026-01-05", 1234.0, None, None)]
    assert n.drops == {"status void": 1}
    assert n.mapping["amount"] == "Wert" and n.mapping["date"] == "Tag"


def test_mapping_quantity_times_unit_price():
    raw = raw_from_rows("q.csv", ["who", "when", "qty", "each"], [["x", "2026-01-05", "3", "2.50"]])
    n = normalize(raw, Settings(mapping=Mapping(customer="who", date="when", quantity="qty", unit_price="each")))
    assert rows(n) == [R("x", "2026-01-05", 7.5, None, None)]


def test_mapping_not_matching_falls_back_to_detection():
    n = normalize(load(FIX / "generic-de.csv"), Settings(mapping=Mapping(amount="Wert", date="Tag")))
    assert n.layout == "generic"


def test_mapping_missing_column_message():
    raw = raw_from_rows("x.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(UnusableFile, match=r"^x\.csv: the \[mapping\] columns amount = 'Wert' are not in the file$"):
        normalize(raw, Settings(mapping=Mapping(amount="Wert", date="a")))


def test_no_amount_column_message():
    raw = raw_from_rows("notes.csv", ["Date", "Comment"], [["2026-01-05", "hello"]])
    with pytest.raises(UnusableFile) as e:
        normalize(raw, Settings())
    assert str(e.value) == (
        "notes.csv: no amount column found (looked for Total, Amount, Montant, Betrag, Importe ...)"
    )


def test_no_date_column_message():
    raw = raw_from_rows("t.csv", ["Amount"], [["1"]])
    with pytest.raises(UnusableFile, match="no date column found"):
        normalize(raw, Settings())


def test_header_only_is_unusable():
    raw = raw_from_rows("h.csv", ["Date", "Amount"], [])
    with pytest.raises(UnusableFile, match="h.csv: has a header but no rows"):
        normalize(raw, Settings())


@pytest.mark.parametrize(
    "name,layout",
    [
        ("shopify-orders.csv", "shopify-orders"),
        ("stripe-unified_payments.csv", "stripe-payments"),
        ("woocommerce-orders.csv", "woocommerce-orders"),
        ("paypal-activity.csv", "paypal-activity"),
        ("paypal-aktivitaet.csv", "paypal-activity"),
        ("square-transactions.csv", "square-transactions"),
        ("online-retail.csv", "line-items"),
        ("generic-fr.csv", "generic"),
    ],
)
def test_detection_ignores_case_and_spaces(name, layout):
    t = load(FIX / name).table
    t = t.rename_columns([f"  {c.upper()} " for c in t.column_names])
    assert detect(t) == layout


def test_dates_are_date32():
    n = run("generic-fr.csv")
    assert n.table.column("date").to_pylist()[0] == dt.date(2026, 1, 5)


def test_paypal_us_timezone_settles_ambiguous_dates():
    header = ["Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee", "Net",
              "From Email Address", "To Email Address", "Transaction ID", "Balance Impact"]
    row = ["01/05/2026", "10:00:00", "PST", "B", "Website Payment", "Completed", "USD", "10.00", "-0.59", "9.41",
           "b@example.com", "shop@example.com", "T1", "Credit"]
    n = normalize(raw_from_rows("us.csv", header, [row]), Settings())
    assert rows(n) == [R("b@example.com", "2026-01-05", 10.0, "USD", "T1")]
    uk = raw_from_rows("uk.csv", header, [row[:2] + ["GMT"] + row[3:]])
    n = normalize(uk, Settings())
    assert rows(n)[0][1] == "2026-05-01" and len(n.notes) == 1  # dd/mm, with a note
    assert rows(normalize(uk, Settings(date_order="mdy")))[0][1] == "2026-01-05"


def test_online_retail_ambiguous_dates_read_month_first():
    raw = raw_from_rows("r.csv", ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                  "CustomerID", "Country"],
                        [["536365", "85123A", "X", "2", "12/1/2010 8:26", "2.50", "17850.0", "United Kingdom"]])
    assert rows(normalize(raw, Settings())) == [R("17850", "2010-12-01", 5.0, None, "536365")]


def test_mapping_decimal_applies_only_to_mapped_files():
    s = Settings(mapping=Mapping(amount="Wert", date="Tag", decimal=","))
    raw = raw_from_rows("g.csv", ["Date", "Amount"], [["2026-01-05", "1.50"]])
    assert rows(normalize(raw, s)) == [R(None, "2026-01-05", 1.5, None, None)]


@pytest.mark.parametrize("status", [
    "failed", "Declined", "pending", "canceled", "Cancelled", "voided", "expired", "abandoned", "unpaid",
    "wc-pending", "Pending payment", "échoué", "Annulée", "en attente", "refusé", "impayé", "fehlgeschlagen",
    "Storniert", "Zahlung ausstehend", "abgelehnt", "fallido", "Cancelado", "pendiente de pago", "rechazado",
    "Payment failed",
])
def test_statuses_where_money_never_moved(status):
    from kpi_tui.ingest.layouts.common import never_moved

    assert never_moved(status)


@pytest.mark.parametrize("status", [
    "paid", "Completed", "wc-completed", "refunded", "partially_refunded", "Processing", "payée", "remboursé",
    "Terminée", "bezahlt", "Abgeschlossen", "Rückerstattet", "pagado", "Reembolsado", "Completado",
    "authorized", "wc-on-hold", "Uncaptured",  # not in METRICS.md's list
])
def test_statuses_that_count(status):
    from kpi_tui.ingest.layouts.common import never_moved

    assert not never_moved(status)


def test_paypal_older_download_without_balance_impact():
    raw = load(FIX / "paypal-activity.csv")
    raw = RawTable(name="old.csv", table=raw.table.drop_columns(["Balance Impact"]))
    n = normalize(raw, Settings())
    assert n.layout == "paypal-activity"
    assert [r[:3] for r in rows(n)] == [
        ("buyer1@example.com", "2026-01-05", 1234.56),
        ("buyer2@example.com", "2026-01-13", 20.0),
        ("buyer2@example.com", "2026-01-14", -20.0),
    ]
    assert n.drops == {"status pending": 2, "not a sale or refund: General Currency Conversion": 1,
                       "not a sale or refund: General Withdrawal": 1,
                       "not a sale or refund: Bank Deposit to PP Account": 1,
                       "not a sale or refund: PreApproved Payment Bill User Payment": 1}


def test_parse_cache_is_keyed_by_the_currency_setting(tmp_path):
    # Stripe's converted amounts are chosen by the reporting currency: a cached parse made
    # without it must not serve a run that sets it
    import shutil

    from kpi_tui.ingest.folder import load_folder

    shutil.copy(FIX / "stripe-unified_payments.csv", tmp_path / "unified_payments.csv")
    first = load_folder(tmp_path, Settings()).transactions.column("amount").to_pylist()
    usd = load_folder(tmp_path, Settings(currency="USD", rates={"EUR": 1.0})).transactions
    assert first == pytest.approx([20.7, 55.2, 0.0, 10.0])
    assert usd.column("amount").to_pylist() == pytest.approx([22.5, 60.0, 0.0, 10.0])


def test_etsy_sold_orders_tab_separated(tmp_path):
    # issue 10 item 9: every EtsySoldOrders*.csv, which also come tab-separated
    from kpi_tui.ingest.readers import read_raw

    (raw,) = read_raw(FIX / "EtsySoldOrders2026-1.csv")
    n = normalize(raw, Settings())
    assert n.layout == "etsy-sold-orders"
    assert rows(n) == [
        R("811223344", "2026-01-04", 30.42, "USD", "3101234567"),
        R("922334455", "2026-01-13", 23.2, "USD", "3101234999"),  # Adjusted Order Total (a refund)
    ]
    assert n.drops == {"status canceled": 1}


def test_woocommerce_rest_names():
    n = normalize(load(FIX / "woocommerce-rest.csv"), Settings())
    assert n.layout == "woocommerce-orders"
    assert rows(n) == [
        R("3", "2026-03-01", 55.0, "USD", "901"),
        R("guest@example.com", "2026-03-03", 15.5, "USD", "903"),  # customer_id 0: the e-mail
    ]
    assert n.drops == {"status pending": 1}
