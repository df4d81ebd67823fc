"""Why it moved (effect bars), movements and revenue bridge, recent periods table."""

from __future__ import annotations

from kpi_tui.safe import markup as escape
from rich.text import Text as RichText
from textual.widget import Widget

from kpi_tui.alerts.explain import effect_label
from kpi_tui.ui import glyphs
from kpi_tui.ui.model import EFFECT_NAMES, Focus, table_label
from kpi_tui.ui.text import DASH, count, money, pct, signed_money, signed_pct
from kpi_tui.ui.widgets.base import Text


SHORT_NAMES = tuple(effect_label(k, short=True) for k, _ in EFFECT_NAMES)


def sides(effects, width: int) -> tuple[int, int]:
    """Columns left (decreases) and right (increases) of the axis: all of `width` to the one
    side used, half each when both are."""
    neg = any(e < -1e-9 for e in effects)
    pos = any(e > 1e-9 for e in effects)
    if neg != pos:
        return (width, 0) if neg else (0, width)
    return width // 2, width // 2


class EffectBars(Widget):
    """The four effects of METRICS.md as signed horizontal bars, in money and % of before."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._data: tuple | None = None
        self.selected: int | None = None  # the effect chosen with ↑ ↓ (Enter: its customers)

    def select(self, step: int) -> None:
        n = len(EFFECT_NAMES)
        self.selected = (0 if step > 0 else n - 1) if self.selected is None else (
            (self.selected + step) % n)
        self.refresh()

    async def on_click(self, event) -> None:
        """A click on an effect's row: its customers (as ↑ ↓ then Enter)."""
        i = event.y - (0 if self.untitled else 1)  # the title row first
        if self._data is not None and 0 <= i < len(EFFECT_NAMES):
            self.selected = i
            self.refresh()
            await self.run_action(f"app.drill('{EFFECT_NAMES[i][0]}')")

    def show(self, f: Focus, cur, loc) -> None:
        r = f.row
        effects = tuple(r.get(k) for k, _ in EFFECT_NAMES)
        prev_acv = None if f.prev is None else f.prev.get("acv")
        data = (effects, prev_acv, r.get("acv_change"), f.prev_label, cur, loc)
        if data != self._data:
            self._data = data
            self.refresh(layout=True)

    @property
    def untitled(self) -> bool:
        """Under 24 rows the title goes: the sentence above says why (every row counts)."""
        return self.screen.has_class("-h16")

    def get_content_height(self, container, viewport, width) -> int:
        return 4 if self.untitled else 5

    def render(self) -> RichText:
        out = RichText(no_wrap=True, overflow="crop" if glyphs.on(self) else "ellipsis")
        if self._data is None:
            return out
        effects, prev_acv, change, prev_label, cur, loc = self._data
        g = lambda s: glyphs.shown(self, s)  # noqa: E731
        block, axis = ("#", "|") if glyphs.on(self) else ("█", "│")
        if prev_label is None or not self.untitled:
            out.append("Why it moved ", style="bold")
        if prev_label is None:
            out.append("\nThere is no earlier period to compare with.", style="dim")
            return out
        if not self.untitled:
            out.append(f"vs {prev_label}\n" if change is None else
                       g(f"vs {prev_label}: {signed_money(change, cur, loc)} per customer\n"))
        if any(e is None for e in effects):
            out.append("The four effects need customers in both periods.", style="dim")
            return out
        vals = [(g(signed_money(e, cur, loc)),
                 g(signed_pct(e / prev_acv, locale=loc)) if prev_acv else "") for e in effects]
        vw = max(len(v) for v, _ in vals)
        pw = max(len(p) for _, p in vals)
        names = [n for _, n in EFFECT_NAMES] if self.size.width >= 62 else SHORT_NAMES
        name_w = max(len(n) for n in names) + 1
        bar_w = min(40, max(6, self.size.width - name_w - vw - pw - 4))  # values near bars
        lw, rw = sides(effects, bar_w)  # a side no effect needs is left out
        big = max(abs(e) for e in effects) or 1.0
        mono = getattr(self.app, "no_color", False)  # NO_COLOR: the side of the axis says it
        for i, (name, e, (v, p)) in enumerate(zip(names, effects, vals)):
            room = lw if e < 0 else rw
            n = round(abs(e) / big * room)
            if abs(e) > 1e-9:
                n = max(n, 1)
            left = " " * (lw - n) + (block * n if e < 0 else " " * n) if e < 0 else " " * lw
            right = (block * n if e > 0 else "") + " " * (rw - (n if e > 0 else 0))
            out.append(f"{name:<{name_w}}", style="reverse" if i == self.selected else "")
            out.append(left, style="" if mono else "red")
            out.append(axis, style="dim")
            out.append(right, style="" if mono else "green")
            out.append(f" {v:>{vw}} {p:>{pw}}\n")
        out.rstrip()
        return out


