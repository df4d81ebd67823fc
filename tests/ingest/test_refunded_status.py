"""An order whose status says refunded (METRICS.md, Amount; issue 10 item 6)."""

import os
import shutil
from pathlib import Path

from kpi_tui.cli import main
from kpi_tui.ingest.folder import load_folder
from kpi_tui.settings import Settings
from kpi_tui.watch.state import FolderState

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
T0 = 1_700_000_000
HEADER = "order_id,customer_id,created_at,amount,currency,status\n"


def write(folder: Path, name: str, body: str, mtime: int, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(header + body, encoding="utf-8")
    os.utime(p, (mtime, mtime))
    return p


def amounts(folder: Path) -> list:
    ds = load_folder(folder, Settings(cache=False))
    t = ds.transactions.sort_by("txn_id")
    return list(zip(t.column("txn_id").to_pylist(), t.column("amount").to_pylist()))


def test_woocommerce_refunded_order_without_refund_column_is_net_zero(tmp_path, capsys):
    shutil.copy(FIX / "woocommerce-plugin-export.csv", tmp_path / "orders.csv")
    assert amounts(tmp_path) == [("201", 1200.0), ("202", 0.0), ("204", 19.9)]
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert ("note:     1 row whose status says refunded counted as 0 "
            "(the folder holds no refund row for the order)") in out


def test_refund_row_for_the_order_keeps_both(tmp_path, capsys):
    write(tmp_path, "a.csv", "A1,ann,2026-01-05,30.00,EUR,Refunded\nA2,bob,2026-01-06,20.00,EUR,Remboursée\n"
                             "A3,cy,2026-01-07,10.00,EUR,Erstattet\nA4,cy,2026-01-07,5.00,EUR,partially_refunded\n"
                             "A1,ann,2026-01-20,-30.00,EUR,Reembolsado\n", T0)
    # A1: the folder holds its refund row: 30 and -30; A2, A3: no refund row: 0; A4 is not "refunded"
    assert amounts(tmp_path) == [("A1", 30.0), ("A1", -30.0), ("A2", 0.0), ("A3", 0.0), ("A4", 5.0)]
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "1 row whose status says refunded counted at its amount (the folder holds" in out
    assert "2 rows whose status says refunded counted as 0" in out


def test_refund_row_in_a_newer_file_replaces_the_order(tmp_path):
    # an id counts from its newest file only (all of its rows there): the refund row alone
    write(tmp_path, "a.csv", "A1,ann,2026-01-05,30.00,EUR,refunded\n", T0)
    write(tmp_path, "b.csv", "A1,ann,2026-01-20,-30.00,EUR,paid\n", T0 + 60)
    assert amounts(tmp_path) == [("A1", -30.0)]


def test_refund_row_dropped_by_dedupe_does_not_count(tmp_path):
    # the negative row of A1 was in an older export; the newer one holds A1 only as refunded
    write(tmp_path, "old.csv", "A1,ann,2026-01-05,-30.00,EUR,paid\n", T0)
    write(tmp_path, "new.csv", "A1,ann,2026-01-05,30.00,EUR,refunded\n", T0 + 60)
    assert amounts(tmp_path) == [("A1", 0.0)]


def test_watcher_gives_the_figures_of_a_full_read(tmp_path):
    d = tmp_path / "data"
    state = FolderState(d, Settings(cache=False))
    bodies = ["A1,ann,2026-01-05,30.00,EUR,refunded\nA2,bob,2026-01-06,20.00,EUR,paid\n",
              "A3,cy,2026-01-07,12.00,EUR,refunded\n",
              "A1,ann,2026-01-05,30.00,EUR,refunded\nA1,ann,2026-01-09,-30.00,EUR,paid\n",  # with its refund
              "A4,dan,2026-01-10,8.00,EUR,paid\n"]
    for i, body in enumerate(bodies):
        write(d, f"e{i}.csv", body, T0 + 60 * i)
        state.refresh()
        ds, ledger = state._assemble()
        want = load_folder(d, Settings(cache=False))
        assert sorted((ledger.micros / 1e6).tolist()) == sorted(want.transactions.column("amount").to_pylist())
        assert [f.notes for f in ds.files] == [f.notes for f in want.files]
    assert sorted((ledger.micros / 1e6).tolist()) == [-30.0, 0.0, 8.0, 20.0, 30.0]  # A3 is 0


def test_refund_row_of_another_system_does_not_count_for_the_order(tmp_path):
    write(tmp_path, "a.csv", "A1,ann,2026-01-05,30.00,USD,refunded\n", T0)
    # a Square export with a refund of a transaction also called A1: another system's id
    sq = ("Date,Time,Time Zone,Total Collected,Transaction ID,Event Type,Customer ID\n"
          "2026-01-06,10:00:00,UTC,-$30.00,A1,Refund,ann\n")
    (tmp_path / "square.csv").write_text(sq)
    os.utime(tmp_path / "square.csv", (T0 + 60, T0 + 60))
    assert sorted(amounts(tmp_path)) == [("A1", -30.0), ("A1", 0.0)]
