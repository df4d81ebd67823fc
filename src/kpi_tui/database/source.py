"""A database table or query as a source of figures (the folder's twin, computed in the engine).

    src = DatabaseSource("postgresql://reader@db/shop", table="orders", settings=settings)
    src.figures("month"); src.trailing("month"); src.report("month"); src.probe()

Every method raises SourceError (one line, no password) when the database fails.
"""

from __future__ import annotations

import datetime as dt
import time

from kpi_tui.database import figures as engine_figures
from kpi_tui.database import plausible, rules
from kpi_tui.database.columns import Fields, open_rows, recognise
from kpi_tui.database.connect import DEFAULT_TIMEOUT, Connection, connect
from kpi_tui.database.transactions import (TZ_ENGINES, IdFacts, counted, currency_counts,
                                           dropped_status, id_facts, left_out, optimistic_ids,
                                           sales, status_currency, status_values, transactions)
from kpi_tui.metrics.series import MICROS
from kpi_tui.metrics.periods import from_day
from kpi_tui.metrics.report import report_dict
from kpi_tui.settings import Settings


def open_database(url, settings: Settings, **options) -> DatabaseSource:
    """A database URL with its `options` (table=, sql=, timeout=; else [source]
    query_timeout): kpi_tui.session.open_source of a URL, without the folder engine."""
    return DatabaseSource(str(url), settings=settings, **options)


