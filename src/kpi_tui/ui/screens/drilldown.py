"""Who is behind a movement: the customers of one group for the selected period.

Opened from the main screen (keys 1-4, Enter on an effect, k for at-risk). Sortable (click a
header, or `s` / `S`), searchable (`/`: the totals then add up the matches, "14 of 151
customers"); the whole list's totals are checked against the figure of the main screen they
add up to. An empty list says so.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from kpi_tui import safe
from kpi_tui.safe import markup as escape
from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from kpi_tui.metrics import periods
from kpi_tui.metrics.customers import FIGURE_OF, CustomerIndex, Drill, drill
from kpi_tui.ui.text import money, signed_money

ROW_LIMIT = 200  # rows put in the table; sorting, search and totals use the whole list
LABELS = {
    "customer": "Customer", "previous": "Previous", "current": "Current", "change": "Change",
    "first_purchase": "First purchase", "last_purchase": "Last purchase", "orders": "Orders",
    "days_since": "Days silent", "usual_gap": "Usual gap", "value_at_stake": "At stake",
}
FIELD_NAMES = {
    "churned_customers": "customers who left", "churned_revenue_prev": "churned revenue (before)",
    "retained_customers": "retained customers", "retained_revenue_prev": "retained (before)",
    "retained_revenue": "retained revenue", "contraction": "contraction",
    "expansion": "expansion", "new_customers": "new customers", "new_revenue": "new revenue",
    "reactivated_customers": "returning customers", "reactivated_revenue": "returning revenue",
}
MONEY = {"previous", "current", "change", "value_at_stake"}
# at-risk customers are silent: no previous/current/change; the ranking column first
AT_RISK_VIEW = ("customer", "value_at_stake", "days_since", "usual_gap", "orders",
                "last_purchase", "first_purchase")


class DrilldownScreen(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("slash", "search", "Search"),
        Binding("s", "sort(1)", "Next sort column"),
        Binding("S", "sort(0)", "Reverse order"),
        Binding("g", "next_group", "Next list"),
    ]
    row_limit = ROW_LIMIT  # rows put in the table (a database screen lets more in, page by page)

    def __init__(self, index: CustomerIndex, period: int, groups: tuple[str, ...],
                 figures: dict | None = None, currency: str | None = None,
                 locale: str = "en", group: str | None = None) -> None:
        super().__init__()
        self.index = index
        self.period = period
        self.groups = tuple(groups)
        self.figures = figures or {}
        self.currency = currency
        self.locale = locale
        self.group = group if group in self.groups else self.groups[0]
        self.query_text = ""
        self.sort_col: str | None = None  # None: the list's own ranking
        self.reverse = False
        self.drill: Drill = self._page(self.group)
        self.shown: np.ndarray = np.arange(len(self.drill))

    def _page(self, group: str) -> Drill:
        """The customers of `group` in the period (a database screen: one ranked page)."""
        return drill(self.index, self.period, group)

    # ---- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="dd-title")
        yield Static(id="dd-groups")
        yield Input(placeholder="search customers (enter: back to the list)", id="dd-search")
        table = DataTable(id="dd-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="dd-empty")
        yield Static(id="dd-totals")
        yield Static("[b]esc[/] back  [b]/[/] search  [b]s[/] sort by next column  "  # esc first:
                     "[b]S[/] reverse  [b]g[/] next list  click a header to sort",  # kept at 80
                     id="dd-keys")

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one(DataTable).focus()

    # ---- data --------------------------------------------------------------------------
    def columns(self) -> tuple[str, ...]:
        return AT_RISK_VIEW if self.drill.group == "at-risk" else self.drill.columns()

    def sort_values(self, col: str) -> np.ndarray:
        d = self.drill
        if col == "customer":
            ranks = np.empty(len(d), np.int64)
            ranks[pc.array_sort_indices(pa.array(d.names.tolist(), pa.string())).to_numpy()] = (
                np.arange(len(d)))
            return ranks
        if col in ("previous", "current", "orders"):
            return getattr(d, col)
        if col == "change":
            return d.change
        if col == "first_purchase":
            return d.first_day
        if col == "last_purchase":
            return d.last_day
        return np.nan_to_num(d.extra[col], nan=np.inf)

    def order(self) -> np.ndarray:
        """Row positions of the drill, sorted and filtered."""
        n = len(self.drill)
        idx = np.arange(n)
        if self.sort_col is not None:
            idx = np.argsort(self.sort_values(self.sort_col), kind="stable")
        if self.reverse:
            idx = idx[::-1]
        if self.query_text and n:
            hit = pc.match_substring(pa.array(self.drill.names.tolist(), pa.string()),
                                     self.query_text, ignore_case=True).to_numpy(
                zero_copy_only=False)
            idx = idx[hit[idx]]
        return idx

    # ---- rendering ---------------------------------------------------------------------
    def refresh_all(self) -> None:
        d = self.drill
        self.query_one("#dd-title", Static).update(
            f"[b]{escape(d.title())}[/]  ·  {len(d):,} customer{'s' if len(d) != 1 else ''}"
            f"  ·  {self.index.g}")
        tabs = "  ".join(f"[reverse] {g} [/]" if g == self.group else f"[dim]{g}[/]"
                         for g in self.groups)
        self.query_one("#dd-groups", Static).update(tabs if len(self.groups) > 1 else "")
        self.fill_table()
        self.query_one("#dd-totals", Static).update(self.totals_text())

    def _label(self, col: str) -> RichText:
        mark = ""
        if col == self.sort_col:
            mark = " ▼" if self.reverse else " ▲"
        right = col != "customer" and not col.endswith("purchase")
        return RichText(LABELS[col] + mark, justify="right" if right else "left")

    def fill_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        cols = self.columns()
        for c in cols:
            table.add_column(self._label(c), key=c)
        self.shown = self.order()
        take = self.shown[:self.row_limit]
        for i, r in zip(take.tolist(), self.drill.rows(take=take)):
            table.add_row(*(self.cell(c, r[c]) for c in cols), key=str(i))
        empty = self.query_one("#dd-empty", Static)
        empty.set_class(not len(self.shown), "-on")
        empty.update(self.empty_text() if not len(self.shown) else "")

    def empty_text(self) -> str:
        if self.query_text:
            return (f"No customer in this list matches “{escape(self.query_text)}” "
                    "([b]/[/] to change the search).")
        return (f"No customers in this list for "
                f"{escape(periods.label(self.period, self.index.g))}.")

    def cell(self, col: str, value) -> RichText | str:
        if value is None:
            return RichText("–", justify="right")
        if col == "customer":
            return RichText(safe.text(value))
        if col == "change":
            style = "green" if value > 0 else "red" if value < 0 else ""
            return RichText(signed_money(value, self.currency, self.locale), style=style,
                            justify="right")
        if col in MONEY:
            return RichText(money(value, self.currency, self.locale), justify="right")
        if col == "usual_gap":
            return RichText(f"{value:g} d", justify="right")
        if col == "days_since":
            return RichText(f"{value} d", justify="right")
        return RichText(safe.text(value), justify="right" if col == "orders" else "left")

    def shown_totals(self) -> dict:
        """Drill.totals() of the rows the search keeps (the whole list without a search)."""
        t = self.drill.totals()
        if not self.query_text:
            return t
        rows = self.drill.rows(take=self.shown)
        neg = self.drill.group == "refunded"  # its sums: the negative amounts only
        out = {k: sum(min(r[k], 0) if neg else r[k] for r in rows) for k in t
               if k not in ("customers", "change")}
        out["change"] = out["current"] - out["previous"]
        return out | {"customers": len(rows)}

    def totals_text(self) -> str:
        d, cur, loc = self.drill, self.currency, self.locale
        t, whole = self.shown_totals(), d.totals()["customers"]
        n = f"{t['customers']:,} of {whole:,}" if self.query_text else f"{whole:,}"
        parts = [f"[b]Total[/] {n} customer{'s' if whole != 1 else ''}"]
        if d.group != "at-risk":  # silent customers: their periods tell nothing
            parts += [f"previous {money(t['previous'], cur, loc)}",
                      f"current {money(t['current'], cur, loc)}",
                      f"change {signed_money(t['change'], cur, loc)}"]
        if "value_at_stake" in t:
            parts.append(f"[b]value at stake {money(t['value_at_stake'], cur, loc)} per "
                         f"{d.g}[/]")
        lines = ["  ·  ".join(parts)]
        t = d.totals()  # the checks against the main screen: the whole list
        checks = []
        for key, field in FIGURE_OF.get(d.group, ()):
            want = self.figures.get(field)
            if want is None:
                continue
            got = t[key]
            same = abs(got - want) < 1e-6
            shown = f"{want:,}" if key == "customers" else money(want, cur, loc)
            checks.append(f"{FIELD_NAMES.get(field, field)} {shown} {'✓' if same else '≠'}")
        if checks:
            lines.append("[dim]main screen:[/] " + "  ·  ".join(checks))
        if d.group == "refunded":
            lines.append("[dim]negative amounts only: the net spend of customers not active "
                         "in the period (what the other effect is made of)[/]")
        if d.group == "at-risk" and self.index.d is not None:
            a = self.index.assessment()
            rule = self.index.rule
            gap = "" if a is None or a.one_time_gap is None else (
                f"; one-time buyers: silent > {a.one_time_gap:g} days (shop's "
                f"{rule.percentile:g}th percentile gap to a 2nd purchase)")
            lines.append(f"[dim]as of {periods.from_day(self.index.d).isoformat()}: silent "
                         f"> {rule.k:g} × own median gap between purchases{gap}[/]")
        n, shown = len(self.shown), min(len(self.shown), self.row_limit)
        if self.query_text:
            lines.append(f"[b]{n:,}[/] match “{escape(self.query_text)}” (totals above: "
                         "the matches)")
        if shown < n:
            lines.append(f"[dim]showing the first {shown:,} of {n:,}; `kpi-tui customers` "
                         f"prints the whole list[/]")
        return "\n".join(lines)

    # ---- actions -----------------------------------------------------------------------
    def action_close(self) -> None:
        search = self.query_one("#dd-search", Input)
        if search.has_class("-on") and search.has_focus:
            self._end_search(clear=not search.value)
            return
        self.app.pop_screen()

    def action_search(self) -> None:
        search = self.query_one("#dd-search", Input)
        search.add_class("-on")
        search.focus()

    def _end_search(self, clear: bool) -> None:
        search = self.query_one("#dd-search", Input)
        if clear:
            search.value = ""
            search.remove_class("-on")
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self.fill_table()
        self.query_one("#dd-totals", Static).update(self.totals_text())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._end_search(clear=not event.value.strip())

    def action_sort(self, step: int) -> None:
        cols = self.columns()
        if step:
            i = -1 if self.sort_col is None else cols.index(self.sort_col)
            self.sort_col, self.reverse = cols[(i + 1) % len(cols)], False
        else:
            self.reverse = not self.reverse
        self.refresh_all()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        col = event.column_key.value
        if col == self.sort_col:
            self.reverse = not self.reverse
        else:
            self.sort_col, self.reverse = col, col in MONEY or col in ("orders", "days_since")
        self.refresh_all()

    def action_next_group(self) -> None:
        if len(self.groups) < 2:
            return
        self.group = self.groups[(self.groups.index(self.group) + 1) % len(self.groups)]
        self.drill = self._page(self.group)
        self.sort_col, self.reverse = None, False
        self.refresh_all()
