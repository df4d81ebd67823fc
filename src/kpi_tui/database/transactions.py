"""The normalised transactions of a table or query, as ONE Ibis expression (METRICS.md, Input).

`transactions(rows, fields, settings)` is the contract the figures, customer lists, at-risk and
cohorts build on. Its result has one row per counted row of the source (rows are never merged):

- `customer` string: the customer (ids and e-mails linked: named by the smallest id of the
  person, else the smallest e-mail); null = unattributed. On MySQL/MariaDB it is HEX() of the
  name (the server's default collation would merge `abc` and `ABC`): UNHEX it to show it.
- `date` date: the wall-clock date (timestamps with a zone converted to settings.timezone).
- `micros` int64: the signed amount in the reporting currency, round(amount * 1e6).
- `currency` string: the row's currency as written (upper-cased), null when none.
- `txn_id` string: the order or transaction id, null when none.

Rows dropped: types that are not a sale or refund (transfers, fees...: `sales`), statuses
that say the money never moved, rows in a currency without a rate.
A few small queries run while it is built (distinct statuses, the currency count, the linking
rounds); nothing is written to the database.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.datatypes as dt

from kpi_tui.database import plausible
from kpi_tui.database.columns import Fields
from kpi_tui.database.rules import (LONGEST, MAX_STATUSES, REFUNDED, TZ_ENGINES,  # noqa: F401
                                    FirstPass, IdFacts, dropped_status, first_pass, left_out,
                                    micros_fit, refunded_status)
from kpi_tui.ingest.plain import NEVER_MOVED, NOT_SALE, PLACEHOLDERS, not_sale, pick_currency
from kpi_tui.settings import Settings

MAX_ROUNDS = 64  # linking rounds before giving up

Run = Callable  # expression -> pyarrow.Table


def _run(expr):
    return expr.to_pyarrow()


def status_values(rows, f: Fields, run: Run = _run) -> list[str] | None:
    """The distinct statuses (None when there are more than MAX_STATUSES)."""
    if not f["status"]:
        return []
    col = rows[f["status"]].cast("string")
    got = run(rows.filter(col.notnull()).select(s=col).distinct().limit(MAX_STATUSES + 1))
    values = [v for v in got.column("s").to_pylist() if v is not None]
    return None if len(values) > MAX_STATUSES else values


# plain.not_sale in the engine: one of its words in a type, lower-cased (accents as written;
# holds and releases need two words: not judged there)
_NOT_SALE_RE = (r"(^|[^a-z0-9])(" + "|".join(sorted(NOT_SALE | {
    "gebühr", "gebühren", "überweisung", "währungsumrechnung", "comisión", "conversión",
    "cash back", "cash-back"})) + r")($|[^a-z0-9])")


def sales(rows, f: Fields, run: Run = _run, engine: str = ""):
    """(the rows that are sales or refunds, the type values left out): a type column's
    transfers, withdrawals, holds, releases, fees, conversions, cash-back (plain.not_sale),
    judged on its distinct values; past MAX_STATUSES of them, by a regular expression in the
    engine (then the values left out are None)."""
    if not f["type"]:
        return rows, []
    typ = rows[f["type"]].cast("string")
    got = run(rows.filter(typ.notnull()).select(k=typ).distinct().limit(MAX_STATUSES + 1))
    values = [v for v in got.column("k").to_pylist() if v is not None]
    if len(values) > MAX_STATUSES:
        return rows.filter(typ.isnull() | ~typ.lower().re_search(_NOT_SALE_RE)), None
    drop = sorted(v for v in values if v.strip() and not_sale(v))
    return (rows.filter(typ.isnull() | ~typ.isin(drop)) if drop else rows), drop


def status_currency(rows, f: Fields, run: Run = _run, engine: str = "",
                    settings: Settings | None = None, ids: bool = True) -> FirstPass | None:
    """`status_values`, `currency_counts`, the statuses of positive amounts and whether the
    plausibility rule surely keeps every row, in one query of plain aggregates (rows per
    (status, currency), grouped on the values as stored and cleaned after); None when there
    are too many pairs (then ask them one by one). `ids` False: no `IdFacts` (`ids` None)."""
    null = ibis.null(dt.string)
    raw = rows.select(s=rows[f["status"]] if f["status"] else null,
                      c=rows[f["currency"]] if f["currency"] else null, a=_amount(rows, f, engine),
                      d=rows[f["date"]], **(_id_columns(rows, f) if ids else {}))
    g = raw.group_by("s", "c").aggregate(n=raw.count(), a0=raw.a.min(), a1=raw.a.max(),
                                         d0=raw.d.min(), d1=raw.d.max(), **_id_facts(raw))
    c = _strip(g.c.cast("string"), engine).upper()
    facts = [k for k in IdFacts.NAMES if k in g.columns]
    x = g.select("n", "a0", "a1", "d0", "d1", *facts, s=g.s.cast("string"),
                 currency=_null_if(c, c == ""))
    more = {k: (x[k].min() if k == "len0" else x[k].max()) for k in facts}
    got = run(x.group_by("s", "currency").aggregate(
        n=x.n.sum(), a0=x.a0.min(), a1=x.a1.max(), d0=x.d0.min(), d1=x.d1.max(), **more)
              .limit(MAX_STATUSES + 1))
    if got.num_rows > MAX_STATUSES:
        return None
    names = ("s", "currency", "n", "a0", "a1", "d0", "d1", *facts)
    rows_ = [dict(zip(names, r)) for r in zip(*(got.column(k).to_pylist() for k in names))]
    return first_pass(rows_, bool(facts), settings, engine)


def _id_columns(rows, f: Fields) -> dict:
    """The customer id as text, for `_id_facts` (none for integer ids: nothing to clean)."""
    if not f["customer"] or rows[f["customer"]].type().is_integer():
        return {}
    return {"i": rows[f["customer"]].cast("string")}


def _id_facts(raw) -> dict:
    return id_facts(raw.i) if "i" in raw.columns else {}


def id_facts(i) -> dict:
    """The aggregates of `IdFacts.of` over the ids (text) `i`."""
    def flag(cond):  # 1 where true (MAX of a boolean is not portable)
        return ibis.ifelse(cond, 1, 0).max()

    return {"sp": flag(_spaced(i)), "dot": flag(i.contains(".0")), "len0": i.length().min()}


def id_flags(i):
    """Per id (text): 1 spaced + 2 `.0` + 4 short enough to be a placeholder (int8), for
    `IdFacts.of_flags` (their BIT_OR)."""
    def bit(cond, b: int):
        return ibis.ifelse(cond, ibis.literal(b, "int8"), ibis.literal(0, "int8"))

    return bit(_spaced(i), 1) + bit(i.contains(".0"), 2) + bit(i.length() <= LONGEST, 4)


def optimistic_ids(f: Fields, rows, engine: str) -> bool:
    """Whether the customer ids' `IdFacts` can be checked in the figures' query itself, on the
    names grouped per customer and period (a few times fewer than rows), instead of on every
    row of the first query: the customer is the id as stored (text, no e-mail linked to it);
    placeholders are set apart after the grouping, and the figures are computed again only if
    an id needs trimming or `17850.0` -> `17850`. On DuckDB only, where the test is most of
    the first query (0.25 s of 0.45 s per 10M rows)."""
    return (engine == "duckdb" and bool(f["customer"]) and not f["email"]
            and rows[f["customer"]].type().is_string())


def _amount(t, f: Fields, engine: str = ""):
    """The signed amount of a row in the source's number type, refunds subtracted."""
    amount = t[f["amount"]] if f["amount"] else t[f["quantity"]] * t[f["unit_price"]]
    invoice = t[f["order_id"]] if f.line_items else None
    if invoice is not None and invoice.type().is_string():  # a C-invoice is a cancellation
        amount = ibis.ifelse(_strip(invoice, engine).startswith("C"), -amount.abs(), amount)
    if f["refunded"]:
        amount = amount - t[f["refunded"]].abs().fill_null(0)
    return amount


