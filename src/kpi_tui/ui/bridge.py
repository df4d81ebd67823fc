"""What the screen takes from the data core: the why-sentence, the alert rules' findings,
the folder watcher and the alert history."""

from __future__ import annotations

from kpi_tui.alerts.explain import why_sentence  # noqa: F401
from kpi_tui.alerts.history import AlertHistory
from kpi_tui.alerts.rules import AtRiskStake, evaluate
from kpi_tui.metrics.periods import from_day
from kpi_tui.watch import FolderMonitor


def findings(snapshot, g: str, now, at_risk=None) -> list:
    """Findings of kpi_tui.alerts.rules for the latest complete period of granularity g.

    `at_risk`: kpi_tui.metrics.customers.AtRiskTotals of granularity g (None: not judged)."""
    stake = None
    if at_risk is not None and at_risk.g == g:
        stake = AtRiskStake(at_risk.stake, at_risk.since_stake, at_risk.customers,
                            at_risk.since.isoformat())
    ds, st = snapshot.dataset, snapshot.settings
    last = snapshot.ledger.last_day
    newest = None if st.as_of is not None or last is None else from_day(last)
    mtimes = [f.mtime for f in ds.used if f.mtime]
    return evaluate(
        snapshot.figures.get(g, []), g, st.thresholds,
        locale=st.locale, currency=snapshot.currency,
        newest_txn=newest, newest_file_mtime=max(mtimes) if mtimes else None, now=now,
        skipped=[(f.path.name, f.error or "") for f in ds.skipped], warnings=ds.warnings,
        at_risk=stake,
    )


def folder_monitor():
    return FolderMonitor


def alert_history():
    return AlertHistory


__all__ = ["why_sentence", "findings", "folder_monitor", "alert_history"]
