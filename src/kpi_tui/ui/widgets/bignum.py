"""A 5-row block font for the wall screen (Textual's Digits is 3 rows at every size)."""

from __future__ import annotations

from textual.widgets import Static

from kpi_tui.ui.text import plain_spaces

FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "-": ("...", "...", "###", "...", "..."),
    "–": ("...", "...", "###", "...", "..."),
    "+": ("...", ".#.", "###", ".#.", "..."),
    ".": (".", ".", ".", ".", "#"),
    ",": (".", ".", ".", "#", "#"),
    "'": ("#", "#", ".", ".", "."),
    " ": ("..", "..", "..", "..", ".."),
    "€": (".##", "#..", "###", "#..", ".##"),
    "£": (".##", "#..", "##.", "#..", "###"),
    "$": (".##.", "##..", ".##.", "..##", ".##."),
    "¥": ("#.#", ".#.", "###", ".#.", ".#."),
}


def big_lines(text: str, scale: int = 1, block: str = "█") -> list[str] | None:
    """5 × scale lines of block characters, or None when a character has no glyph."""
    text = plain_spaces(text)
    if any(c not in FONT for c in text):
        return None
    rows = ["", "", "", "", ""]
    full, empty = block * 2 * scale, " " * 2 * scale
    for c in text:
        for i, line in enumerate(FONT[c]):
            rows[i] += line.replace("#", full).replace(".", empty) + " " * scale
    return [r.rstrip() for r in rows for _ in range(scale)]


class BigNumber(Static):
    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.value: str | None = None
        self.scale = 1
        self.block = "█"
        self.ok = False

    def show(self, value: str, scale: int = 1, block: str = "█") -> bool:
        """Show `value`; False when it cannot be drawn (the 3-row digits are used instead)."""
        if (value, scale, block) != (self.value, self.scale, self.block):
            self.value, self.scale, self.block = value, scale, block
            lines = big_lines(value, scale, block)
            self.ok = lines is not None
            self.update("\n".join(lines) if lines else "")
        return self.ok