def _strip(x, engine: str):
    r"""x without leading/trailing ' \t\n\r\v\f'. On Spark, Ibis writes that set as '\v\f'
    escapes that Spark SQL reads as the letters v and f: a regex there (Java's \s, the same set).
    Trimmed only where the first or last character is a space or below (a trim by a set of
    characters is slow: 0.23 s per million rows on DuckDB, the test 0.03 s)."""
    full = x.re_replace(r"^\s+|\s+$", "") if engine == "pyspark" else x.strip()
    return ibis.ifelse(_spaced(x), full, x)


def _spaced(x):
    """The first or last character is a space or below."""
    return (x.ascii_str() <= 32) | (x.right(1).ascii_str() <= 32)


def _null_if(x, cond):
    return ibis.ifelse(cond, ibis.null(dt.string), x)


def clean_id(col, engine: str, facts: IdFacts | None = None):
    """A customer id: text, trimmed, `17850.0` -> `17850`; empty or a placeholder -> null.
    `facts`: the steps no id needs are left out."""
    facts = facts or IdFacts()
    if col.type().is_integer():  # digits already: no trimming, no regex
        t = col.cast("string")
    else:
        raw = col.cast("string")
        t = _strip(raw, engine) if facts.spaces else raw
        if facts.dot:  # the regex only where ".0" occurs (a substring
            # test is cheap; on the raw value: SQL engines compute the trimmed one again)
            if engine == "mysql":  # Ibis compiles no REGEXP_REPLACE there: test, then cut
                whole = t.re_search(r"^[0-9]+\.0+$")
                t = ibis.ifelse(raw.contains(".0") & whole, t.left(t.find(".")), t)
            else:
                group = "$1" if engine == "pyspark" else r"\1"  # Java's way to name a group
                t = ibis.ifelse(raw.contains(".0"), t.re_replace(r"^([0-9]+)\.0+$", group), t)
        if not facts.short:  # no id is short enough to be a placeholder (nor an integer's)
            return t
    return no_placeholder(t)


