"""`a`: the alert history (when each warning started and stopped)."""

from __future__ import annotations

from kpi_tui.safe import markup as escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _when(t) -> str:
    if t is None:
        return ""
    return t.strftime("%Y-%m-%d %H:%M") if hasattr(t, "strftime") else str(t)


def history_text(entries) -> str:
    lines = ["[b]Alert history[/]", ""]
    if not entries:
        lines += ["No warnings so far.", ""]
    for e in entries:  # kpi_tui.alerts.history.Alert
        state = f"until {_when(e.ended_at)}" if e.ended_at else "[b]firing now[/]"
        scope = f" · {e.scope}" if e.scope else ""
        lines.append(f"{_when(e.started_at)}  {state}{escape(scope)}")
        lines.append(f"  {escape(e.finding.message)}")
        detail = e.finding.detail
        if detail and detail != e.finding.message.removeprefix("⚠ "):  # (a data warning's is it)
            lines.append(f"  [dim]{escape(detail)}[/]")
        lines.append("")
    lines += ["[dim]Press escape or a to close.[/]"]
    return "\n".join(lines)


class AlertsScreen(ModalScreen):
    BINDINGS = [Binding("escape,a", "app.pop_screen", "Close")]

    def __init__(self, entries) -> None:
        super().__init__()
        self.entries = list(entries)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="alerts-box"):
            yield Static(history_text(self.entries), id="alerts-text")
