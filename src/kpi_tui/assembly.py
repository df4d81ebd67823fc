"""A folder's ledger from its dataset: ingest's transactions into the metrics' ledger.

Above both ingest and metrics (which never import each other); the ledger cache, the session
and the watcher build ledgers here.
"""

from __future__ import annotations

from kpi_tui.ingest.folder import Dataset
from kpi_tui.metrics.ledger import Ledger, ledger_from_batches


def ledger_of(dataset: Dataset) -> Ledger:
    """The ledger of the dataset's transactions; the rows are let go on the way (drain)."""
    return ledger_from_batches(dataset.drain(), dataset.rows)
