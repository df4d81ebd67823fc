"""Everything the screen and the CLI show, computed in one go from a data folder.

The monitor, `report` and the watcher all go through here; nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kpi_tui.ingest.folder import Dataset
from kpi_tui.metrics.figures import as_of_day, period_figures, window_figures
from kpi_tui.metrics.ledger import MICROS, Ledger
from kpi_tui.metrics.periods import GRANULARITIES, from_day
from kpi_tui.metrics.report import report_dict
from kpi_tui.settings import Settings


@dataclass
class Snapshot:
    dataset: Dataset
    ledger: Ledger
    settings: Settings
    as_of: dt.date | None
    figures: dict[str, list[dict]] = field(default_factory=dict)  # by granularity
    trailing: dict[str, dict | None] = field(default_factory=dict)
    computed_at: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def currency(self) -> str | None:
        return self.dataset.currency

    @property
    def unattributed_revenue(self) -> float:
        return self.ledger.unattributed_micros / MICROS

    def report(self, g: str) -> dict:
        return report_dict(g, self.currency, self.unattributed_revenue, self.figures[g])


def build(dataset: Dataset, settings: Settings,
          granularities: tuple[str, ...] = GRANULARITIES, ledger: Ledger | None = None,
          trailing: bool = True) -> Snapshot:
    """Figures of `granularities` (and their trailing windows unless `trailing` is False)."""
    if ledger is None:
        ledger = dataset.ledger()
    d = as_of_day(ledger, settings.as_of)
    snap = Snapshot(dataset, ledger, settings, None if d is None else from_day(d))
    for g in granularities:
        snap.figures[g] = period_figures(ledger, g, settings.as_of, settings.margin)
        if trailing:
            snap.trailing[g] = window_figures(ledger, g, settings.as_of, settings.margin)
    return snap
