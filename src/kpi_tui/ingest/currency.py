"""One reporting currency (METRICS.md, Currency): amounts in different currencies are never added."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc


def reporting_currency(tables: list[pa.Table], setting: str | None) -> str | None:
    """The `currency` setting, or else the currency of most rows (None when no row names one)."""
    if setting:
        return setting.upper()
    counts: Counter = Counter()
    for t in tables:
        if t.num_rows:
            for item in pc.value_counts(pc.drop_null(t.column("currency"))).to_pylist():
                counts[item["values"]] += item["counts"]
    if not counts:
        return None
    best = max(counts.values())
    return sorted(c for c, n in counts.items() if n == best)[0]


def convert(table: pa.Table, currency: str | None, rates: dict[str, float]):
    """Amounts in the reporting currency. Rows in other currencies are converted with `rates`
    (1 unit of X = rates[X] reporting units) or left out. Returns (table, {currency: rows left
    out}, {currency: rows converted})."""
    cur = table.column("currency")
    if currency is None or cur.null_count == table.num_rows:
        return table, {}, {}
    other = pc.fill_null(pc.not_equal(cur, currency), False)
    if not pc.any(other).as_py():
        return table, {}, {}
    left_out, converted = {}, {}
    amount = table.column("amount")
    keep = pc.invert(other)
    for code in pc.unique(pc.filter(cur, other)).to_pylist():
        mask = pc.fill_null(pc.equal(cur, code), False)
        n = pc.sum(mask).as_py()
        rate = rates.get(code)
        if rate is None:
            left_out[code] = n
            continue
        converted[code] = n
        keep = pc.or_(keep, mask)
        amount = pc.if_else(mask, pc.multiply(amount, rate), amount)
    out = table.set_column(table.schema.get_field_index("amount"), "amount", amount)
    return out.filter(keep), left_out, converted
