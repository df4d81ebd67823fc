"""`kpi-tui customers` (who is behind a movement, or at risk) and `kpi-tui cohorts`."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys

from kpi_tui import dirs, safe
from kpi_tui.cli.report import counted, open_snapshot


def cmd_customers(args: argparse.Namespace) -> int:
    s, snap = open_snapshot(args)
    g = s.granularity
    if not hasattr(snap, "customers"):  # a database: the lists are computed in the engine
        return db_customers(args, s, snap)
    from kpi_tui.metrics import periods
    from kpi_tui.metrics.customers import drill, period_at

    index = snap.customers(g)
    p = period_at(index, args.at)
    if p is None:
        print("kpi-tui: no transactions", file=sys.stderr)
        return counted(snap)
    if index.ps is not None and args.group != "at-risk" and not (
            index.ps.first < p <= index.ps.last):
        where = "the first period" if p == index.ps.first else "outside the data"
        print(f"kpi-tui: {periods.label(p, g)} is {where}: no movement to list", file=sys.stderr)
    d = drill(index, p, args.group)
    rows = d.rows()
    if args.format == "json":
        print(safe.json_text(json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False)))
    elif args.format == "csv":
        from kpi_tui.metrics.report import to_csv

        sys.stdout.write(to_csv(rows, d.columns()))
    else:
        sys.stdout.write(customers_table(d, rows, snap.currency))
    return counted(snap)


def db_customers(args: argparse.Namespace, s, source) -> int:
    """`customers` on a database: ranked in the engine; a CSV/JSON list read from one query
    in batches (database.stream) where the engine allows, else in pages."""
    from kpi_tui.database.customers import pages
    from kpi_tui.database.snapshot import DatabaseSnapshot
    from kpi_tui.metrics import periods

    snap = DatabaseSnapshot(source, shown=False)  # no figures: the summary and the list
    g = s.granularity
    p = snap.period_at(g, args.at)
    if p is None:
        print("kpi-tui: no transactions", file=sys.stderr)
        return 0
    span = snap.span(g)
    if args.group != "at-risk" and not (span.first < p <= span.last):
        where = "the first period" if p == span.first else "outside the data"
        print(f"kpi-tui: {periods.label(p, g)} is {where}: no movement to list", file=sys.stderr)
    if args.format == "table":
        page = snap.drill(g, p, args.group, limit=None)
        sys.stdout.write(customers_table(page, page.rows, snap.currency))
        return 0
    if args.group == "at-risk":
        snap.at_risk_memory()
    rows = pages(snap.t, span, p, args.group, rule=s.at_risk, run=snap.run,
                 hex_names=snap.engine == "mysql", stream=source.conn.stream)
    with spool() as buf:  # the whole list, then printed: a slow reader is not query time
        if args.format == "json":
            write_json_list(rows, buf)
        else:
            from kpi_tui.metrics.groups import AT_RISK_COLUMNS, COLUMNS
            from kpi_tui.metrics.report import to_csv

            from kpi_tui.database.stream import in_batches

            cols = COLUMNS + (AT_RISK_COLUMNS if args.group == "at-risk" else ())
            buf.write(to_csv([], cols))
            for batch in in_batches(rows, 10_000):
                buf.write(to_csv(batch, cols).split("\n", 1)[1])
        buf.seek(0)
        shutil.copyfileobj(buf, sys.stdout)
    return 0


def spool():
    """A text file for a whole list: in memory up to SPOOL_CHARS, then on disk in the user
    cache dir (deleted when closed). A list read from the database goes there first and is
    printed once its query is over: its time limit (`query_timeout`) counts the engine's time,
    not a reader's (`| less`, a slow link), and a query that fails midway prints nothing."""
    import tempfile

    return tempfile.SpooledTemporaryFile(SPOOL_CHARS, "w+", encoding="utf-8", newline="",
                                         dir=dirs.cache_dir(create=True))


SPOOL_CHARS = 8 * 2**20


def write_json_list(rows, out) -> None:
    """The text of json.dumps(list(rows), indent=2) plus a newline, written to `out` as the
    rows come."""
    sep = "["
    for r in rows:
        item = json.dumps(r, indent=2, ensure_ascii=False, allow_nan=False)
        out.write(f"{sep}\n  " + safe.json_text(item).replace("\n", "\n  "))
        sep = ","
    out.write("[]\n" if sep == "[" else "\n]\n")


def _money(v) -> str:
    return "–" if v is None else f"{v:,.2f}"


