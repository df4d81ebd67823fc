"""Who is behind a movement, computed in the database: the groups of
`kpi_tui.metrics.customers` (same tests, ranking, ties by name and row fields) as one Ibis
query per page, ORDER BY / LIMIT in the engine. `t`: an Ibis table with customer (string, null
= unattributed), date (date) and micros (int64, signed amount in micro-units).

    s = span(t, "month")                       # the series and the as-of day
    page = drill(t, s, period_at(s, None), "churned", limit=50)   # page.rows, page.totals()
    for row in pages(t, s, p, "retained", stream=conn.stream): ...  # a whole list

Only a page of customers (with its group's totals) comes back, never the transactions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis

from kpi_tui.database.figures import period_index as period_of  # noqa: F401 (for at_risk, cohorts)
from kpi_tui.metrics import periods
from kpi_tui.metrics.groups import AT_RISK_COLUMNS, COLUMNS, GROUPS, TITLES
from kpi_tui.metrics.series import MICROS

PAGE = 10_000  # rows per batch of a whole list read through a cursor (or per query, paging)


# -- periods and names in the engine -----------------------------------------------------------
def epoch_days(date):
    """Days since 1970-01-01, as periods.to_day."""
    return date.epoch_days().cast("int64")


@ibis.udf.scalar.builtin(name="convert_to")
def _pg_bytes(s: str, encoding: str) -> bytes:
    """PostgreSQL: the UTF-8 bytes of a string (bytea compares byte by byte)."""


@ibis.udf.scalar.builtin(name="hex")
def _hex(s: str) -> str:
    """MySQL: the bytes as hex digits (compares byte by byte under any collation)."""


def name_key(t):
    """A key that groups and orders customer names byte by byte, as the folder engine does
    (pyarrow's order), whatever the database's collation: case- and accent-insensitive MySQL
    collations would merge and reorder 'Anna' and 'anna'."""
    engine = t.get_backend().name
    if engine == "postgres":
        return _pg_bytes(t.customer, "UTF8")
    if engine == "mysql":
        return _hex(t.customer)
    return t.customer  # DuckDB, Spark, BigQuery, Trino, ClickHouse: binary order already


def attributed(t):
    """The rows with a customer, with its key `k`."""
    a = t.filter(t.customer.notnull())
    return a.mutate(k=name_key(a))


def _run(expr, run=None):
    return run(expr) if run is not None else expr.to_pyarrow()


@dataclass(frozen=True)
class Span:
    """The series: first and last period of `g` (over every row, attributed or not) and the
    as-of day D (given, else the latest transaction's)."""

    g: str
    first: int
    last: int
    d: int


def span(t, g: str, as_of: dt.date | None = None, run=None) -> Span | None:
    """The Span of the transactions `t` (one query; see span_of when the days are known)."""
    r = _run(t.aggregate(lo=t.date.min(), hi=t.date.max()), run).to_pylist()[0]
    if r["lo"] is None:
        return None
    return span_of(g, periods.to_day(r["lo"]), periods.to_day(r["hi"]), as_of)


def span_of(g: str, first_day: int, last_day: int, as_of: dt.date | None = None) -> Span:
    """The Span of transactions from `first_day` to `last_day` (days since 1970-01-01)."""
    d = periods.to_day(as_of) if as_of is not None else last_day
    return Span(g, periods.period_of(first_day, g), periods.period_of(last_day, g), d)


def period_at(s: Span | None, at: dt.date | None) -> int | None:
    """As metrics.customers.period_at: the period holding `at`, else the latest complete one."""
    if s is None:
        return None
    if at is not None:
        return periods.period_of(periods.to_day(at), s.g)
    p = s.last
    while p > s.first and periods.end_day(p, s.g) > s.d:
        p -= 1
    return s.last if periods.end_day(p, s.g) > s.d else p


# -- the lists ---------------------------------------------------------------------------------
@dataclass
class DrillPage:
    """One page of a group's customers (rows as Drill.rows(): money in units) and the totals of
    the whole group (as Drill.totals())."""

    group: str
    g: str
    period: int
    rows: list[dict]
    total: dict
    offset: int = 0
    as_of: int | None = None

    def __len__(self) -> int:
        return self.total["customers"]

    def totals(self) -> dict:
        return self.total

    def title(self) -> str:
        cur, prev = periods.label(self.period, self.g), periods.label(self.period - 1, self.g)
        asof = "" if self.as_of is None else periods.from_day(self.as_of).isoformat()
        return TITLES[self.group].format(cur=cur, prev=prev, asof=asof)

    def columns(self) -> tuple[str, ...]:
        return COLUMNS + (AT_RISK_COLUMNS if self.group == "at-risk" else ())


def _date(day: int):
    return ibis.literal(periods.from_day(day), "date")


def per_customer(t, g: str, p: int, d: int):
    """One row per customer: previous = v(c,P-1), current = v(c,P), fp (first purchase); the
    latest purchase on or before the end of P (last_p) or D (last_d); the positive transactions
    in P (orders), P-1 (orders_prev) and up to D (orders_d)."""
    a = attributed(t)
    pos = a.micros > 0
    in_prev = a.date.between(_date(periods.start_day(p - 1, g)), _date(periods.end_day(p - 1, g)))
    in_cur = a.date.between(_date(periods.start_day(p, g)), _date(periods.end_day(p, g)))
    return a.group_by("k").aggregate(
        customer=a.customer.min(),
        previous=ibis.ifelse(in_prev, a.micros, 0).sum(),
        current=ibis.ifelse(in_cur, a.micros, 0).sum(),
        fp=a.date.min(where=pos),
        last_p=a.date.max(where=pos & (a.date <= _date(periods.end_day(p, g)))),
        last_d=a.date.max(where=pos & (a.date <= _date(d))),
        orders=ibis.ifelse(pos & in_cur, 1, 0).sum(),
        orders_prev=ibis.ifelse(pos & in_prev, 1, 0).sum(),
        orders_d=ibis.ifelse(pos & (a.date <= _date(d)), 1, 0).sum(),  # at-risk: all so far
    )


ROW = ("k", "customer", "previous", "current", "fp", "last", "orders", "sort_")


def members(c, s: Span, p: int, group: str, t=None, rule=None, run=None):
    """The customers of `group` among `c` (per_customer), with the row fields and `sort_`
    (ascending; ties: by key k). at-risk needs the transactions `t` for its assessment (whose
    one-time buyers' gap is queried first, with `run`)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; one of {', '.join(GROUPS)}")
    v, vp = c.current, c.previous
    if group == "at-risk":
        from kpi_tui.database.at_risk import assessment

        a = assessment(t, s.g, s.d, rule, run)
        a = a.filter(a.at_risk).select("k", "days_since", "usual_gap", "net", "periods_n",
                                       "value_at_stake")
        c = c.join(a, "k")
        return c.select(*ROW[:5], "days_since", "usual_gap", "net", "periods_n",
                        "value_at_stake", last=c.last_d, orders=c.orders_d,
                        sort_=-c.value_at_stake)
    if group == "churned":
        m, key = c.filter((vp > 0) & (v <= 0)), -vp
    elif group == "refunded":
        m, key = c.filter((v < 0) | (vp < 0)), ibis.least(ibis.least(vp, 0), ibis.least(v, 0))
    elif group in ("retained", "contracted", "expanded"):
        keep = (v > 0) & (vp > 0)
        if group == "contracted":
            keep &= v < vp
        elif group == "expanded":
            keep &= v > vp
        m, key = c.filter(keep), (vp - v) if group == "expanded" else (v - vp)
    else:
        first_here = c.fp >= _date(periods.start_day(p, s.g))
        m, key = c.filter((v > 0) & (vp <= 0) & (first_here if group == "new" else ~first_here)), -v
    orders = c.orders_prev if group == "churned" else c.orders
    return m.select(*ROW[:5], last=m.last_p, orders=orders, sort_=key.cast("int64"))


def _empty(group: str, s: Span | None, p: int) -> bool:
    if s is None:
        return True
    return group != "at-risk" and not s.first < p <= s.last


def drill(t, s: Span | None, p: int, group: str, limit: int | None = 50, offset: int = 0,
          rule=None, run=None, hex_names: bool = False) -> DrillPage:
    """Rows offset..offset+limit of `group` in period `p`, ranked, and the group's totals."""
    return drills(t, s, p, (group,), limit, offset, rule, run, hex_names)[group]


def drills(t, s: Span | None, p: int, groups, limit: int | None = 50, offset: int = 0,
           rule=None, run=None, hex_names: bool = False) -> dict[str, DrillPage]:
    """`drill` of several groups (the lists behind one effect, say) in one query: the
    per-customer sums once, each group's ranking and totals as window functions; at-risk, which
    has more columns, in a query of its own. `hex_names`: the customer column holds the names'
    UTF-8 bytes as hex digits (database.transactions does so in MySQL), shown decoded."""
    out = {}
    for g in groups:
        if _empty(g, s, p):
            out[g] = DrillPage(g, s.g if s else "month", p, [], _totals({}, g), offset,
                               None if s is None else s.d)
    rest = [g for g in groups if g not in out and g != "at-risk"]
    for batch in ([rest] if rest else []) + ([["at-risk"]] if "at-risk" in groups and
                                            "at-risk" not in out else []):
        c = per_customer(t, s.g, p, s.d)
        parts = [_with_totals(members(c, s, p, g, t, rule, run), g).mutate(
            grp=ibis.literal(i, "int64")) for i, g in enumerate(batch)]
        m = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
        # each group's rank and totals: window functions over the group
        w = ibis.window(group_by="grp", order_by=[m.sort_, m.k])
        sums = {f"total_{k}": v.over(ibis.window(group_by="grp"))
                for k, v in _sums(m, batch[0]).items()}
        m = m.mutate(rn=ibis.row_number().over(w), **sums)
        if offset:
            m = m.filter(m.rn >= offset)
        if limit is not None:
            m = m.filter(m.rn < offset + limit)
        # ORDER BY last: MySQL ignores the order of a subquery
        got = _run(m.order_by(["grp", "rn"]), run).to_pylist()
        for i, g in enumerate(batch):
            rows = [r for r in got if r["grp"] == i]
            if rows:
                total = _totals({k[6:]: v for k, v in rows[0].items() if k.startswith("total_")},
                                g)
            elif offset:  # a page past the end: the totals on their own
                pg = parts[i]
                total = _totals(_run(pg.aggregate(**_sums(pg, g)), run).to_pylist()[0], g)
            else:
                total = _totals({}, g)
            out[g] = DrillPage(g, s.g, p, [_row(r, g, hex_names) for r in rows], total, offset,
                               s.d)
    return out


def pages(t, s: Span | None, p: int, group: str, size: int = PAGE, rule=None, run=None,
          hex_names: bool = False, stream=None):
    """Every row of the list (for CSV / JSON output): one query read `size` rows at a time
    (`stream`: Connection.stream), else one query per page of `size` rows."""
    batches = None
    if stream is not None and not _empty(group, s, p):
        c = per_customer(t, s.g, p, s.d)
        m = members(c, s, p, group, t, rule, run)
        batches = stream(m.order_by([m.sort_, m.k]), size)
    if batches is not None:
        for rows in batches:
            yield from (_row(r, group, hex_names) for r in rows)
        return
    offset = 0
    while True:
        page = drill(t, s, p, group, size, offset, rule, run, hex_names)
        yield from page.rows
        offset += size
        if len(page.rows) < size:
            return


def _with_totals(m, group: str):
    """What the totals add up (tp, tc): for refunded, the negative amounts only (Drill.totals)."""
    if group == "refunded":
        return m.mutate(tp=ibis.least(m.previous, 0), tc=ibis.least(m.current, 0))
    return m.mutate(tp=m.previous, tc=m.current)


def _sums(m, group: str) -> dict:
    out = dict(customers=m.count(), previous=m.tp.sum(), current=m.tc.sum())
    if group == "at-risk":
        out["value_at_stake"] = m.value_at_stake.sum()
    return out


def _totals(r: dict, group: str) -> dict:
    prev, cur = int(r.get("previous") or 0), int(r.get("current") or 0)
    out = {"customers": int(r.get("customers") or 0), "previous": prev / MICROS,
           "current": cur / MICROS, "change": (cur - prev) / MICROS}
    if group == "refunded":
        out["change"] = out["current"] - out["previous"]
    if group == "at-risk":
        out["value_at_stake"] = float(r.get("value_at_stake") or 0.0) / MICROS
    return out


def _iso(day) -> str | None:
    return None if day is None else day.isoformat()


def _row(r: dict, group: str, hex_names: bool = False) -> dict:
    prev, cur = int(r["previous"]), int(r["current"])
    name = bytes.fromhex(r["customer"]).decode("utf-8") if hex_names else r["customer"]
    out = {"customer": name, "previous": prev / MICROS, "current": cur / MICROS,
           "change": (cur - prev) / MICROS, "first_purchase": _iso(r["fp"]),
           "last_purchase": _iso(r["last"]), "orders": int(r["orders"])}
    if group == "at-risk":
        from kpi_tui.database.at_risk import row_fields

        out.update(row_fields(r))
    return out
