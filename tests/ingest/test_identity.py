"""One person, one customer (METRICS.md, Customer; issue 10 item 11)."""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import numpy as np
from hypothesis import given, settings as hsettings, strategies as st

from kpi_tui.cli import main
from kpi_tui.ingest.folder import Selection, load_folder
from kpi_tui.ingest.identity import components, link
from kpi_tui.ingest.schema import transactions
from kpi_tui.settings import Settings
from kpi_tui.watch.state import FolderState
from reference import customers

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
D = dt.date(2026, 1, 1)
T0 = 1_700_000_000


def report(capsys, folder, *extra):
    assert main(["report", str(folder), "--period", "month", "--format", "json", "--no-cache", *extra]) == 0
    return json.loads(capsys.readouterr().out)["periods"]


def test_stripe_guest_checkouts_are_one_customer_per_email(tmp_path, capsys):
    shutil.copy(FIX / "stripe-guest-checkouts.csv", tmp_path / "unified_payments.csv")
    march, april = report(capsys, tmp_path)
    # ann: cus_Q7, cus_M2, cus_Z1 (one e-mail, any case) = cus_M2; bo: cus_B5 and an e-mail-only row
    assert (march["revenue"], march["active_customers"], march["acv"]) == (100.0, 2, 50.0)
    assert (april["revenue"], april["active_customers"], april["acv"]) == (90.0, 4, 22.5)
    assert (april["retained_customers"], april["churned_customers"], april["new_customers"]) == (2, 0, 2)
    assert (april["retained_revenue"], april["contraction"], april["churn_rate"]) == (40.0, -60.0, 0.0)
    ds = load_folder(tmp_path, Settings(cache=False))
    assert sorted(set(ds.transactions.column("customer").to_pylist())) == [
        "cus_B5", "cus_C3", "cus_M2", "cy@example.com"]
    main(["check", str(tmp_path), "--no-cache"])
    assert ("note:     2 customer ids merged with another id of the same person (a shared e-mail: "
            "one person, one customer)") in capsys.readouterr().out


def test_setting_turns_linking_off(tmp_path, capsys):
    shutil.copy(FIX / "stripe-guest-checkouts.csv", tmp_path / "unified_payments.csv")
    (tmp_path / "kpi-tui.toml").write_text("link_identities = false\n")
    march, april = report(capsys, tmp_path)
    assert (march["active_customers"], april["active_customers"]) == (3, 4)
    assert (april["retained_customers"], april["churned_customers"], april["new_customers"]) == (0, 3, 4)
    ds = load_folder(tmp_path, Settings(cache=False, link_identities=False))
    assert "cus_Q7" in ds.transactions.column("customer").to_pylist()


def test_linked_transitively_across_files_and_layouts(tmp_path):
    head = "order_id,customer_id,created_at,amount,currency,status,email\n"
    files = {"a.csv": "1,K7,2026-01-05,10.00,EUR,paid,x@example.com\n",
             "b.csv": "2,K2,2026-01-06,10.00,EUR,paid,X@example.com\n3,K2,2026-01-07,5.00,EUR,paid,y@example.com\n",
             "c.csv": "4,,2026-01-08,7.00,EUR,paid,y@example.com\n5,K9,2026-01-09,1.00,EUR,paid,\n"}
    for k, (name, body) in enumerate(files.items()):
        (tmp_path / name).write_text(head + body)
        os.utime(tmp_path / name, (T0 + k, T0 + k))
    paypal = FIX / "paypal-activity-credits.csv"  # buyer5@example.com, a PayPal payer
    (tmp_path / "paypal.csv").write_text(paypal.read_text().replace("buyer5@example.com", "y@example.com"))
    ds = load_folder(tmp_path, Settings(cache=False, currency="EUR", rates={"USD": 1.0}))
    got = sorted(zip(ds.transactions.column("customer").to_pylist(), ds.transactions.column("amount").to_pylist()))
    assert got == [("K2", -80.0), ("K2", 5.0), ("K2", 7.0), ("K2", 10.0), ("K2", 10.0), ("K2", 80.0),
                   ("K9", 1.0)]


def test_components_is_a_union_find():
    # 0-1, 1-2 | 3 | 4-5, 5-6, 6-4 | 7-9 (long chain 10..40)
    u = np.array([0, 1, 4, 5, 6, 7] + list(range(10, 40)))
    v = np.array([1, 2, 5, 6, 4, 9] + list(range(11, 41)))
    lab = components(41, u, v)
    assert lab[:10].tolist() == [0, 0, 0, 3, 4, 4, 4, 7, 8, 7]
    assert set(lab[10:].tolist()) == {10}


ids = st.one_of(st.none(), st.sampled_from(["c1", "c2", "c10", "c3", "cus_b", "cus_a", "Z"]))
emails = st.one_of(st.none(), st.sampled_from(["a@x", "b@x", "c@x", "d@x", "e@x"]))


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(ids, emails, st.booleans()), max_size=8), min_size=1, max_size=4))
def test_linking_equals_the_reference(files):
    """identity.link (vectorised) against tests/reference.py (plain union-find from METRICS.md),
    over several files; rows not counted (keep False) neither link nor are compared."""
    sels = []
    for rows in files:
        t = transactions({"customer": [i if i is not None else e for i, e, _ in rows],
                          "date": [D] * len(rows), "amount": [1.0] * len(rows),
                          "email": [e for _, e, _ in rows]})
        keep = np.array([k for _, _, k in rows], bool)
        sels.append(Selection(t, keep if len(rows) else None))
    link([f"f{k}" for k in range(len(files))], sels)
    counted = [(i, e) for rows in files for i, e, k in rows if k]
    want = iter(customers(counted))
    for sel, rows in zip(sels, files):
        got = sel.table.column("customer").to_pylist()
        for (i, e, k), name in zip(rows, got):
            if k:
                assert name == next(want), (files, got)


def test_watcher_links_like_a_full_read(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    state = FolderState(d, Settings(cache=False))
    shortcut = []
    head = "order_id,customer_id,created_at,amount,currency,status,email\n"
    bodies = ["1,K5,2026-01-05,10.00,EUR,paid,p@example.com\n2,K8,2026-01-06,4.00,EUR,paid,\n",
              "3,,2026-01-07,6.00,EUR,paid,p@example.com\n",  # no link: named through p@ (K5)
              "4,K1,2026-02-01,3.00,EUR,paid,q@example.com\n",  # a new pair, new customers only
              "5,K8,2026-02-02,2.00,EUR,paid,p@example.com\n",  # links K8 to K5: all again
              "6,K3,2026-02-03,1.00,EUR,paid,\n"]
    for k, body in enumerate(bodies):
        (d / f"e{k}.csv").write_text(head + body)
        os.utime(d / f"e{k}.csv", (T0 + 60 * k,) * 2)
        state.refresh()
        ds, ledger = state._assemble()
        shortcut.append(state._last.index is not None)
        want = load_folder(d, Settings(cache=False))
        got = sorted(zip(ledger.names[ledger.customer].tolist(), (ledger.micros / 1e6).tolist()))
        t = want.transactions
        assert got == sorted(zip(t.column("customer").to_pylist(), t.column("amount").to_pylist())), k
        assert [f.notes for f in ds.files] == [f.notes for f in want.files]
    assert sorted(set(ledger.names.tolist())) == ["K1", "K3", "K5"]
    # steps 1, 2 and 4 add to the previous ledger (a new pair of new customers, K1/q@, too);
    # step 3 (K8 linked to K5) reads everything again
    assert shortcut == [False, True, True, False, True]
