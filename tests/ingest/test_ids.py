"""Ids are compared within one system and store (METRICS.md, Duplicates; issue 10 items 1, 8)."""

import os

import pytest

from kpi_tui.ingest.folder import load_folder
from kpi_tui.ingest.layouts import normalize
from kpi_tui.settings import Settings
from test_layouts import raw_from_rows, rows

T0 = 1_700_000_000
SHOPIFY = "Name,Email,Financial Status,Total,Created at,Currency,Lineitem name,Id\n"


def write(folder, name, text, mtime):
    p = folder / name
    p.write_text(text, encoding="utf-8")
    os.utime(p, (mtime, mtime))


def counted(folder):
    t = load_folder(folder, Settings(cache=False)).transactions.sort_by([("date", "ascending")])
    return list(zip(t.column("txn_id").to_pylist(), t.column("amount").to_pylist()))


def test_two_shopify_stores_with_the_same_order_names(tmp_path):
    # store A's #1001 and store B's #1001 are two orders: Shopify's Id tells them apart
    write(tmp_path, "orders_export_A.csv", SHOPIFY + "#1001,a@x.com,paid,10.00,2026-01-05 10:00:00 +0100,EUR,Mug,"
                                                   "450789469\n#1001,,,,2026-01-05 10:00:00 +0100,,Tea,\n", T0)
    write(tmp_path, "orders_export_B.csv", SHOPIFY + "#1001,b@y.com,paid,25.00,2026-01-06 10:00:00 +0100,EUR,Lamp,"
                                                   "820982911946154508\n", T0 + 60)
    assert counted(tmp_path) == [("450789469", 10.0), ("820982911946154508", 25.0)]


def test_ids_of_different_layouts_never_collide(tmp_path):
    generic = "order_id,customer_id,created_at,amount,currency,status\n101,ann,2026-01-05,10.00,USD,paid\n"
    woo = ("order_id,order_date,status,order_total,order_currency,customer_id,billing_email\n"
           "101,2026-01-07 10:00:00,completed,45.00,USD,7,bo@example.com\n")
    write(tmp_path, "sales.csv", generic, T0)
    write(tmp_path, "woo.csv", woo, T0 + 60)
    assert counted(tmp_path) == [("101", 10.0), ("101", 45.0)]
    # within one layout the newest file still wins
    write(tmp_path, "sales-again.csv", generic.replace("10.00", "12.00"), T0 + 120)
    assert counted(tmp_path) == [("101", 12.0), ("101", 45.0)]


@pytest.mark.parametrize("header", ["N° commande", "Nº de commande", "No commande", "Numéro de commande",
                                    "Réf. commande", "Bestellnr.", "Nº pedido", "N° de commande"])
def test_order_number_headers_fr_de_es(header):
    raw = raw_from_rows("c.csv", [header, "Code client", "Date", "Montant"], [["F-9", "C1", "05/01/2026", "10,00"]])
    n = normalize(raw, Settings())
    assert n.mapping["txn_id"] == header
    assert rows(n)[0][4] == "F-9"


def test_overlapping_french_exports_count_shared_orders_once(tmp_path):
    head = "N° commande;Client;Date;Montant TTC\n"
    write(tmp_path, "janvier.csv", head + "F-1;C1;05/01/2026;10,00\nF-2;C2;28/01/2026;20,00\n", T0)
    write(tmp_path, "janvier-fevrier.csv", head + "F-2;C2;28/01/2026;20,00\nF-3;C1;02/02/2026;5,00\n", T0 + 60)
    assert counted(tmp_path) == [("F-1", 10.0), ("F-2", 20.0), ("F-3", 5.0)]


def test_same_mtime_check_says_which_rule_decided(tmp_path, capsys):
    from kpi_tui.cli import main

    head = "order_id,customer_id,created_at,amount,currency,status\n"
    # the browser's newer download sorts first by name; its rows reach a later date
    write(tmp_path, "unified_payments.csv", head + "1,ann,2026-01-05,10.00,EUR,paid\n", T0)
    write(tmp_path, "unified_payments (1).csv", head + "1,ann,2026-01-05,10.00,EUR,voided\n"
                                                     "2,bob,2026-01-09,5.00,EUR,paid\n", T0)
    assert counted(tmp_path) == [("2", 5.0)]  # order 1 voided in the newer download
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "1 id counted from a file modified at the same time whose rows reach a later date" in out