class Movements(Text):
    def show_focus(self, f: Focus, cur, loc) -> None:
        r = f.row
        if r.get("retained_customers") is None:
            self.show("[b]Movements[/]\n[dim]No earlier period to compare with.[/]")
            return
        vs = f" vs {escape(f.prev_label)}" if f.prev_label else ""
        m = lambda x: escape(glyphs.shown(self, signed_money(x, cur, loc)))  # noqa: E731
        prev_rev = f.prev["revenue"] if f.prev else None
        total = None if prev_rev is None else r["revenue"] - prev_rev
        parts = (r["new_revenue"], r["reactivated_revenue"], r["expansion"], r["contraction"],
                 -r["churned_revenue_prev"])
        lines = [
            f"[b]Customers[/]{vs}",
            f" retained {count(r['retained_customers'], loc)}"
            f"  left {count(r['churned_customers'], loc)}",
            f" new {count(r['new_customers'], loc)}"
            f"  back {count(r['reactivated_customers'], loc)}",
            "[b]Revenue bridge[/]",
        ]
        names = ("New", "Reactivated", "Expansion", "Contraction", "Churned")
        items = list(zip(names, parts))
        if total is not None:
            other = total - sum(parts)
            if abs(other) > 0.005:
                items.append(("Other (inactive)", other))
            items.append(("= Revenue change", total))
        w = max(len(glyphs.shown(self, signed_money(v, cur, loc))) for _, v in items)
        lines += [f" {k:<17}{m(v):>{w}}" for k, v in items]
        self.show("\n".join(lines))


COLUMNS = (("Period", 0), ("Active", 0), ("Revenue", 0), ("Avg value", 0), ("Churn", 0),
           ("CLV", 0))


class RecentTable(Widget):
    """The last periods as plain text: start, active, revenue, acv, churn rate, CLV."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._data: tuple | None = None

    def show(self, rows: list[dict], g: str, pos: int | None, cur, loc, data_id: int,
             trailing: Focus | None = None) -> None:
        data = (g, pos, cur, loc, data_id, None if trailing is None else trailing.label)
        self._rows, self._trailing = rows, trailing
        if data != self._data:
            self._data = data
            self.refresh()

    _starts: list = []  # the period of each table row, as drawn

    def on_click(self, event) -> None:
        """A click on a period's row chooses it (as ← →)."""
        i = event.y - 2  # the title and the header first
        if 0 <= i < len(self._starts):
            self.app.period = self._starts[i]

    def _cells(self, label: str, r: dict, cur, loc) -> list[str]:
        return [glyphs.shown(self, c) for c in self._raw_cells(label, r, cur, loc)]

    def _raw_cells(self, label: str, r: dict, cur, loc) -> list[str]:
        return [label, count(r["active_customers"], loc), money(r["revenue"], cur, loc),
                money(r["acv"], cur, loc),
                pct(r["churn_rate"], locale=loc) if r["churn_rate"] is not None else DASH,
                money(r["clv"], cur, loc) if r["clv"] is not None else DASH]

    def render(self) -> RichText:
        out = RichText(no_wrap=True, overflow="crop" if glyphs.on(self) else "ellipsis")
        if self._data is None:
            return out
        g, pos, cur, loc, _, _ = self._data
        rows = self._rows
        if self._trailing is not None:
            f = self._trailing
            body = [("now", f.row, True), ("before", f.prev, False), ("year ago", f.year, False)]
            body = [(k, r, s) for k, r, s in body if r is not None]
            self._starts = []
            title = "Trailing windows"
        else:
            n = max(1, self.size.height - 2)
            end = len(rows) - 1
            if pos is not None and pos < end - n + 1:
                end = pos + n // 2
            start = max(0, end - n + 1)
            body = [(table_label(rows[i], g, loc) + ("" if rows[i]["complete"] else " …"), rows[i],
                     i == pos) for i in range(end, start - 1, -1)]
            self._starts = [r["start"] for _, r, _ in body]
            title = "Recent periods"
        cells = [self._cells(lbl, r, cur, loc) for lbl, r, _ in body]
        widths = [max([w, len(h)] + [len(c[i]) for c in cells])
                  for i, (h, w) in enumerate(COLUMNS)]
        out.append(title + "\n", style="bold")
        head = "  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                                for i, ((h, _), w) in enumerate(zip(COLUMNS, widths)))
        out.append(head + "\n", style="dim")
        for (lbl, r, sel), c in zip(body, cells):
            line = (("> " if glyphs.on(self) else "▸ ") if sel else "  ") + "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths)))
            out.append(line + "\n", style="reverse" if sel else "")
        out.rstrip()
        return out
