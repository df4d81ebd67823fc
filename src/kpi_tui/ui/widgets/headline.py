"""Headline: average customer value in big digits, its changes, and the other key figures."""

from __future__ import annotations

import re

from kpi_tui.safe import markup as escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits

from kpi_tui.settings import GRANULARITIES
from kpi_tui.ui import glyphs
from kpi_tui.ui.model import Focus
from kpi_tui.ui.text import (DASH, arrow, count, money, pct, plain_spaces, ratio, signed_money,
                             signed_pct)
from kpi_tui.ui.widgets.base import Text
from kpi_tui.ui.widgets.bignum import BigNumber



def change_line(new: float | None, old_row: dict | None, old_label: str | None, cur, loc,
                missing: str = "no earlier period", ansi16: bool = False) -> str:
    """'▲ +€15.00 (+18.8%) vs Feb 2026', coloured; plain words when undefined."""
    if old_label is None:
        return f"[dim]{missing}[/]"
    old = None if old_row is None else old_row.get("acv")
    if new is None or old is None:
        return f"[dim]{arrow(None)} no comparison vs {escape(old_label)}[/]"
    d = new - old
    up, down = ("#00ff00", "#ff0000") if ansi16 else ("$text-success",
                                                                       "$text-error")
    colour = up if d > 1e-9 else down if d < -1e-9 else "$text-muted"
    return (f"[{colour}]{arrow(d)} {escape(signed_money(d, cur, loc))} "
            f"({escape(signed_pct(ratio(new, old), locale=loc))})[/] vs {escape(old_label)}")


def at_risk_rows(totals, cur, loc, tight: bool = False) -> tuple[tuple[str, str], ...]:
    """The at-risk card as (label, value) rows: `At risk …` until the figures are ready."""
    if totals is None:
        return (("At risk", "…"),)
    if totals is False:  # the computation failed
        return (("At risk", DASH),)
    per = totals.g if totals.g in GRANULARITIES else "period"
    n, stake = count(totals.customers, loc), money(totals.stake, cur, loc)
    if tight:  # labels no wider than "Revenue": every figure stays visible at 60 columns
        return (("At risk", n), ("Stake", stake))
    return (("At risk (k: list)", n), (f"At stake/{per}", stake))


class Headline(Horizontal):
    _base: tuple = ()
    _risk: tuple = (("At risk", "…"),)

    def compose(self) -> ComposeResult:
        with Vertical(id="headline-left"):
            yield Text(id="acv-title")
            yield Digits("", id="acv-digits")
            yield BigNumber(id="acv-big")
            yield Text(id="vs-prev")
            yield Text(id="vs-year")
        yield Text(id="kpis")

    def show(self, f: Focus, cur: str | None, loc: str) -> None:
        r = f.row
        acv = r["acv"]
        state = "" if f.trailing else (" · [b]in progress[/]" if not f.complete else " · complete")
        one_line = self.screen.has_class("-h24")
        if one_line and not glyphs.on(self):  # a row saved (ASCII: no 3-row digits)
            if f.complete and not self.screen.has_class("-w100"):  # "in progress" stays
                state = ""
            title = f"[b]{escape(f.label)}[/]{state} · average customer value"
        else:
            title = (f"[b]{escape(f.label)}[/]{state}\n"
                     f"Average customer value [b]{escape(money(acv, cur, loc))}[/]")
        self.query_one("#acv-title", Text).show(title)
        digits = self.query_one("#acv-digits", Digits)
        value = "--" if acv is None else plain_spaces(money(acv, cur, loc))
        if glyphs.on(self):  # the big font in '#', the number only (the title names EUR)
            value = re.sub(r"[^0-9.,' +-]", "", value).strip()
        if digits.value != value:
            digits.update(value)
        huge = self.screen.has_class("-w220") and self.screen.has_class("-h64")
        self.set_class(not self.query_one(BigNumber).show(value, 2 if huge else 1,
                                                          "#" if glyphs.on(self) else "█"),
                       "-nobig")
        old = None if f.prev is None else f.prev.get("acv")
        d = None if acv is None or old is None else acv - old
        self.set_class(d is not None and d > 1e-9, "-up")  # the big number's colour
        self.set_class(d is not None and d < -1e-9, "-down")
        ansi16 = self.app.has_class("-ansi16")
        self.query_one("#vs-prev", Text).show(change_line(acv, f.prev, f.prev_label, cur, loc,
                                                          ansi16=ansi16))
        same = f.year is not None and f.year is f.prev  # years: the previous period is a year ago
        self.query_one("#vs-year", Text).show(
            "" if same else change_line(acv, f.year, f.year_label, cur, loc,
                                        "no data a year earlier", ansi16))
        churn = r["churn_rate"]
        clv = r["clv"]
        clv_s = money(clv, cur, loc) if clv is not None else (
            f"{DASH} (nobody left)" if churn == 0 else DASH)
        tight = self.screen.has_class("-w60")
        if tight and clv is None:
            clv_s = DASH
        rows = (
            ("Active" if tight else "Active customers", count(r["active_customers"], loc)),
            ("Revenue", money(r["revenue"], cur, loc)),
            ("Churn" if tight else "Churn rate",
             pct(churn, locale=loc) if churn is not None else DASH),
            ("CLV" if tight else "Lifetime value", clv_s),
        )
        self._base = rows
        self._render_kpis()

    def show_at_risk(self, totals, cur: str | None, loc: str) -> None:
        """The at-risk card (kpi_tui.metrics.customers.AtRiskTotals; None: not ready yet)."""
        tight = self.screen.has_class("-w60")
        self._risk = at_risk_rows(totals, cur, loc, tight)
        self._render_kpis()

    def _render_kpis(self) -> None:
        rows = [(k, glyphs.shown(self, v)) for k, v in self._base + self._risk]
        w = max(len(v) for _, v in rows)
        kw = max(len(k) for k, _ in rows) + 1
        text = "\n".join(f"{_label(k):<{kw + len(_label(k)) - len(k)}}[b]{escape(v):>{w}}[/]"
                         for k, v in rows)
        self.query_one("#kpis", Text).show(text)


def _label(k: str) -> str:
    """The key hint of a label, dimmed: `At risk [dim](k: list)[/]`."""
    head, sep, hint = k.partition(" (")
    return f"{head} [dim]({escape(hint)}[/]" if sep else k
