"""The sentence in one line (60x16): cut between clauses, else at a comma, else between words
outside brackets; never inside a word."""

import pytest

from kpi_tui.ui.text import shorten

S = ("Existing customers spent 25% less (-€20.00 per customer); new customers were "
     "above-average buyers (+€35.00).")
T = ("1 new and 1 returning customers joined, spending more than the average (+€35.00 per "
     "customer); existing customers spent less.")


@pytest.mark.parametrize("text, width, short", [
    (S, 200, S),
    (S, 57, "Existing customers spent 25% less (-€20.00 per customer)…"),
    (S, 56, "Existing customers spent 25% less…"),  # not "(-€20.00 per…"
    (S, 30, "Existing customers spent 25%…"),
    (T, 80, "1 new and 1 returning customers joined, spending more than the average…"),
    (T, 57, "1 new and 1 returning customers joined…"),
    (T, 30, "1 new and 1 returning…"),
    ("Unbreakable", 5, "Unbr…"),
])
def test_shorten(text, width, short):
    assert shorten(text, width) == short
    assert len(short) <= width
