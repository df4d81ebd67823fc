"""What a database source decides from its queries' results, in plain Python (no Ibis, no Arrow):
the first query's rows as a `FirstPass`, the status and currency rules, and the figures from the
figures' query's rows. The Ibis path (database.source) and the DuckDB replay (database.replay)
both use these, so a replayed report is the same function of the same rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from kpi_tui.ingest.plain import (AMOUNT_MAX, PLACEHOLDERS, key, left_out_warnings,  # noqa: F401
                                  never_moved, pick_currency, window)

# statuses of a positive row whose money went back in full (METRICS.md, Amount), on key()
REFUNDED = frozenset("refunded fullyrefunded wcrefunded rembourse remboursee remboursement "
                     "erstattet ruckerstattet zuruckerstattet reembolsado reembolsada".split())
MAX_STATUSES = 5000  # distinct status values judged one by one; beyond, a test in the engine
TZ_ENGINES = frozenset(("postgres", "duckdb", "pyspark"))  # zoned timestamps converted there
LONGEST = max(map(len, PLACEHOLDERS))  # an id longer than any placeholder is none


def dropped_status(value: str) -> bool:
    """The money never moved (the folder's rule, and Stripe's `requires_*` and `incomplete`)."""
    k = key(value)
    return never_moved(value) or k.startswith("requires") or k == "incomplete"


def refunded_status(value: str) -> bool:
    return key(value) in REFUNDED


@dataclass
class IdFacts:
    """What the customer ids (as text) hold, from the first query: the clean-up steps of
    `clean_id` that no id needs are left out of the figures' query (1.2 s of CPU per 10M rows
    on DuckDB). Unknown (None): every step."""

    spaces: bool = True  # some id starts or ends with a space or below: trim
    dot: bool = True  # some id contains ".0": the `17850.0` regex
    short: bool = True  # some id may be short enough to be empty or a placeholder

    NAMES = ("sp", "dot", "len0")

    @property
    def none(self) -> bool:
        """No step is needed."""
        return not (self.spaces or self.dot or self.short)

    @classmethod
    def of_flags(cls, flags: list) -> IdFacts:
        """From `id_flags` OR-ed together (None: no id)."""
        f = 0
        for x in flags:
            f |= int(x or 0)
        spaces, dot = bool(f & 1), bool(f & 2)
        return cls(spaces, dot, spaces or dot or bool(f & 4))

    @classmethod
    def of(cls, groups: list[dict]) -> IdFacts:
        def seen(k):  # a null: no id in that group
            return any(g[k] for g in groups if g[k] is not None)

        lens = [g["len0"] for g in groups if g["len0"] is not None]
        spaces, dot = seen("sp"), seen("dot")  # trimmed or `0.000000000` -> `0`: shorter
        return cls(spaces, dot, spaces or dot or (bool(lens) and min(lens) <= LONGEST))


@dataclass
class FirstPass:
    """What the first query says: the distinct statuses, rows per currency (over the rows
    that count), the statuses of positive amounts, and whether the plausibility rule surely
    keeps every row that counts (False: count them exactly)."""

    statuses: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    positive: set[str] = field(default_factory=set)
    plausible: bool = False
    ids: IdFacts | None = None
    rows: int = 0  # rows that count (status) and their first and last day, as stored
    days: tuple = (None, None)
    amount_max: object = None  # the largest |amount| of any row (None: unknown)

    def summary(self) -> dict:
        """`database.figures.summary`'s rows, first_day and last_day, right when no row is
        screened or left out for its currency and the dates are taken as stored."""
        return {"rows": self.rows, "first_day": self.days[0], "last_day": self.days[1]}


def first_pass(rows: list[dict], facts: bool, settings=None, engine: str = "") -> FirstPass:
    """The FirstPass of the first query's rows (s, currency, n, a0, a1, d0, d1[, sp, dot, len0]:
    one per status and currency as cleaned); `facts`: the rows have the ids' IdFacts columns."""
    out = FirstPass(sorted({r["s"] for r in rows if r["s"] is not None}))
    drop = {v for v in out.statuses if v.strip() and dropped_status(v)}
    kept = [r for r in rows if r["s"] is None or r["s"] not in drop]
    out.positive = {r["s"] for r in rows if r["s"] is not None and r["a1"] is not None
                    and not r["a1"] <= 0}  # NaN: maybe positive
    for r in kept:
        if r["currency"] is not None:
            out.counts[r["currency"]] = out.counts.get(r["currency"], 0) + r["n"]
    if facts:
        out.ids = IdFacts.of(rows)
    out.rows = sum(r["n"] for r in kept)
    ends = [abs(r[k]) for r in rows for k in ("a0", "a1") if r[k] is not None]
    out.amount_max = max(ends, default=0) if all(e == e for e in ends) else None  # NaN: unknown
    d0, d1 = ([r[k] for r in kept if r[k] is not None] for k in ("d0", "d1"))
    out.days = (day_number(min(d0)), day_number(max(d1))) if d0 else (None, None)
    if settings is not None:
        shifted = bool(settings.timezone) and engine in TZ_ENGINES  # dates may move by the zone
        out.plausible = all(surely_kept(r["a0"], r["a1"], r["d0"], r["d1"], settings, shifted)
                            for r in kept)
    return out


def day_number(d) -> int:
    """Day number (days since 1970-01-01) of a date or naive timestamp."""
    if isinstance(d, datetime.datetime):
        d = d.date()
    return (d - datetime.date(1970, 1, 1)).days


