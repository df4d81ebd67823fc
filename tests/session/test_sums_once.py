"""The watcher's first snapshot sums the ledger by period once, not twice (issue 12: the
monitor's cold start on 10M rows)."""

from kpi_tui import session
from kpi_tui.settings import Settings
from kpi_tui.watch import state as state_mod
from kpi_tui.watch.state import FolderState


def test_first_snapshot_sums_once(tmp_path, monkeypatch):
    (tmp_path / "o.csv").write_text("order_id,customer_id,created_at,amount\n"
                                    "1,c1,2026-01-05,10.00\n2,c2,2026-02-05,20.00\n")
    calls = []
    for mod in (state_mod, session):
        real = mod.period_sums
        monkeypatch.setattr(mod, "period_sums",
                            lambda ledger, g, real=real: calls.append(g) or real(ledger, g))
    st = FolderState(tmp_path, Settings(cache=False))
    st.refresh()
    snap = st.snapshot()
    assert [r["revenue"] for r in snap.figures("month")] == [10.0, 20.0]
    assert calls == ["month"]