def test_stores_named_by_the_export_never_share_ids(tmp_path, capsys):
    from kpi_tui.cli import main

    head = "order_id,customer_id,created_at,amount,currency,status,Store\n"
    write(tmp_path, "paris.csv", head + "1001,ann,2026-01-05,10.00,EUR,paid,Paris\n", T0)
    write(tmp_path, "lyon.csv", head + "1001,bob,2026-01-06,20.00,EUR,paid,Lyon\n", T0 + 60)
    write(tmp_path, "lyon-again.csv", head + "1001,bob,2026-01-06,20.00,EUR,paid,Lyon\n", T0 + 120)
    assert counted(tmp_path) == [("1001", 10.0), ("1001", 20.0)]
    main(["check", str(tmp_path), "--no-cache"])
    assert "store ← Store: Lyon" in capsys.readouterr().out


def _random_parts(seed: int = 3):
    """40 small files of numeric, zero-led, text and missing ids; some with ids not counted."""
    import numpy as np
    import pyarrow as pa

    from kpi_tui.ingest import dedupe as dd
    from kpi_tui.ingest.schema import TXN_SCHEMA

    rng = np.random.default_rng(seed)
    parts = []
    for f in range(40):
        n = int(rng.integers(1, 12))
        raw = rng.integers(0, 60, n)
        ids = [None if v % 13 == 0 else (f"A{v}" if v % 5 == 0 else (f"0{v}" if v % 7 == 0 else str(v)))
               for v in raw]
        t = pa.table({"customer": ["C"] * n, "date": pa.array(rng.integers(19000, 19010, n), pa.int32()).cast(pa.date32()),
                      "amount": [1.0] * n, "currency": ["EUR"] * n, "txn_id": ids}).cast(
            pa.schema([TXN_SCHEMA.field(c) for c in ("customer", "date", "amount", "currency", "txn_id")]))
        for name in TXN_SCHEMA.names:
            if name not in t.column_names:
                t = t.append_column(TXN_SCHEMA.field(name), pa.nulls(n, TXN_SCHEMA.field(name).type))
        t = t.select(TXN_SCHEMA.names)
        other = pa.array([str(v) for v in rng.integers(0, 60, 2)]) if f % 4 == 0 else None
        parts.append(dd.Part(f"f{f:02d}.csv", float(rng.integers(0, 5)), t, None, other))
    return parts


def test_many_small_files_dedupe_as_the_ranges_do(monkeypatch):
    """Every id hashed at once (many small files) gives the masks and drops of the path that
    hashes only the ids within another file's range (larger files)."""
    from kpi_tui.ingest import dedupe as dd

    parts = _random_parts()
    flat = dd.dedupe_masks(parts)
    monkeypatch.setattr(dd, "SMALL_FILES", 0)
    big = dd.dedupe_masks(parts)
    assert flat[1] == big[1] and flat[1]
    assert all((a is None and b is None) or (a == b).all() for a, b in zip(flat[0], big[0]))


def test_ids_told_apart_ahead_dedupe_alike(monkeypatch):
    """The folder loader tells each file's ids apart in its threads (Part.int_ids, kept on the
    part): dedupe gives the same masks and drops, and lets the kept arrays go."""
    from kpi_tui.ingest import dedupe as dd

    monkeypatch.setattr(dd, "SMALL_FILES", 0)
    want = dd.dedupe_masks(_random_parts())
    parts = _random_parts()
    for p in parts[::2]:
        p.int_ids()
    got = dd.dedupe_masks(parts)
    assert got[1] == want[1] and got[1]
    assert all((a is None and b is None) or (a == b).all() for a, b in zip(got[0], want[0]))
    assert all(p._int is None for p in parts if p.has_ids())