def surely_kept(a0, a1, d0, d1, settings, shifted: bool) -> bool:
    """Whether rows whose amounts lie in a0..a1 and dates (date or timestamp values as stored)
    in d0..d1 are all kept. `shifted`: dates are moved to a timezone, by less than a day."""
    if a0 is not None and not (-AMOUNT_MAX <= float(a0) and float(a1) <= AMOUNT_MAX):
        return False  # NaN compares false: not surely kept
    if d0 is None:
        return True
    if not isinstance(d0, datetime.date) or not isinstance(d1, datetime.date):
        return False
    lo, hi = window(settings)
    day = datetime.timedelta(days=1 if shifted else 0)
    return lo <= _date(d0) - day and _date(d1) + day <= hi


def _date(v):
    return v.date() if isinstance(v, datetime.datetime) else v


def left_out(counts: dict[str, int], currency: str | None, rates: dict[str, float]) -> dict:
    """Currencies without a rate to `currency`: {currency: rows left out}."""
    if currency is None:
        return {}
    return {c: n for c, n in sorted(counts.items()) if c != currency and c not in rates}


def no_customer_warning(where: str) -> str:
    """A table or query with neither a customer id nor an e-mail column (a folder's file says
    the same: ingest.layouts.common.NO_CUSTOMER)."""
    return (f"{where}: no customer id or e-mail column: its rows count as unattributed revenue, "
            f"not as customers. To count customers by a name or phone column, name it in the "
            f"[mapping] of kpi-tui.toml, with the date and amount columns (customer = \"...\")")


def reporting_currency(counts: dict[str, int], settings, has_column: bool) -> str | None:
    """The setting, else (with a currency column) the currency of most rows."""
    if has_column:
        return pick_currency(counts, settings.currency)
    return settings.currency.upper() if settings.currency else None


def micros_fit(amount_max, scale: int) -> bool:
    """Whether a decimal amount of `scale` times 10**6 fits a 64-bit decimal for every row
    (`amount_max`: the largest |amount|, None: unknown)."""
    return scale <= 6 and amount_max is not None and amount_max * 10 ** (scale + 6) < 10 ** 17


# -- the figures from the figures' query's rows (plain Python: metrics.series) -----------------

def summary_of(rows: list[dict], known: dict | None = None) -> dict:
    """`database.figures.summary` from the rows of a `period_query(..., with_summary=True)`
    (or `known`)."""
    from kpi_tui.metrics import periods

    unattributed = [r["unattributed"] for r in rows if r["unattributed"] is not None]
    s = {"unattributed": sum(unattributed) if unattributed else None}
    if known:
        return {"rows": known["rows"], "first_day": known["first_day"],
                "last_day": known["last_day"], **s}
    d0 = [r["d0"] for r in rows if r["d0"] is not None]
    d1 = [r["d1"] for r in rows if r["d1"] is not None]
    return {"rows": sum(int(r["rows"] or 0) for r in rows),
            "first_day": periods.to_day(min(d0)) if d0 else None,
            "last_day": periods.to_day(max(d1)) if d1 else None, **s}


def summary_and_figures_of(rows: list[dict], g: str, as_of, margin: float, known: dict | None):
    """(summary, figures of granularity g) from the rows of the figures' query."""
    from kpi_tui.metrics import periods
    from kpi_tui.metrics.series import finish, series_from_aggregates

    s = summary_of(rows, known)
    if s["first_day"] is None:
        return s, []
    first, last = periods.period_of(s["first_day"], g), periods.period_of(s["last_day"], g)
    d = periods.to_day(as_of) if as_of is not None else s["last_day"]
    return s, finish(series_from_aggregates(first, last, fill(rows, first, last), margin), g, d)


def fill(rows: list[dict], first: int, last: int, k: int = 0) -> dict:
    """The AGGREGATES of one query's rows (k, p, cls: `figures._by_class`) as lists over
    periods first..last (0 where none). Churn comes from the periods' counts: the customers
    active in P-1 and not retained in P (those active in P-1 are retained, or not active, or
    have no row in P), with their revenue of P-1."""
    from kpi_tui.metrics.series import AGGREGATES

    n = last - first + 1
    out = {a: [0] * max(n, 0) for a in AGGREGATES}
    active: dict[int, list[int]] = {}  # p -> [customers, revenue] of the active ones
    for r in rows:
        if r["k"] != k:
            continue
        p = int(r["p"])
        i = p - first
        c, cn, v = int(r["cls"]), int(r["n"] or 0), int(r["v"] or 0)
        if c:
            got = active.setdefault(p, [0, 0])
            got[0] += cn
            got[1] += v
        if not 0 <= i < n:  # (the period before the first counts for churn)
            continue
        out["revenue"][i] += v
        if c:
            out["active_n"][i] += cn
            out["active_sum"][i] += v
        if c == 1:
            out["retained_n"][i] += cn
            out["retained_rev"][i] += v
            out["retained_prev"][i] += int(r["vp"] or 0)
            out["expansion"][i] += int(r["expansion"] or 0)
            out["contraction"][i] += int(r["contraction"] or 0)
        elif c in (2, 3):
            name = "new" if c == 2 else "react"
            out[name + "_n"][i] += cn
            out[name + "_rev"][i] += v
    for i in range(max(n, 0)):
        was_n, was_sum = active.get(first + i - 1, (0, 0))
        out["churn_n"][i] = was_n - out["retained_n"][i]
        out["churn_prev"][i] = was_sum - out["retained_prev"][i]
    return out
