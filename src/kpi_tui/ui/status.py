"""The screen's words about itself: is it alive, how old is the data, what fits the status line."""

from __future__ import annotations

import datetime as dt

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


def fit(parts: list[tuple[int, str]], width: int, sep: str = " · ") -> list[str]:
    """The parts (rank, text) that fit in `width` whole, lowest rank first, in their order;
    a part (markup) is dropped, never cut (rank 0 parts are always kept)."""
    kept: set[int] = set()
    used = 0
    for i, (rank, text) in sorted(enumerate(parts), key=lambda p: p[1][0]):
        extra = Content.from_markup(text).cell_length + (len(sep) if kept else 0)
        if rank > 0 and used + extra > width:
            continue
        kept.add(i)
        used += extra
    return [text for i, (_, text) in enumerate(parts) if i in kept]
