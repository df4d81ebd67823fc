"""`c`: cohorts by period of first purchase: share still active, cumulative value per customer.

A heat table whose shading is a density character (░ ▒ ▓ █) as well as a colour, so it reads
the same on a monochrome terminal. `v` switches between the two measures. The cohort and its
size stay on the left when scrolling right.
"""

from __future__ import annotations

import math

from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from kpi_tui.metrics import periods
from kpi_tui.metrics.cohorts import Cohorts, shade
from kpi_tui.ui.text import money

MAX_COHORTS = 120  # the most recent ones (day granularity can have thousands)
STYLES = {"░": "dim cyan", "▒": "cyan", "▓": "bold cyan", "█": "bold bright_cyan"}
MODES = ("share", "value")


class CohortsScreen(Screen):
    BINDINGS = [
        Binding("escape,c", "app.pop_screen", "Back"),
        Binding("v", "toggle", "Share / value"),
    ]

    def __init__(self, cohorts: Cohorts, currency: str | None = None, locale: str = "en",
                 mode: str = "share") -> None:
        super().__init__()
        self.cohorts = cohorts
        self.currency = currency
        self.locale = locale
        self.mode = mode if mode in MODES else "share"

    def compose(self) -> ComposeResult:
        yield Static(id="co-title")
        table = DataTable(id="co-table", cursor_type="cell", zebra_stripes=False)
        table.fixed_columns = 2  # cohort and size stay put when scrolling right
        yield table
        yield Static(id="co-legend")

    def on_mount(self) -> None:
        self.fill()
        self.query_one(DataTable).focus()

    def rows(self) -> list[int]:
        c = self.cohorts
        rows = [i for i in range(len(c)) if c.size[i] > 0]
        return rows[-MAX_COHORTS:]

    def fill(self) -> None:
        c, g = self.cohorts, self.cohorts.g
        rows = self.rows()
        width = len(c) - rows[0] if rows else 0
        values = c.share() if self.mode == "share" else c.per_customer()
        finite = [v for i in rows for v in values[i, :width].tolist() if not math.isnan(v)]
        top = 1.0 if self.mode == "share" else max(finite + [0.0])
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("Cohort", key="cohort")
        table.add_column(RichText("Customers", justify="right"), key="customers")
        for j in range(width):
            table.add_column(RichText(f"+{j}", justify="right"), key=f"+{j}")
        for i in rows:
            cells = [periods.label(c.first + i, g), RichText(f"{int(c.size[i]):,}", justify="right")]
            for j in range(width):
                v = values[i, j]
                cells.append(self.cell(v, top, c.complete(c.first + i + j)))
            table.add_row(*cells, key=str(c.first + i))
        what = ("Share of each cohort still active" if self.mode == "share"
                else "Cumulative net value per customer")
        self.query_one("#co-title", Static).update(
            f"[b]Cohorts by {g} of first purchase[/] · {what} · "
            f"{len(rows)} cohort{'s' if len(rows) != 1 else ''}  [dim](v: switch)[/]")
        legend = ("Shading: ░ under 25%  ▒ under 50%  ▓ under 75%  █ 75% or more of "
                  + ("the whole cohort" if self.mode == "share" else
                     f"the highest value ({money(top, self.currency, self.locale)})"))
        legend += ".  Columns: periods after the first purchase; [i]italic[/]: in progress."
        if not rows:
            legend = "No cohorts yet: nobody has bought in this data."
        elif len(rows) < int((c.size > 0).sum()):
            legend += f"  Showing the {len(rows)} most recent cohorts."
        self.query_one("#co-legend", Static).update(legend)

    def cell(self, v: float, top: float, complete: bool) -> RichText | str:
        if math.isnan(v):
            return ""
        ch = shade(v / top if top else 0.0)
        num = (f"{v * 100:.0f}%" if self.mode == "share"
               else money(v, self.currency, self.locale))
        t = RichText(justify="right")
        t.append(ch, style=STYLES.get(ch, ""))
        t.append(" " + num, style="" if complete else "italic")
        return t

    def action_toggle(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self.fill()
