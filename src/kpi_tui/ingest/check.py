"""`kpi-tui check`: per file, what it was read as and what was dropped."""

from __future__ import annotations

from kpi_tui import safe
from kpi_tui.ingest.folder import Dataset
from kpi_tui.ingest.guess import mapping_block
from kpi_tui.ingest.schema import FileReport


def check_text(ds: Dataset) -> str:
    out = []
    t = safe.text  # names, columns, statuses and currencies come from the data: one line each
    for f in ds.files:
        name = t(f.path.relative_to(ds.root) if f.path.is_relative_to(ds.root) else f.path)
        if not f.usable:
            out.append(f"✗ {name}\n    {t(f.error)}\n" + unrecognised(f))
            continue
        lines = [f"✓ {name}", f"    layout:   {t(f.layout)}"]
        if f.mapping:
            lines.append("    columns:  " + ", ".join(f"{t(k)} ← {t(v)}" for k, v in f.mapping.items()))
        dropped = sum(f.drops.values())
        lines.append(f"    rows:     {f.rows_read:,} read, {f.rows_kept:,} kept, {dropped:,} dropped")
        for reason, n in sorted(f.drops.items(), key=lambda kv: -kv[1]):
            lines.append(f"              {n:,} {t(reason)}")
        if f.date_min:
            lines.append(f"    dates:    {f.date_min} to {f.date_max}")
        if f.currencies or f.rows_kept:  # no row kept: the notes say the file's currency
            lines.append("    currency: " + (", ".join(map(t, f.currencies)) or
                                           f"none given (taken as {t(ds.currency or 'the reporting currency')})"))
        for note in f.notes:
            lines.append(f"    note:     {t(note)}")
        out.append("\n".join(lines) + "\n")
    used = len(ds.used)
    summary = [f"{used} of {len(ds.files)} files used; {ds.rows:,} transactions; "
               f"reporting currency: {t(ds.currency or 'none given')}"]
    summary += [f"warning: {t(w)}" for w in ds.warnings]
    return "\n".join(out + summary) + "\n"


SHOWN = 40  # headers listed


def unrecognised(f: FileReport) -> str:
    """A file whose columns were not recognised: its headers, and a [mapping] block to paste."""
    if not f.headers:
        return ""
    more = f", … ({len(f.headers) - SHOWN:,} more)" if len(f.headers) > SHOWN else ""
    lines = ["    headers:  " + ", ".join(safe.text(h) for h in f.headers[:SHOWN]) + more,
             "    to read it, put this in kpi-tui.toml (one [mapping] a folder; check the guesses):"]
    lines += ["      " + line for line in mapping_block(f.guess)]
    return "\n".join(lines) + "\n"