class DatabaseSource:
    def __init__(self, url: str, table: str | None = None, sql: str | None = None,
                 settings: Settings | None = None, timeout: float | None = None,
                 connection: Connection | None = None):
        self.url, self.table_name, self.sql = url, table, sql
        self.settings = settings or Settings()
        if timeout is None:  # [source] query_timeout (or --query-timeout), else the default
            timeout = getattr(self.settings.source, "query_timeout", None) or DEFAULT_TIMEOUT
        memory = getattr(self.settings.source, "duckdb_memory_mb", None)
        self.conn = connection or connect(url, timeout, memory)
        self.label = f"{self.conn.label} {'table ' + table if table else '(--sql query)'}"
        self.rows = open_rows(self.conn, table, sql)
        self.fields: Fields = recognise(self.rows, self.settings, self.conn.label)
        if self.conn.engine == "pyspark":  # Ibis reads TIMESTAMP and TIMESTAMP_NTZ alike
            self.fields.date_zone = _spark_instants(self.conn, self.rows, self.fields["date"])
        self.query_seconds = 0.0  # time taken by the last figures' queries
        self.generation = 0  # refresh() calls
        self.refresh()

    # -- running queries
    def run(self, expr):
        t0 = time.monotonic()
        try:
            return self.conn.run(expr)
        finally:
            self.query_seconds += time.monotonic() - t0

    def refresh(self) -> None:
        """Forget what was computed: the next access queries the database again."""
        self.generation += 1  # (a snapshot of an older one stops retrying: database.snapshot)
        self._txn = None
        self._sales = None  # (the rows that are sales or refunds, the type values left out)
        self._first = None  # (the first query's FirstPass or None,)
        self._first_ids = None
        self._ids_unchecked = False  # customers' names taken as stored, not checked yet
        self._known = None  # the summary's rows and days, from the first query
        self._summary = None
        self._figures: dict[str, list[dict]] = {}
        self._trailing: dict[str, dict | None] = {}
        self._currency: str | None = None
        self._warnings: list[str] = []
        self._counts: dict[str, int] = {}
        self._optimistic = False  # the names as stored in the first figures' query
        self._plain = self._tz_warning = None  # (database.replay keeps them)

    @property
    def transactions(self):
        """The Ibis expression of the normalised transactions (database.transactions)."""
        txn = self._transactions()
        if self._ids_unchecked:  # the names as stored: check them here (figures(): in its query)
            rows = self._sale_rows()
            got = self.run(rows.aggregate(**id_facts(rows[self.fields["customer"]]
                                                     .cast("string"))))
            self._ids_checked(IdFacts.of(got.to_pylist()))
            txn = self._transactions()
        return txn

    def _ids_checked(self, facts: IdFacts) -> None:
        """The names' IdFacts are known: the transactions are built again if a step is needed."""
        self._ids_unchecked = False
        if facts != self._first_ids:
            self._first_ids = facts
            self._txn = None

    def _transactions(self):
        """`transactions`; with `optimistic_ids`, the customers' names as stored, not checked yet
        (`_ids_unchecked`)."""
        if self._txn is None:
            f, s, e = self.fields, self.settings, self.conn.engine
            rows = self._sale_rows()
            if self._first is None:  # statuses, currencies (and the ids' facts, unless optimistic)
                self._ids_unchecked = self._optimistic = optimistic_ids(f, rows, e)
                self._first = (status_currency(rows, f, self.run, e, s,
                                               ids=not self._ids_unchecked),)
                if self._ids_unchecked:
                    self._first_ids = IdFacts(False, False, False)
            first = self._first[0]
            self._warnings = []
            if first is None:  # too many (status, currency) pairs: one by one
                self._statuses = status_values(rows, f, self.run) if f["status"] else []
                positive = ids = amount_max = None
                self._ids_unchecked = False  # every step
            else:
                self._statuses, self._counts, positive = first.statuses, first.counts, first.positive
                self.conn.expect_rows(first.rows)
                ids, amount_max = first.ids or self._first_ids, first.amount_max  # optimistic:
                # as stored, or as checked since
            self._first_ids = ids  # what the customer ids need (tests)
            screened: dict[str, int] = {}
            if first is None or not first.plausible:  # rows maybe out: count them exactly
                kept = counted(rows, f, s, self.run, e, self._statuses)
                screened = plausible.counts(kept, s, e, self.run)
                if first is None or any(screened.values()):  # rows per currency: those kept
                    kept = kept.filter(plausible.ok(kept.amount, kept.date, s, e))
                    self._counts = currency_counts(kept, self.run) if f["currency"] else {}
            if any(screened.values()):
                dates = (plausible.out_dates(counted(rows, f, s, self.run, e, self._statuses),
                                             s, e, self.run) if screened.get("out") else [])
                self._warnings += plausible.warnings(plausible.reasons(screened, dates, s),
                                                     self.where)
            dtype = rows.schema()[f["date"]]
            zoned = dtype.is_timestamp() and (dtype.timezone or f.date_zone)
            self._tz_warning = None  # (database.replay keeps it)
            if s.timezone and zoned and self.conn.engine not in TZ_ENGINES:
                self._tz_warning = (f"timezone {s.timezone} not applied on {self.conn.engine}: "
                                    f"dates of {f['date']} are taken in UTC")
                self._warnings.append(self._tz_warning)
            self._currency = rules.reporting_currency(self._counts, s, bool(f["currency"]))
            dropped = left_out(self._counts, self._currency, s.rates) if f["currency"] else {}
            self._warnings += rules.left_out_warnings(dropped, self._currency)
            if not f["customer"] and not f["email"]:
                self._warnings.append(rules.no_customer_warning(self.where))
            # rows and days of the summary from the first query, when no row is left out
            plain = self._plain = dtype.is_date() or (dtype.is_timestamp() and not zoned)
            self._known = (first.summary() if first is not None and plain and not dropped
                           and not any(screened.values()) else None)
            self._txn = transactions(rows, f, s, self.run, self.conn.engine,
                                     currency=self._currency, counts=self._counts,
                                     statuses=self._statuses, positive=positive,
                                     screen=any(screened.values()), ids=ids,
                                     amount_max=amount_max)
        return self._txn

    @property
    def where(self) -> str:
        """The rows' source in a warning."""
        return f"table {self.table_name}" if self.table_name else "the --sql query"

    def _sale_rows(self):
        """The table's rows that are sales or refunds (database.transactions.sales)."""
        if self._sales is None:
            self._sales = sales(self.rows, self.fields, self.run, self.conn.engine)
        return self._sales[0]

    @property
    def currency(self) -> str | None:
        """The reporting currency: the setting, else the currency of most rows."""
        self._transactions()  # (the customers' names are not needed)
        return self._currency

    @property
    def warnings(self) -> list[str]:
        self._transactions()
        return self._warnings

    @property
    def summary(self) -> dict:
        """rows, first_day, last_day (day numbers, None when empty), unattributed (micros)."""
        if self._summary is None:
            self._summary = self.run(engine_figures.summary(self.transactions)).to_pylist()[0]
        return self._summary

    # -- the Snapshot API (kpi_tui.session)
    @property
    def unattributed_revenue(self) -> float:
        return int(self.summary["unattributed"] or 0) / MICROS

    @property
    def as_of(self) -> dt.date | None:
        if self.settings.as_of is not None:
            return self.settings.as_of
        d = self.summary["last_day"]
        return None if d is None else from_day(d)

    def figures(self, g: str) -> list[dict]:
        """The figures of granularity g (one query, one row per period), computed on first use:
        the others are computed when asked for."""
        if g not in self._figures and self._summary is None:  # both in one query
            txn = self._transactions()
            got = engine_figures.summary_and_figures(
                self.run, txn, g, self.settings.as_of, self.settings.margin, self._known,
                ids=self._ids_unchecked, parts=self.conn.parts)
            if self._ids_unchecked:  # the names were checked in the same query
                self._ids_checked(got[2])
                if got[0] is None:  # some name needs trimming...: again, with those steps
                    return self.figures(g)
            self._summary, self._figures[g] = got[:2]
        if g not in self._figures:
            s = self.summary
            gs = [g]
            if s["first_day"] is None:
                self._figures.update({x: [] for x in gs})
            else:
                self._figures.update(engine_figures.period_figures(
                    self.run, self.transactions, gs, int(s["first_day"]), int(s["last_day"]),
                    self.settings.as_of, self.settings.margin, self.conn.parts))
        return self._figures[g]

    def trailing(self, g: str) -> dict | None:
        """The trailing windows of granularity g (one query, on first use)."""
        if g not in self._trailing:
            last = self.summary["last_day"]
            gs = [g]
            self._trailing.update(engine_figures.window_figures(
                self.run, self.transactions, gs, None if last is None else int(last),
                self.settings.as_of, self.settings.margin, self.conn.parts))
        return self._trailing[g]

    def report(self, g: str) -> dict:
        figures = self.figures(g)  # first: it brings the summary in the same query
        return report_dict(g, self.currency, self.unattributed_revenue, figures)

    # -- live
    def probe(self) -> tuple:
        """One cheap query: (row count, latest date, latest updated-at or None). Poll it and
        `refresh()` when it changed."""
        r, f = self.rows, self.fields
        aggs = {"n": r.count(), "last": r[f["date"]].max()}
        if f.updated_at:
            aggs["updated"] = r[f.updated_at].max()
        got = self.run(r.aggregate(**aggs)).to_pylist()[0]
        return got["n"], got["last"], got.get("updated")

    # -- check
    def check_text(self) -> str:
        """What was recognised, the row count, the date range, what is missing."""
        f = self.fields
        lines = [f"Source: {self.label}",
                 f"Columns ({'from [mapping]' if f.mapped else 'recognised from their names'}):"]
        lines += [f"  {role:<9} {what}" for role, what in f.describe()]
        read = self.run(self.rows.count().name("n").as_table()).column("n").to_pylist()[0]
        s = self.summary
        lines.append(f"Rows: {read:,} read, {int(s['rows']):,} counted")
        drops = self._status_drops()
        for status, n in drops:
            lines.append(f"  left out: {n:,} rows with status {status!r} (the money never moved)")
        for kind, n in self._type_drops():
            lines.append(f"  left out: {n:,} rows of type {kind!r} (not a sale or refund)")
        if s["first_day"] is not None:
            lines.append(f"Dates: {from_day(s['first_day'])} to {from_day(s['last_day'])}")
        else:
            lines.append("Dates: no transaction")
        lines.append(f"Currency: {self.currency or 'none given'}")
        lines.append(f"Unattributed revenue (no customer id or e-mail): "
                     f"{self.unattributed_revenue:,.2f}")
        missing = [r for r in ("customer", "email", "status", "order_id", "currency", "refunded")
                   if not f[r]]
        if not f["customer"] and not f["email"]:
            lines.append("Missing: no customer id and no e-mail column: every row is unattributed "
                         "(name one in [mapping])")
        elif missing:
            lines.append(f"Not found (optional): {', '.join(m.replace('_', ' ') for m in missing)}")
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def _status_drops(self) -> list[tuple[str, int]]:
        st = self.fields["status"]
        if not st:
            return []
        self.transactions
        values = self._statuses or []
        return self._per_value(self._sale_rows(), st,
                               [v for v in values if v.strip() and dropped_status(v)])

    def _type_drops(self) -> list[tuple[str, int]]:
        """(type, rows) of the rows that are not a sale or refund (a transfer, a fee...)."""
        typ = self.fields["type"]
        if not typ:
            return []
        self._sale_rows()
        drop = self._sales[1]
        if drop is None:  # judged in the engine: the rows left out, in one
            n = self.run(self.rows.count().name("n").as_table()).column("n").to_pylist()[0]
            kept = self.run(self._sales[0].count().name("n").as_table()).column("n").to_pylist()
            return [("(many types)", n - kept[0])] if n - kept[0] else []
        return self._per_value(self.rows, typ, drop)

    def _per_value(self, r, column: str, values: list[str]) -> list[tuple[str, int]]:
        """(value, rows) of `column` for each of `values` in `r`, most rows first."""
        if not values:
            return []
        x = r.filter(r[column].cast("string").isin(values))
        got = self.run(x.group_by(v=x[column].cast("string")).aggregate(n=x.count()))
        return sorted(zip(got.column("v").to_pylist(), got.column("n").to_pylist()),
                      key=lambda t: (-t[1], t[0]))


def _spark_instants(conn: Connection, rows, column: str) -> bool:
    """Whether a Spark column is a TIMESTAMP (an instant) rather than TIMESTAMP_NTZ."""
    import ibis
    from pyspark.sql.types import TimestampType

    df = conn.backend._session.sql(ibis.to_sql(rows, dialect="pyspark"))  # analysed, not run
    return isinstance(df.schema[column].dataType, TimestampType)