def customers_table(d, rows: list[dict], currency: str | None) -> str:
    from kpi_tui.metrics.report import text_line

    cols = list(d.columns())
    head = [c.replace("_", " ") for c in cols]
    money = {"previous", "current", "change", "value_at_stake"}

    def cell(k, v):
        if v is None:
            return "–"
        if k in money:
            return _money(v)
        if k == "usual_gap":
            return f"{v:.1f}"
        return safe.text(v)  # customer ids come from the data

    body = [[cell(k, r[k]) for k in cols] for r in rows]
    t = d.totals()
    total = ["total"] + [""] * (len(cols) - 1)
    for k in ("previous", "current", "change", "value_at_stake"):
        if k in cols:
            total[cols.index(k)] = _money(t[k])
    widths = [max(len(x) for x in col) for col in zip(head, total, *body)]
    rule = ["-" * w for w in widths]
    cur = safe.text(currency or "no currency column")
    out = [f"{d.title()} ({cur}): {len(rows):,} customers", "",
           text_line(head, widths), text_line(rule, widths)]
    out += [text_line(c, widths) for c in body]
    out += [text_line(rule, widths), text_line(total, widths)]
    return "\n".join(out) + "\n"


def cmd_cohorts(args: argparse.Namespace) -> int:
    s, snap = open_snapshot(args)
    g = s.granularity
    if not hasattr(snap, "cohorts"):  # a database: computed in the engine
        from kpi_tui.database.snapshot import DatabaseSnapshot

        snap = DatabaseSnapshot(snap, shown=False)
    c = snap.cohorts(g)
    if c is None:
        print("kpi-tui: no transactions", file=sys.stderr)
        return counted(snap)
    if args.format == "json":
        print(safe.json_text(json.dumps({"granularity": g, "currency": snap.currency,
                                         "cohorts": c.to_records()}, indent=2, ensure_ascii=False)))
    elif args.format == "csv":
        from kpi_tui.metrics.cohorts import ROW_COLUMNS
        from kpi_tui.metrics.report import to_csv

        sys.stdout.write(to_csv(c.to_rows(), ROW_COLUMNS))
    else:
        sys.stdout.write(cohorts_table(c, snap.currency and safe.text(snap.currency)))
    return counted(snap)


def cohorts_table(c, currency: str | None) -> str:
    """Two shaded blocks: share still active, cumulative value per customer."""
    from kpi_tui.metrics import periods
    from kpi_tui.metrics.cohorts import shade

    share, value = c.share(), c.per_customer()
    rows = [i for i in range(len(c)) if c.size[i] > 0]
    width = len(c) - rows[0] if rows else 0  # offsets of the oldest cohort
    top = max((v for v in value[rows].ravel().tolist() if not math.isnan(v)), default=0.0)
    labels = [periods.label(c.first + i, c.g) for i in rows]
    lw = max([len("cohort")] + [len(s) for s in labels])
    out = [f"Cohorts by {c.g} of first purchase ({currency or 'no currency column'})", ""]

    def block(title, fmt, values, scale):
        cells = [[("" if math.isnan(values[i, j]) else
                   shade(values[i, j] / scale if scale else 0) + " " + fmt(values[i, j]))
                  for j in range(width)] for i in rows]
        cw = max([len(str(width - 1))] + [len(x) for r in cells for x in r])
        out.append(title)
        out.append("cohort".ljust(lw) + "  " + "customers".rjust(9) + "  "
                   + "  ".join(f"+{j}".rjust(cw) for j in range(width)))
        for i, lab, r in zip(rows, labels, cells):
            line = lab.ljust(lw) + "  " + f"{int(c.size[i]):,}".rjust(9) + "  "
            out.append((line + "  ".join(x.rjust(cw) for x in r)).rstrip())
        out.append("")

    block("Share of the cohort still active, periods after the first purchase",
          lambda v: f"{v * 100:.0f}%", share, 1.0)
    block("Cumulative net value per customer of the cohort", lambda v: f"{v:,.0f}", value, top)
    out.append("Shading: ░ < 25%  ▒ < 50%  ▓ < 75%  █ ≥ 75% (of 100% active, or of the highest value)")
    if c.complete_until is not None and c.complete_until < c.first + len(c) - 1:
        out.append(f"Cells of {periods.label(c.first + len(c) - 1, c.g)} (the last diagonal) are in progress.")
    return "\n".join(out) + "\n"