def no_placeholder(t):
    """Null where `t` (text) is empty or a placeholder."""
    return _null_if(t, placeholder(t))


def placeholder(t):
    """Empty or a placeholder (compared lower-cased; longer values are not lowered at all)."""
    return (t.length() <= LONGEST) & t.lower().isin(["", *PLACEHOLDERS])


def clean_email(col, engine: str = ""):
    t = _strip(col.cast("string"), engine).lower()
    return _null_if(t, t.isin(["", *PLACEHOLDERS]))


@ibis.udf.scalar.builtin(name="hex", signature=(("string",), "string"))
def _hex(x):  # MySQL: compare bytes, not with the case-insensitive collation
    ...


def counted(rows, f: Fields, settings: Settings, run: Run = _run, engine: str = "",
            statuses: list[str] | None | bool = False, ids: IdFacts | None = None):
    """The rows that count (statuses), with cleaned columns: cid, email, date, amount (the
    source's number type, refunds subtracted), refunded_status, currency, txn_id.
    `statuses`: `status_values`, when already known; `ids`: the first query's `IdFacts`."""
    t = rows
    st = f["status"]
    refunded_values: list[str] = []
    if st:
        values = status_values(rows, f, run) if statuses is False else statuses
        status = t[st].cast("string")
        if values is None:  # too many to judge one by one: the words, normalised in the engine
            k = _strip(status, engine).lower().re_replace(r"[^a-z0-9]", "")
            t = t.filter(status.isnull() | ~(k.isin(sorted(NEVER_MOVED)) | k.startswith("requires")
                                            | (k == "incomplete")))
            refunded = k.isin(sorted(REFUNDED))
        else:
            drop = [v for v in values if v.strip() and dropped_status(v)]
            refunded_values = [v for v in values if refunded_status(v)]
            if drop:
                t = t.filter(status.isnull() | ~status.isin(drop))
            refunded = status.isin(refunded_values) if refunded_values else ibis.literal(False)
    else:
        refunded = ibis.literal(False)
    amount = _amount(t, f, engine)
    cid = clean_id(t[f["customer"]], engine, ids) if f["customer"] else ibis.null(dt.string)
    email = clean_email(t[f["email"]], engine) if f["email"] else ibis.null(dt.string)
    if engine == "mysql":
        cid, email = _hex(cid), _hex(email)
    cur = ibis.null(dt.string)
    if f["currency"]:
        c = _strip(t[f["currency"]].cast("string"), engine).upper()
        cur = _null_if(c, c == "")
    txn = _strip(t[f["order_id"]].cast("string"), engine) if f["order_id"] else ibis.null(dt.string)
    out = t.select(cid=cid, email=email, date=_date(t[f["date"]], settings, engine, f.date_zone),
                   amount=amount, refunded_status=refunded & ibis.literal(not f["refunded"]),
                   currency=cur, txn_id=txn)
    return out


