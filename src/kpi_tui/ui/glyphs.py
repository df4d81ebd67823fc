"""ASCII mode (`--ascii`, and by itself for a non-UTF-8 locale or TERM=dumb/linux/vt100):
`#` bars, `*` chart points, `+-|` frames, `EUR`, `!` — nothing a plain terminal cannot draw."""

from __future__ import annotations

import os

PLAIN_TERMS = ("dumb", "linux", "vt100", "vt102", "vt220")

# one character for one: safe on Rich Text with styles (the chart, the bars)
SAME_WIDTH = str.maketrans({
    "┌": "+", "┐": "+", "└": "+", "┘": "+", "┬": "+", "┴": "+", "├": "+", "┤": "+", "┼": "+",
    "╭": "+", "╮": "+", "╰": "+", "╯": "+", "─": "-", "━": "-", "│": "|", "┃": "|", "▏": "|",
    "·": ".", "●": "@", "•": "*", "█": "#", "▇": "#", "▲": "^", "▼": "v", "▶": ">", "▸": ">",
    "⚠": "!", "–": "-", "—": "-", "−": "-", "’": "'", "×": "x", "÷": "/",
    "\u00a0": " ", "\u202f": " ",
})
# longer spellings, for plain strings (markup included: none of these is markup)
WORDS = str.maketrans({
    "€": "EUR ", "£": "GBP ", "¥": "JPY ", "₹": "INR ", "₩": "KRW ", "₽": "RUB ", "₺": "TRY ",
    "←": "<-", "→": "->", "↑": "up", "↓": "down", "…": "...", "✓": "ok",
})


def wanted(env=None) -> bool:
    """A terminal that cannot draw Unicode: TERM=dumb/linux/vt100, or a locale that is not
    UTF-8 (the first of LC_ALL, LC_CTYPE, LANG that is set; none set: assumed UTF-8)."""
    env = os.environ if env is None else env
    if env.get("TERM", "").lower() in PLAIN_TERMS:
        return True
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name)
        if value:
            low = value.lower().replace("-", "")
            return "utf8" not in low
    return False


def text(s: str) -> str:
    """`s` in ASCII: money as `EUR 95.00`, arrows as `<- ->`, anything else unknown as `?`."""
    out = s.translate(SAME_WIDTH).translate(WORDS)
    return out.encode("ascii", "replace").decode("ascii")


def on(widget) -> bool:
    """Is the widget's app in ASCII mode?"""
    try:
        return bool(getattr(widget.app, "ascii", False))
    except Exception:  # not mounted yet
        return False


def shown(widget, s: str) -> str:
    """`s` as the widget's app draws it."""
    return text(s) if on(widget) else s


def same_width(s: str) -> str:
    """`s` with each box-drawing or symbol character replaced by one ASCII character."""
    return s.translate(SAME_WIDTH)
