"""Recognise an export's layout from its headers and turn it into transactions (TXN_SCHEMA)."""

from __future__ import annotations

from kpi_tui.ingest.layouts import (etsy, generic, lineitems, paypal, paypal_short, shopify, square, stripe,
                                    woocommerce)
from kpi_tui.ingest.layouts.common import Columns, customer_only
from kpi_tui.ingest.schema import Normalized, UnusableFile
from kpi_tui.settings import Settings

LAYOUTS = [shopify, stripe, paypal, paypal_short, square, woocommerce, etsy, lineitems, generic]


def detect(table) -> str | None:
    """Name of the most specific layout whose headers are all present, or None."""
    mod = _best(Columns(table))
    return mod.NAME if mod else None


def _best(cols: Columns):
    scored = [(m.detect(cols), i, m) for i, m in enumerate(LAYOUTS)]
    score, _, mod = max(scored, key=lambda t: (t[0], -t[1]))
    return mod if score > 0 else None


def _mapping_applies(raw, settings: Settings) -> bool:
    m = settings.mapping
    if m is None or customer_only(m):  # only the customer: set on top of the layout
        return False
    named = [v for k, v in vars(m).items() if k not in ("date_format", "decimal") and v]
    return bool(named) and all(v in raw.table.column_names for v in named)


def normalize(raw, settings: Settings | None = None) -> Normalized:
    """RawTable -> Normalized. A [mapping] whose columns are all in the file is used as is;
    otherwise the layout is recognised from the headers. Raises UnusableFile."""
    settings = settings or Settings()
    if raw.table.num_columns == 0:
        raise UnusableFile(f"{raw.name}: no columns found")
    if raw.table.num_rows == 0:
        raise UnusableFile(f"{raw.name}: has a header but no rows")
    if _mapping_applies(raw, settings):
        return generic.normalize_mapped(raw, settings)
    mod = _best(Columns(raw.table))
    if mod is None:
        try:
            if settings.mapping is not None:
                return generic.normalize_mapped(raw, settings)  # says which named column is missing
            return generic.normalize(raw, settings)  # says what is missing
        except UnusableFile as e:  # with the file's own headers and a [mapping] to paste
            from kpi_tui.ingest.guess import guess

            e.headers, e.guess = [str(h) for h in raw.table.column_names], guess(raw.table)
            raise
    return mod.normalize(raw, settings)