def _date(col, settings: Settings, engine: str, zone: bool = False):
    dtype = col.type()
    if dtype.is_date():
        return col
    if dtype.is_timestamp() and (dtype.timezone or zone) and settings.timezone:
        conv = _TZ.get(engine)
        if conv is not None:
            return conv(col, settings.timezone).date()
    return col.date()


@ibis.udf.scalar.builtin(name="timezone", signature=(("string", "timestamp('UTC')"), "timestamp"))
def _pg_timezone(zone, ts):
    ...


@ibis.udf.scalar.builtin(name="from_utc_timestamp", signature=(("timestamp", "string"), "timestamp"))
def _spark_from_utc(ts, zone):
    ...


_TZ = {  # a timestamp with a zone as the wall-clock time of `zone` (rules.TZ_ENGINES)
    "postgres": lambda ts, zone: _pg_timezone(zone, ts),
    "duckdb": lambda ts, zone: _pg_timezone(zone, ts),
    "pyspark": lambda ts, zone: _spark_from_utc(ts, zone),
}

assert set(_TZ) == TZ_ENGINES


def currency_counts(t, run: Run = _run) -> dict[str, int]:
    """Rows per currency named, over the rows that count (`t` from `counted`)."""
    named = t.filter(t.currency.notnull())
    got = run(named.group_by("currency").aggregate(n=named.count()))
    return dict(zip(got.column("currency").to_pylist(), got.column("n").to_pylist()))


def to_micros(amount, rate=None, amount_max=None):
    """round(amount * 1e6) as int64; with a rate: round(amount * rate * 1e6) in floating point,
    in the folder engine's order of operations. `amount_max`: the largest |amount|, if known."""
    if rate is not None:
        return ((amount.cast("float64") * rate) * 1e6).round().cast("int64")
    if amount.type().is_decimal():  # exact
        scale = amount.type().scale or 0
        if micros_fit(amount_max, scale):
            # the product fits a 64-bit decimal (DuckDB: 1.5 s less CPU per 10M rows than
            # DECIMAL(38)); beyond, DuckDB's DECIMAL(18) product would overflow
            return (amount * 1_000_000).cast("int64")
        # else widened first: Ibis rounds into the column's own precision, which NUMERIC(10,2)
        # amounts times 1e6 overflow
        micros = amount.cast(ibis.expr.datatypes.Decimal(38, scale)) * 1_000_000
        return (micros if scale <= 6 else micros.round()).cast("int64")  # exact: no rounding
    return (amount.cast("float64") * 1e6).round().cast("int64")


