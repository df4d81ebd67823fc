"""`?`: every key, and what each figure means (METRICS.md in plain words)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kpi_tui.ui import glyphs
from kpi_tui.ui.keys import KEYS, LIST_KEYS


def key_rows() -> list[tuple[str, str]]:
    """The main screen's keys (ui.keys, one row per action; d w m q y together), then the
    keys of the lists."""
    rows: list[tuple[str, str]] = [("d w m q y", "day, week, month, quarter, year; in trailing "
                                    "windows the window: 1, 7, 30, 91 or 365 days")]
    rows += [(k.shown if "," not in k.keys else "ctrl+q ctrl+c", k.help) for k in KEYS
             if not k.action.startswith("granularity")]
    return rows + list(LIST_KEYS)

FIGURES = (
    ("Average customer value", "revenue ÷ active customers in the period"),
    ("Active customers", "customers whose net spend in the period is above zero"),
    ("Revenue", "net amount of all identified customers in the period (refunds included)"),
    ("Churn rate", "share of last period's active customers not active this period"),
    ("Lifetime value", "average customer value × margin ÷ churn rate (— when nobody left)"),
    ("At risk / at stake", "customers silent for much longer than their usual rhythm, as of "
     "the as-of date, and their average spend per period added up (k lists them)"),
    ("Customers who left", "churn effect: how losing customers moved the average "
     "(positive when those who left spent less than average)"),
    ("Existing customers' spend", "spend effect: customers active in both periods buying "
     "more or less"),
    ("New & returning customers", "acquisition effect: new and reactivated customers "
     "joining at their own level"),
    ("Refunds, inactive customers", "other effect: refunds of customers not active in "
     "either period"),
    ("Retained / left / new / back", "customers active in both periods / only before / "
     "first purchase now / returning after a break"),
    ("Revenue bridge", "revenue change = new + reactivated + expansion + contraction − churned"
     " (+ refunds of inactive customers)"),
    ("in progress", "the period holding the as-of date is not over: shown, never judged"),
)


def help_text(ascii: bool = False) -> Group:
    """Two tables (keys, figures) whose second column wraps on narrow screens."""

    def table(rows) -> Table:
        t = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        t.add_column(style="bold", no_wrap=True)
        t.add_column(ratio=1)
        for k, v in rows:
            t.add_row(*((glyphs.text(k), glyphs.text(v)) if ascii else (k, v)))
        return t

    return Group(
        RichText("Keys", style="bold underline"), table(key_rows()), RichText(""),
        RichText("What the figures mean", style="bold underline"), table(FIGURES),
    )


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(glyphs.shown(self, "Press escape or ? to close · ↑ ↓ to scroll"),
                         id="help-close")
            yield Static(help_text(glyphs.on(self)), id="help-text")
