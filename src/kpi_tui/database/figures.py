"""Per-period figures computed in the engine: one query per granularity returns one row per
period (the AGGREGATES of metrics.movements); the derived figures come from the same
`series_from_aggregates` the folder engine uses."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.operations as ops

from kpi_tui.database.rules import IdFacts, fill, summary_and_figures_of, summary_of  # noqa: F401
from kpi_tui.database.transactions import id_flags, no_placeholder, placeholder
from kpi_tui.metrics import periods
from kpi_tui.metrics.series import finish, series_from_aggregates, windows

_INT64 = ibis.dtype("int64")
_K = 100_000  # shifts week numbers positive so that integer division floors (dates after 1049)


def period_index(date, g: str):
    """The engine's twin of metrics.periods.period_index (int64, same numbers)."""
    if g == "day":
        return date.epoch_days().cast("int64")
    if g == "week":  # (days - 4) // 7, 1970-01-05 being a Monday
        return ((date.epoch_days().cast("int64") + (7 * _K - 4)) // 7 - _K).cast("int64")
    y, m = date.year().cast("int64") - 1970, date.month().cast("int64") - 1
    if g == "month":
        return y * 12 + m
    if g == "quarter":
        return y * 4 + m // 3
    if g == "year":
        return y
    raise ValueError(f"unknown granularity {g!r}")


def in_part(x, part: tuple[int, int] | None):
    """The rows of `x` whose customer falls in part i of n (`part` = (i, n); None: all), on
    DuckDB. A customer's rows, and the rows without one, are all in one part, and every figure
    of a period is a sum or a count over customers: the parts' answers add up (`rules.fill`,
    `summary_of`)."""
    if part is None:
        return x
    i, n = part
    return x.filter(_duckdb_hash(x.customer.cast("string")) % n == i)


@ibis.udf.scalar.builtin(name="hash", signature=((ibis.dtype("string"),), ibis.dtype("uint64")))
def _duckdb_hash(x):
    """DuckDB's hash() (parts are DuckDB's: connect.expect_rows). Ibis's own `hash()` casts it
    to a signed BIGINT through BIT: 100M rows, 4 parts: +3 s of CPU a part."""


def by_parts(run, query, parts: int) -> list[dict]:
    """The rows of query(part) over the `parts` parts of the customers, one query each (a
    large DuckDB table: each part's query holds 1/parts of the customers in kpi-tui's memory);
    parts 1: query(None)."""
    if parts <= 1:
        return run(query(None)).to_pylist()
    return [r for i in range(parts) for r in run(query((i, parts))).to_pylist()]


def summary(txn):
    """One row: rows, first_day, last_day (over every row, attributed or not), unattributed."""
    s = txn.aggregate(rows=txn.count(), first=txn.date.min(), last=txn.date.max(),
                      unattributed=txn.micros.sum(where=txn.customer.isnull()))
    return s.select("rows", first_day=s.first.epoch_days().cast("int64"),  # once, not per row
                    last_day=s.last.epoch_days().cast("int64"), unattributed=s.unattributed)


def _movements(sums, fp, lo: int, hi: int):
    """Per (k, p, cls) of periods lo..hi (`_by_class`), from v(c,P) `sums` (k, customer, p, v)
    and the first purchase period `fp` (k, customer, fp).

    No join: v(c,P), v(c,P-1) and the first-purchase mark meet on the key (k, c, P) of one
    UNION ALL grouped once (a join of two derived tables is slow on some engines)."""
    zero = ibis.literal(0, "int64")
    cur = sums.select("k", "customer", "p", v=sums.v, vp=zero, first=zero)
    nxt = sums.select("k", "customer", p=sums.p + 1, v=zero, vp=sums.v, first=zero)
    mark = fp.select("k", "customer", p=fp.fp, v=zero, vp=zero, first=ibis.literal(1, "int64"))
    u = cur.union(nxt, mark, distinct=False)
    u = u.group_by("k", "customer", "p").aggregate(v=u.v.sum(), vp=u.vp.sum(),
                                                    first=u.first.max())
    return _by_class(u.filter((u.p >= lo) & (u.p <= hi)), ["k"])


def _movements_in_order(sums, keys: list[str], ids: bool = False):
    """Per (keys, p, cls) (`_by_class`), from `sums` (keys, customer, p, v, bought[, n, d0,
    d1][, ph]; customer null = unattributed), in one pass: v(c,P-1) and the first purchase come
    from window functions over each customer's periods in order (one sort of the per-customer
    sums). Summed per class: a few plain sums in place of a filtered sum per figure (10M rows:
    1.41 s against 1.52 s); churn needs no column (`rules.fill`). Plus `unattributed`, and
    `rows`/`d0`/`d1` when `sums` has n, d0, d1; `ids`: plus `idf`, the `transactions.id_flags`
    of the names as stored OR-ed together (`ph`: those of a placeholder, whose row has no
    customer)."""
    zero = ibis.literal(0, "int64")
    by = [sums[k] for k in keys] + [sums.customer]
    w = ibis.window(group_by=by, order_by=sums.p)
    upto = ibis.cumulative_window(group_by=by, order_by=sums.p)
    named = sums.customer.notnull()
    fp = ibis.ifelse(sums.bought > 0, sums.p, ibis.null("int64")).min().over(upto)
    before = sums.p.lag().over(w)
    flags = {}
    if ids:  # a customer's name is the same on each of its rows: flagged on its first one
        flags["idf"] = ibis.ifelse(named, ibis.ifelse(before.isnull(), id_flags(sums.customer),
                                                      ibis.literal(0, "int8")), sums.ph)
    s = sums.mutate(  # in the window's own SELECT: each computed once per row
        v=ibis.ifelse(named, sums.v, zero), u=ibis.ifelse(named, zero, sums.v),
        vp=ibis.ifelse(named & (before == sums.p - 1), sums.v.lag().over(w), zero),
        first=ibis.ifelse(named & (fp == sums.p), 1, 0), **flags)

    def more(t) -> dict:
        got = dict(unattributed=t.u.sum(where=t.customer.isnull()))
        if "n" in sums.columns:
            got.update(rows=t.n.sum(), d0=t.d0.min(), d1=t.d1.max())
        if ids:
            got["idf"] = t.idf.bit_or()
        return got

    return _by_class(s, keys, more)


def _by_class(s, keys: list[str], more=None):
    """Per (keys, p, cls) of `s` (customer, p, v, vp, first: one row per customer and period):
    each row's class (`cls`: 0 not active, 1 retained, 2 new, 3 reactivated), and per class n,
    v, vp, expansion, contraction (`rules.fill` makes the AGGREGATES of them); `more(t)`: more
    aggregates of `t`, `s` with its classes."""
    zero = ibis.literal(0, "int64")
    cls = ibis.ifelse(s.v > 0, ibis.ifelse(s.vp > 0, 1, ibis.ifelse(s.first == 1, 2, 3)), 0)
    t = s.mutate(cls=cls.cast("int64"))
    diff = t.v - t.vp
    return t.group_by(*keys, "p", "cls").aggregate(
        n=t.customer.count(), v=t.v.sum(), vp=t.vp.sum(),
        expansion=ibis.greatest(diff, zero).sum(), contraction=ibis.least(diff, zero).sum(),
        **(more(t) if more else {}))


def int64(x):
    """x as a 64-bit integer in the SQL too: a customer's sum of micros in a period, which
    DuckDB makes a HUGEINT (PostgreSQL, MySQL a NUMERIC/DECIMAL) that the window functions and
    the sums over customers then carry (10M rows, the figures' query: 2.07 s against 2.30).
    Ibis leaves out a cast to the type it already knows (int64): the operation itself."""
    return ops.Cast(x, to=_INT64).to_expr()


def period_query(txn, spans: dict[int, tuple[str, int, int]], with_summary: bool = False,
                 known: dict | None = None, ids: bool = False,
                 part: tuple[int, int] | None = None):
    """The AGGREGATES of every period holding data, for several granularities in one query:
    `spans` = {k: (g, first, last)}; the result has one row per (k, period, class of
    customer: `_movements_in_order`), for `rules.fill`, with `unattributed`. `with_summary`:
    the rows without a customer are kept (for `unattributed`), and unless `known` (rows,
    first_day, last_day from the first query) each row also has `rows`, `d0`, `d1`
    (`summary_of`): the transactions are read once. One granularity: no k in the grouping
    keys (added as a constant). `ids`: the customers are names as stored (`optimistic_ids`):
    placeholders are set apart here, per customer and period, and each row also has `idf`
    (`transactions.id_flags` OR-ed). `part`: those customers only (`in_part`)."""
    x = in_part(txn if with_summary else txn.filter(txn.customer.notnull()), part)
    dated = with_summary and not known
    keys = [] if len(spans) == 1 else ["k"]
    parts = [x.select(**({"k": ibis.literal(k, "int64")} if keys else {}), customer=x.customer,
                      p=period_index(x.date, g), micros=x.micros,
                      **({"date": x.date} if dated else {}))
             for k, (g, _, _) in spans.items()]
    x = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    extra = dict(n=x.count(), d0=x.date.min(), d1=x.date.max()) if dated else {}
    sums = x.group_by(*keys, "customer", "p").aggregate(
        v=int64(x.micros.sum()), bought=ibis.ifelse(x.micros > 0, 1, 0).max(), **extra)
    if ids:  # names as stored: a placeholder (`n/a`...) names no customer, as in `clean_id`
        sums = sums.mutate(customer=no_placeholder(sums.customer),  # and a placeholder's flags
                           ph=ibis.ifelse(placeholder(sums.customer), id_flags(sums.customer),
                                          ibis.literal(0, "int8")))
    q = _movements_in_order(sums, keys, ids)
    return q if keys else q.mutate(k=ibis.literal(next(iter(spans)), "int64"))


def summary_and_figures(run, txn, g: str, as_of: dt.date | None = None, margin: float = 1.0,
                        known: dict | None = None, ids: bool = False, parts: int = 1):
    """`summary` and the figures of granularity g in ONE query (one scan of the table);
    `known`: rows, first_day and last_day, when the first query gave them. `ids`: the
    customers are names as stored (`optimistic_ids`), and a third item is their `IdFacts`;
    the first two are None when a name needs trimming or `17850.0` -> `17850` (the figures
    are then to be computed again with those steps). `parts`: one query per part of the
    customers (`by_parts`)."""
    got = by_parts(run, lambda part: period_query(txn, {0: (g, None, None)}, with_summary=True,
                                                  known=known, ids=ids, part=part), parts)
    if ids:
        facts = IdFacts.of_flags([r["idf"] for r in got])
        if facts.spaces or facts.dot:
            return None, None, facts
        return (*summary_and_figures_of(got, g, as_of, margin, known), facts)
    return summary_and_figures_of(got, g, as_of, margin, known)


def window_query(txn, d: int, lengths: list[int], part: tuple[int, int] | None = None):
    """AGGREGATES of the trailing windows ending on day d, for each length L (index i) in one
    query: k=2i previous (p=0) -> current (p=1), k=2i+1 year_ago (p=0) -> current (p=1).
    `part`: those customers only (`in_part`)."""
    x = in_part(txn.filter(txn.customer.notnull()), part)
    x = x.select("customer", "micros", day=x.date.epoch_days().cast("int64"))
    pos = x.filter(x.micros > 0)
    first = pos.group_by(pos.customer).aggregate(day=pos.day.min())
    parts, fps = [], []
    for i, length in enumerate(lengths):
        span = {k: (periods.to_day(w.start), periods.to_day(w.end))
                for k, w in windows(d, length).items()}

        def side(k: int, p: int, name: str):
            a, b = span[name]
            s = x.filter((x.day >= a) & (x.day <= b))
            return s.select(k=ibis.literal(k, "int64"), customer=s.customer,
                            p=ibis.literal(p, "int64"), micros=s.micros)

        parts += [side(2 * i, 0, "previous"), side(2 * i, 1, "current"),
                  side(2 * i + 1, 0, "year_ago"), side(2 * i + 1, 1, "current")]
        # first purchase in the current window: a positive transaction in it, none before
        b0, b1 = span["current"]
        new = first.filter((first.day >= b0) & (first.day <= b1))
        fps += [new.select(k=ibis.literal(k, "int64"), customer=new.customer,
                           fp=ibis.literal(1, "int64")) for k in (2 * i, 2 * i + 1)]
    u = parts[0].union(*parts[1:], distinct=False)
    sums = u.group_by("k", "customer", "p").aggregate(v=int64(u.micros.sum()))
    fp = fps[0].union(*fps[1:], distinct=False) if len(fps) > 1 else fps[0]
    return _movements(sums, fp, 0, 1)


def period_figures(run, txn, gs, first_day: int, last_day: int, as_of: dt.date | None = None,
                   margin: float = 1.0, parts: int = 1) -> dict[str, list[dict]]:
    """metrics.figures.period_figures of each granularity of `gs`, computed in the engine in one
    query (`run` executes it; one per part of the customers: `by_parts`)."""
    spans = {}
    for k, g in enumerate(gs):
        spans[k] = (g, periods.period_of(first_day, g), periods.period_of(last_day, g))
    got = by_parts(run, lambda part: period_query(txn, spans, part=part), parts)
    d = periods.to_day(as_of) if as_of is not None else last_day
    return {g: finish(series_from_aggregates(first, last, fill(got, first, last, k), margin), g, d)
            for k, (g, first, last) in spans.items()}


def window_figures(run, txn, gs, last_day: int | None, as_of: dt.date | None = None,
                   margin: float = 1.0, parts: int = 1) -> dict[str, dict | None]:
    """metrics.figures.window_figures of each granularity of `gs`, computed in one query (one
    per part of the customers: `by_parts`)."""
    d = periods.to_day(as_of) if as_of is not None else last_day
    if d is None:
        return {g: None for g in gs}
    lengths = [periods.WINDOW_DAYS[g] for g in gs]
    got = by_parts(run, lambda part: window_query(txn, d, lengths, part), parts)
    strip = lambda r: {k: v for k, v in r.items() if k != "index"}  # noqa: E731
    out = {}
    for i, (g, length) in enumerate(zip(gs, lengths)):
        prev, cur = series_from_aggregates(0, 1, fill(got, 0, 1, 2 * i), margin)
        yago, cur_y = series_from_aggregates(0, 1, fill(got, 0, 1, 2 * i + 1), margin)
        out[g] = {
            "length": length,
            **{k: {"start": w.start.isoformat(), "end": w.end.isoformat()}
               for k, w in windows(d, length).items()},
            "vs_previous": strip(cur),
            "vs_year_ago": strip(cur_y),
            "previous_figures": strip(prev),
            "year_ago_figures": strip(yago),
        }
    return out
