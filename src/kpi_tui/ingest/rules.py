"""The input rules that need every file of the folder (METRICS.md, Input): orders whose status
says refunded, and one person, one customer. Applied to the counted rows (after dedupe and
currency conversion), in folder.assemble and when the watcher adds new files."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from kpi_tui.ingest import identity, refunded
from kpi_tui.ingest.identity import Identity
from kpi_tui.ingest.refunded import Refunds


@dataclass
class Applied:
    """What the rules did, kept so that new files can be added without reading the old ones."""

    refunds: Refunds
    identity: Identity | None  # None: linking turned off (setting link_identities)


def linking(settings) -> bool:
    return bool(getattr(settings, "link_identities", True))


def apply(keys: list[str], scopes: list[str], selections: list, settings,
          prev: Applied | None = None) -> Applied:
    """Apply the rules to `selections` (folder.Selection, one per file key), in place. With
    `prev`, `selections` are only new files added to those `prev` saw (which `conflicts` has
    cleared)."""
    refunds = refunded.apply(keys, scopes, selections, prev.refunds if prev else None)
    if refunds is None:  # conflicts() said otherwise
        raise ValueError("new files change older rows: apply the rules to every file")
    ident = None
    if linking(settings):
        ident = identity.link(keys, selections, prev.identity if prev else None)
    return Applied(refunds, ident)


def conflicts(prev: Applied | None, tables: list[pa.Table], scopes: list[str], customers=None) -> bool:
    """Whether new files (`tables`: their rows that may count) change what the rules made of
    the older ones: then apply them to every file again. `customers`: the older rows' customer
    names (the ledger's), when known."""
    if prev is None:
        return False
    return (refunded.conflicts(prev.refunds, tables, scopes)
            or identity.conflicts(prev.identity, tables, customers))


def add_notes(reports: list, applied: Applied) -> None:
    """What the rules did, in the files' reports (shown by `check`)."""
    refunded.add_notes(reports, applied.refunds)
    if applied.identity is not None:
        by_key = {str(r.path): r for r in reports}
        for key, notes in applied.identity.notes.items():
            if key in by_key:
                by_key[key].notes.extend(n for n in notes if n not in by_key[key].notes)
