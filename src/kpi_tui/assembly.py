"""One assembly of a folder: its parsed files -> the dataset (dedupe, currency, the cross-file
rules: ingest.folder.assemble_parts) -> the metrics' ledger.

Above both ingest and metrics (which never import each other). `Assembler` keeps its last
result: when exports only arrive (no file changed or removed, the reporting currency and the
cross-file rules unchanged for the older rows), their rows are added to the previous ledger
and period sums instead of building everything again (same figures: tests compare both).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from kpi_tui.ingest import advice, rules
from kpi_tui.ingest.currency import convert, count_currencies, left_out_warnings, pick_currency
from kpi_tui.ingest.dedupe import Part, counted
from kpi_tui.ingest.folder import Dataset, Selection, add_drops, assemble_parts
from kpi_tui.ingest.incremental import IncrementalDedupe
from kpi_tui.ingest.schema import FileReport
from kpi_tui.metrics.ledger import (Ledger, PeriodSums, append_ledger, ledger_from_batches,
                                    merge_sums, sorted_by_customer_day)
from kpi_tui.settings import Settings


def ledger_of(dataset: Dataset) -> Ledger:
    """The ledger of the dataset's transactions; the rows are let go on the way (drain)."""
    ledger = ledger_from_batches(dataset.drain(), dataset.rows)
    pa.default_memory_pool().release_unused()  # the batches' customer dictionaries (~140 MB at 10M rows)
    return sorted_by_customer_day(ledger)  # period sums by runs of rows, saved as it is


@dataclass
class Last:
    """What the last dataset was made of, so that new exports can be added to it."""

    out: dict  # file key -> (its Part, its rows that count: dedupe's mask, None for all)
    counts: Counter  # counted rows per currency named
    left_out: Counter  # rows left out per currency (no rate)
    currency: str | None
    rows: int
    ledger: Ledger
    index: dict | None  # customer name -> code in the ledger, once built
    applied: rules.Applied  # the cross-file rules' state
    sums: dict[str, PeriodSums] = field(default_factory=dict)  # granularity -> of the ledger


class Assembler:
    def __init__(self, root: Path, settings: Settings):
        self.root, self.settings = Path(root), settings
        self._dedupe = IncrementalDedupe()
        self.last: Last | None = None

    def __call__(self, parts: list[Part], reports: list[FileReport]) -> tuple[Dataset, Ledger]:
        """The dataset (its rows let go) and ledger of `parts`; `reports` are completed."""
        masks, drops = self._dedupe(parts)
        out = {p.key: (p, m) for p, m in zip(parts, masks)}
        last, self.last = self.last, None
        added = self._added(last, parts, out) if last is not None else None
        if added is None:  # everything again
            a = assemble_parts(self.root, parts, reports, self.settings, (masks, drops))
            ds, rows = a.dataset, a.dataset.rows
            ledger = ledger_of(ds)
            self.last = Last(out, a.counts, a.left_out, ds.currency, rows, ledger, None,
                             a.applied)
            return ds, ledger
        add_drops(reports, drops)
        return self._add(last, parts, reports, out, added)

    def _added(self, last: Last, parts: list[Part], out: dict) -> dict[str, pa.Table] | None:
        """The files that only arrived (key -> their rows that count), when their rows can be
        added to `last`. Only theirs are built: the older files' rows stay as they are."""
        if not (set(last.out) < set(out) and all(
                out[k][0] is p and out[k][1] is m for k, (p, m) in last.out.items())):
            return None  # a file changed or went: older rows differ
        added = {k: counted(p, m) for k, (p, m) in out.items() if k not in last.out}
        counts = last.counts + count_currencies(list(added.values()))
        if pick_currency(counts, self.settings.currency) != last.currency:
            return None  # another reporting currency
        scope = {p.key: p.scope for p in parts}
        if rules.conflicts(last.applied, list(added.values()), [scope[k] for k in added],
                           last.ledger.names):
            return None  # a cross-file rule changes older rows
        return added

    def _add(self, last: Last, parts, reports, out, added) -> tuple[Dataset, Ledger]:
        s = self.settings
        scope = {p.key: p.scope for p in parts}
        counts = last.counts + count_currencies(list(added.values()))
        left_out, rows, converted = Counter(last.left_out), last.rows, []
        for t in added.values():
            t, lost, _ = convert(t, last.currency, s.rates)
            left_out.update(lost)
            rows += t.num_rows
            converted.append(Selection(t))
        applied = rules.apply(list(added), [scope[k] for k in added], converted, s, last.applied)
        rules.add_notes(reports, applied)
        new = ledger_from_batches((b for t in converted for b in t.batches()),
                                  sum(t.table.num_rows for t in converted))
        ledger, index, recoded = append_ledger(last.ledger, new, last.index)
        sums = {}
        for g, ps in last.sums.items():
            merged = merge_sums(ps, recoded, ledger.customers, g)
            if merged is not None:
                sums[g] = merged
        warnings = left_out_warnings(left_out, last.currency) + advice.warnings(
            reports, {p.key: p.table for p in parts})  # every file's rows, as report gives it
        reports.sort(key=lambda r: str(r.path))
        ds = Dataset(self.root, last.currency, reports, warnings, rows=rows)
        self.last = Last(out, counts, left_out, last.currency, rows, ledger, index, applied, sums)
        return ds, ledger
