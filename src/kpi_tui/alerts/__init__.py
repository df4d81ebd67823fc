"""Warning rules, their history and the plain-words explanation of the figures (no Textual)."""

from kpi_tui.alerts.explain import EffectLine, effect_label, effect_lines, why_sentence
from kpi_tui.alerts.history import Alert, AlertHistory
from kpi_tui.alerts.rules import RULES, Finding, evaluate

__all__ = [
    "RULES", "Alert", "AlertHistory", "EffectLine", "Finding", "effect_label", "effect_lines",
    "evaluate", "why_sentence",
]  # fmt: skip
