"""The folder's plausibility rule (ingest.plausible) in the engine: amounts not finite or beyond
AMOUNT_MAX, and dates outside date_min..date_max (default 1990-01-01..tomorrow), left out and
counted with the folder's reasons. The first query (database.transactions.status_currency)
gives the range of amounts and dates; only when it is not surely inside are the rows counted
exactly, and they are filtered in the figures' query only when some are out."""

from __future__ import annotations

import datetime as dt

import ibis

from kpi_tui.database.rules import surely_kept  # noqa: F401
from kpi_tui.ingest.plain import AMOUNT_MAX, NOT_FINITE, TOO_LARGE, iso, window

_NAN_ENGINES = ("postgres", "duckdb")  # where Ibis compiles isnan / isinf
KEYS = ("nf", "big", "out")


def flags(amount, date, settings, engine: str = "") -> dict:
    """{nf, big, out}: boolean expressions (never null), in the folder's order: a row is
    judged on its amount first, then on its date."""
    lo, hi = window(settings)
    false = ibis.literal(False)
    if amount.type().is_floating() and engine in _NAN_ENGINES:
        nf = (amount.isnan() | amount.isinf()).fill_null(False)
        big = ~nf & (amount.abs() > AMOUNT_MAX).fill_null(False)
    elif amount.type().is_floating():  # NaN and ±inf are not <= the bound either
        nf, big = false, (amount.notnull() & ~(amount.abs() <= AMOUNT_MAX)).fill_null(False)
    else:
        nf, big = false, (amount.abs() > int(AMOUNT_MAX)).fill_null(False)
    outside = (date < lo) | (date > hi)
    if engine == "mysql":  # its dates with a zero month or day ('2025-00-00'): no date
        outside = outside | (date.month() < 1) | (date.day() < 1)
    out = (~nf & ~big & outside).fill_null(False)
    return {"nf": nf, "big": big, "out": out}


def ok(amount, date, settings, engine: str = ""):
    """The rows that may count."""
    f = flags(amount, date, settings, engine)
    return ~(f["nf"] | f["big"] | f["out"])


def reasons(counts: dict, dates: list[tuple[int, int]], settings) -> dict[str, int]:
    """{reason: rows} as ingest.plausible.screen names them, from the counts {nf, big, out}
    and the (day, rows) of the dates left out (up to 4 of them)."""
    got = {NOT_FINITE: counts.get("nf", 0), TOO_LARGE: counts.get("big", 0)}
    if counts.get("out"):
        if len(dates) <= 3 and all(d is not None for d, _ in dates):  # (None: `infinity`)
            got.update({f"dated {iso(d)}": n for d, n in sorted(dates)})
        else:
            lo, hi = window(settings)
            got[f"dated outside {lo.isoformat()} to {hi.isoformat()}"] = counts["out"]
    return {k: int(n) for k, n in got.items() if n}


def out_dates(t, settings, engine: str, run) -> list[tuple[int, int]]:
    """(day, rows) of the distinct dates left out of `t` (counted rows), 4 at most."""
    x = t.filter(flags(t.amount, t.date, settings, engine)["out"])
    # a date beyond years 1..9999 (infinity, 20230-01-05, BC) has no day here (PostgreSQL
    # cannot subtract infinite timestamps): None, named by the window
    lo, hi = (dt.datetime.min, dt.datetime.max) if x.date.type().is_timestamp() else (
        dt.date.min, dt.date.max)
    day = ibis.ifelse((x.date >= lo) & (x.date <= hi), x.date.epoch_days().cast("int64"),
                      ibis.null("int64"))
    x = x.group_by(d=day).aggregate(n=x.count()).limit(4)
    got = run(x)
    return list(zip(got.column("d").to_pylist(), got.column("n").to_pylist()))


def counts(t, settings, engine: str, run) -> dict[str, int]:
    """{nf, big, out} over `t` (counted rows): where the first pass could not say."""
    f = flags(t.amount, t.date, settings, engine)
    # a flag that is the literal False (no NaN test on MySQL and Spark, none on decimals) is
    # no column to sum: 0 (it stopped MySQL's report with a traceback)
    aggs = {k: f[k].sum() for k in KEYS if not isinstance(f[k], ibis.expr.types.Scalar)}
    got = run(t.aggregate(**aggs)).to_pylist()[0] if aggs else {}
    return {k: int(got.get(k) or 0) for k in KEYS}


def warnings(reasons: dict[str, int], where: str) -> list[str]:
    """The folder's lines ('1 row dated 9999-12-31 left out: typo.csv'), for a table."""
    out = []
    for reason, n in reasons.items():
        rows = "1 row" if n == 1 else f"{n:,} rows"
        what = reason if reason.startswith("dated ") else f"with {reason}"
        out.append(f"{rows} {what} left out: {where}")
    return out
