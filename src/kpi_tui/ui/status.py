"""The screen's words about itself: is it alive, how old is the data, what fits the status line."""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
from textual.content import Content

# findings about the source, not a period: shown first (the figures themselves may be wrong
# or old), and recorded once in the alert history whatever the granularity shown
SOURCE_RULES = ("stale_data", "source_unreachable", "files_skipped", "currency_left_out",
               "data_warning")


def banner_rank(finding) -> int:
    """Data problems first, then movement warnings (sort by this, stable)."""
    rule = finding.rule
    return SOURCE_RULES.index(rule) if rule in SOURCE_RULES else len(SOURCE_RULES)


def checked_text(t: dt.datetime, now: dt.datetime) -> str:
    """`checked 09:04`, with the date when it was not today: `checked 1 Dec 09:04`."""
    if t.date() == now.date():
        return f"checked {t:%H:%M}"
    return f"checked {t.day} {t:%b %H:%M}"


def age_text(seconds: float, what: str = "data") -> str:
    """`data 2 h old` (`what`: `file` for a folder's newest file): minutes under an hour, hours
    under two days, then days."""
    s = max(0.0, seconds)
    if s < 60:
        return f"{what} < 1 min old"
    if s < 3600:
        return f"{what} {int(s // 60)} min old"
    if s < 48 * 3600:
        return f"{what} {int(s // 3600)} h old"
    return f"{what} {int(s // 86400)} days old"


SHORTEST = 16  # cells: a shortened part any narrower is left out


def fit(parts: list[tuple], width: int, sep: str = " · ") -> list[str]:
    """The parts (rank, text) that fit in `width`, lowest rank first, in their order; a part
    (markup) is dropped, never cut (rank 0 parts are always kept), unless it is (rank, text,
    shorter[, eager]): then `shorter(cells)` (markup) stands for it, in the room left at its
    rank if `eager`, else in the room the other parts leave."""
    kept: dict[int, str] = {}
    used = 0
    later = []
    for i, (rank, text, *short) in sorted(enumerate(parts), key=lambda p: p[1][0]):
        gap = len(sep) if kept else 0
        extra = Content.from_markup(text).cell_length + gap
        if rank > 0 and used + extra > width:
            if short and len(short) > 1 and short[1]:
                used += _shortened(kept, i, short[0], width - used, gap)
            elif short:
                later.append((i, short[0]))
            continue
        kept[i] = text
        used += extra
    for i, shorter in later:
        used += _shortened(kept, i, shorter, width - used, len(sep) if kept else 0)
    return [kept[i] for i in range(len(parts)) if i in kept]


def _shortened(kept: dict, i: int, shorter, room: int, gap: int) -> int:
    """Part i shortened into `room` (a separator included) if it leaves SHORTEST cells: the
    cells used."""
    if room - gap < SHORTEST:
        return 0
    kept[i] = text = shorter(room - gap)
    return Content.from_markup(text).cell_length + gap


def middle(text: str, width: int, mark: str = "…") -> str:
    """`text` in `width` cells at most: its start, `mark`, and its end (a path's or a URL's
    end tells it apart: two thirds of the room, all of it under 40 cells)."""
    if cell_len(text) <= width:
        return text
    room = max(0, width - cell_len(mark))
    head = _cells(text, room // 3 if room >= 40 else 0)
    tail = _cells(text[::-1], room - cell_len(head))[::-1]
    return head + mark + tail


def _cells(text: str, width: int) -> str:
    """The longest start of `text` within `width` cells."""
    used = 0
    for n, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            return text[:n]
    return text
