"""Every key of the main screen, once: BINDINGS, the help screen, the command palette and the
key bar are all made from KEYS."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma-separated
    action: str
    shown: str  # the key as the help screen prints it
    help: str  # what it does (help screen, command palette)
    bar: str = ""  # its short name in the key bar ("" = not in the bar)
    palette: bool = True  # offered by the command palette
    main: bool = True  # acts on the main screen only (ignored while a sub-screen is open;
    # False: also from a list, which it replaces)


KEYS = (
    Key("d", "granularity('day')", "d", "show days", "d w m q y"),
    Key("w", "granularity('week')", "w", "show weeks"),
    Key("m", "granularity('month')", "m", "show months"),
    Key("q", "granularity('quarter')", "q", "show quarters (ctrl+q quits)"),
    Key("y", "granularity('year')", "y", "show years"),
    Key("left", "move(-1)", "←", "previous period (trailing windows: leave them first)",
        "← → period"),
    Key("right", "move(1)", "→", "next period"),
    Key("home", "first", "Home", "first period"),
    Key("end", "latest", "End", "latest complete period"),
    Key("t", "toggle_trailing", "t", "trailing windows: last 1/7/30/91/365 days vs the window "
        "before and a year ago; d w m q y pick the window (day 1, week 7, month 30, "
        "quarter 91, year 365); t again returns to calendar periods", "t trailing"),
    Key("up", "select_effect(-1)", "↑", "choose the previous effect in \"Why it moved\""),
    Key("down", "select_effect(1)", "↓", "choose the next effect"),
    Key("enter", "drill('selected')", "Enter", "the customers behind the chosen effect "
        "(none chosen: the largest)"),
    Key("1", "drill('churn_effect')", "1", "customers who left", "1-4 who", main=False),
    Key("2", "drill('spend_effect')", "2", "existing customers' spending", main=False),
    Key("3", "drill('acquisition_effect')", "3", "new and returning customers", main=False),
    Key("4", "drill('other_effect')", "4", "refunds without purchases", main=False),
    Key("k", "at_risk", "k", "customers at risk of leaving", "k risk", main=False),
    Key("c", "cohorts", "c", "cohorts: how each period's new customers keep buying",
        "c cohorts", main=False),
    Key("b", "details", "b", "customers, revenue bridge and recent periods (small screens: "
        "scrolls to them and back)", "b details"),
    Key("a", "alerts", "a", "alert history: every warning, when it started and stopped",
        "a alerts"),
    Key("r", "reload", "r", "read the data again now (also while paused)", "r reload"),
    Key("p", "toggle_pause", "p", "pause / resume: new data waits until you resume", "p pause"),
    Key("T", "next_theme", "T", "next colour theme (kept for the next start)", "T theme"),
    Key("question_mark", "help", "?", "help: every key, and what each figure means", "? help", main=False),
    Key("ctrl+p", "command_palette", "ctrl+p", "command palette: every action by name",
        palette=False, main=False),
    Key("ctrl+q,ctrl+c", "quit", "ctrl+q", "quit", "ctrl+q quit", palette=False, main=False),
)

# keys of the lists opened from the main screen (their own screens handle them)
LIST_KEYS = (
    ("/", "customer lists: search"),
    ("s  S", "customer lists: next sort column / reverse the order"),
    ("g", "customer lists: next list (e.g. retained, then new customers)"),
    ("v", "cohorts: share of customers / value per customer"),
    ("escape", "close a list, the help or the alert history"),
    ("mouse", "click a tab (the period), an effect (its customers), a row of recent periods "
     "(that period), \"+N more\" (the alert history); the wheel scrolls"),
)

MAIN_ACTIONS = frozenset(k.action.split("(")[0] for k in KEYS if k.main)


def bindings() -> list[Binding]:
    return [Binding(k.keys, k.action, k.bar or k.help, show=False,
                    priority=k.action == "quit") for k in KEYS]


# the key bar's order: what a newcomer needs first; the rest as the width allows
BAR_ORDER = ("help", "quit", "drill", "at_risk", "cohorts", "alerts", "reload", "toggle_pause",
             "toggle_trailing", "details", "granularity", "move", "next_theme")


def key_bar(width: int) -> str:
    """`? help  ctrl+q quit  1-4 who …`, as many as fit in `width`, whole."""
    items = sorted((k for k in KEYS if k.bar),
                   key=lambda k: BAR_ORDER.index(k.action.split("(")[0]))
    out: list[str] = []
    used = 0
    for k in items:
        extra = len(k.bar) + (2 if out else 0)
        if used + extra > width:
            break
        out.append(k.bar)
        used += extra
    return "  ".join(out)