def transactions(rows, f: Fields, settings: Settings, run: Run = _run, engine: str = "",
                 currency: str | None = None, counts: dict | None = None,
                 statuses: list[str] | None | bool = False, positive: set[str] | None = None,
                 screen: bool = True, ids: IdFacts | None = None, amount_max=None):
    """The transactions (module docstring) of `rows` (an Ibis table of the user's database).

    `currency`/`counts`/`statuses`: the reporting currency, `currency_counts` and
    `status_values`, when already known; `positive`: the statuses of rows with a positive
    amount, when known (the refunded-status rule is left out of the query when none is a
    refund: it reads the table twice); `screen`: apply the plausibility rule (False when the
    first pass found nothing to leave out); `ids`: the first query's `IdFacts`; `amount_max`:
    the largest |amount| (FirstPass.amount_max), when known."""
    if f["status"] and statuses is False:
        statuses = status_values(rows, f, run)
    t = counted(rows, f, settings, run, engine, statuses, ids)
    if screen:
        t = t.filter(plausible.ok(t.amount, t.date, settings, engine))
    if f["currency"]:
        if counts is None:
            counts = currency_counts(t, run)
        currency = currency or pick_currency(counts, settings.currency)
    # amount in the reporting currency; rows in another currency without a rate are left out
    micros = to_micros(t.amount, amount_max=amount_max)
    if f["currency"] and currency is not None:
        rates = {c: r for c, r in settings.rates.items() if c in (counts or {}) and c != currency}
        if rates:
            micros = t.currency.cases(*[(c, to_micros(t.amount, r)) for c, r in rates.items()],
                                      else_=micros)
        if set(counts or {}) - {currency, *rates}:  # else every row is kept: no test per row
            t = t.filter(t.currency.isnull() | t.currency.isin([currency, *rates]))
    t = t.mutate(micros=micros)
    # a positive row whose status says refunded (no refunded column) is net zero, unless the
    # source also holds a negative row for its order
    judged = statuses if positive is None else positive
    if f["status"] and not f["refunded"] and (judged is None
                                              or any(refunded_status(v) for v in judged)):
        zero = t.refunded_status & (t.micros > 0)
        if f["order_id"]:
            neg = t.filter((t.micros < 0) & t.txn_id.notnull()).select("txn_id").distinct()
            zero = zero & ~(t.txn_id.notnull() & t.txn_id.isin(neg.txn_id))
        t = t.mutate(micros=ibis.ifelse(zero, ibis.literal(0, "int64"), t.micros))
    customer = _customers(t, f, settings, run)
    return customer.select("customer", "date", "micros", "currency", "txn_id")


def _customers(t, f: Fields, settings: Settings, run: Run):
    """`t` with `customer`: the id, else the e-mail; ids and e-mails linked into one person."""
    link = getattr(settings, "link_identities", True)
    if not (link and f["customer"] and f["email"]):
        return t.mutate(customer=t.cid.coalesce(t.email))
    node = ibis.ifelse(t.cid.notnull(), ibis.literal("0") + t.cid,
                       ibis.ifelse(t.email.notnull(), ibis.literal("1") + t.email,
                                   ibis.null(dt.string)))
    t = t.mutate(node=node)
    labels = component_labels(t, run)
    j = t.left_join(labels, t.node == labels.n)
    return j.mutate(customer=j.lab.coalesce(j.node).substr(1)).drop("n", "lab")


def component_labels(t, run: Run):
    """Per id or e-mail linked to another: the smallest node of its component (`n`, `lab`).

    Nodes are "0"+id and "1"+email, so the smallest is an id when the person has one.
    Min-label propagation, one round per step, until a count query says nothing changed."""
    pairs = t.filter(t.cid.notnull() & t.email.notnull()).select(
        a=ibis.literal("0") + t.cid, b=ibis.literal("1") + t.email).distinct()
    edges = pairs.union(pairs.select(a=pairs.b, b=pairs.a))  # both ways
    labels = edges.group_by(n=edges.a).aggregate(lab=edges.b.min())
    labels = labels.mutate(lab=ibis.least(labels.n, labels.lab))
    for _ in range(MAX_ROUNDS):
        e = edges.join(labels, edges.b == labels.n)  # each node's neighbours' labels
        nb = e.group_by(m=e.a).aggregate(nl=e.lab.min())
        j = labels.join(nb, labels.n == nb.m)
        new = j.select(n=j.n, lab=ibis.least(j.lab, j.nl))
        old = labels.select(n0=labels.n, l0=labels.lab)
        c = new.join(old, new.n == old.n0)
        changed = run(c.filter(c.lab != c.l0).count().name("k").as_table()).column("k").to_pylist()[0]
        labels = new
        if not changed:
            return labels
    raise RuntimeError("linking ids and e-mails did not settle")
