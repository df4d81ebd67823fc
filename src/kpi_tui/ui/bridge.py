"""Optional pieces written elsewhere (explain sentence, alert rules, watcher), imported lazily.

Each has a tiny fallback so the monitor runs while they are being written.
"""

from __future__ import annotations

from kpi_tui.ui.text import money, pct


def why_sentence(row: dict, prev: dict | None, currency, locale, prev_label) -> str:
    try:
        from kpi_tui.alerts.explain import why_sentence as ws
    except ImportError:
        return _why_fallback(row, prev, currency, locale, prev_label)
    return ws(row, prev, currency, locale, prev_label)


def _why_fallback(row, prev, currency, locale, prev_label) -> str:
    effects = {k: row.get(k) for k in ("churn_effect", "spend_effect", "acquisition_effect",
                                       "other_effect")}
    if row.get("acv_change") is None or any(v is None for v in effects.values()):
        return "Not enough data to explain the change."
    k, v = max(effects.items(), key=lambda kv: abs(kv[1]))
    words = {"churn_effect": "customers who left", "spend_effect": "existing customers' spend",
             "acquisition_effect": "new and returning customers",
             "other_effect": "refunds of inactive customers"}[k]
    return (f"Average customer value {'up' if row['acv_change'] >= 0 else 'down'} "
            f"{money(abs(row['acv_change']), currency, locale)} vs {prev_label}; "
            f"biggest driver: {words} ({'+' if v >= 0 else ''}{money(v, currency, locale)}).")


def findings(snapshot, g: str, now, at_risk=None) -> list:
    """Findings of kpi_tui.alerts.rules for the latest complete period of granularity g.

    `at_risk`: kpi_tui.metrics.customers.AtRiskTotals of granularity g (None: not judged)."""
    try:
        from kpi_tui.alerts.rules import AtRiskStake, evaluate
    except ImportError:
        return _skipped_fallback(snapshot)
    stake = None
    if at_risk is not None and at_risk.g == g:
        stake = AtRiskStake(at_risk.stake, at_risk.since_stake, at_risk.customers,
                            at_risk.since.isoformat())
    from kpi_tui.metrics.periods import from_day

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


class _Finding:
    def __init__(self, message: str) -> None:
        self.message = message
        self.key = message


def _skipped_fallback(snapshot) -> list:
    return [_Finding(f"⚠ File skipped: {f.path.name}: {f.error}") for f in snapshot.dataset.skipped]


def folder_monitor():
    """kpi_tui.watch.FolderMonitor if the watcher is available, else None."""
    try:
        from kpi_tui.watch import FolderMonitor
    except ImportError:
        return None
    return FolderMonitor


def alert_history():
    try:
        from kpi_tui.alerts.history import AlertHistory
    except ImportError:
        return None
    return AlertHistory


__all__ = ["why_sentence", "findings", "folder_monitor", "alert_history", "pct"]
