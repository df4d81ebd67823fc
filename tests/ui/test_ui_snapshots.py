"""Screenshots of the monitor on the golden example (frozen clock), at the sizes people use.

Update after a deliberate change of the screen: pytest tests/test_ui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from kpi_tui.settings import Settings
from kpi_tui.ui.app import KpiApp
from test_ui_app import NOW, golden_copy, ready


@pytest.fixture
def app(tmp_path):
    folder = golden_copy(tmp_path / "data")
    return KpiApp(folder, Settings(cache=False, marker="braille"), clock=lambda: NOW,
                  watch=False, folder_label="golden")


async def _loaded(pilot):
    await ready(pilot.app, pilot)


SIZES = [(60, 16), (80, 24), (100, 30), (120, 40), (160, 50), (240, 70)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_month_march(snap_compare, app, size):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("left")
        await _loaded(pilot)  # the chart is drawn in a worker

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_quarter(snap_compare, app, size):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("q")
        await _loaded(pilot)  # the chart is drawn in a worker

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_trailing_160(snap_compare, app):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("t")
        await _loaded(pilot)  # the chart is drawn in a worker

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_help_80(snap_compare, app):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("question_mark")
        await _loaded(pilot)  # the chart is drawn in a worker

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_no_color_80(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # read by Textual when the app is created
    folder = golden_copy(tmp_path / "data")
    app = KpiApp(folder, Settings(cache=False, marker="dot"), clock=lambda: NOW, watch=False,
                 folder_label="golden")
    assert app.no_color

    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("left")
        await _loaded(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def _march(snap_compare, tmp_path, size, **settings) -> bool:
    folder = golden_copy(tmp_path / "data")
    app = KpiApp(folder, Settings(cache=False, **settings), clock=lambda: NOW, watch=False,
                 folder_label="golden")

    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("left")
        await _loaded(pilot)

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_light_theme_120(snap_compare, tmp_path):
    assert _march(snap_compare, tmp_path, (120, 40), marker="braille", theme="textual-light")


def test_ascii_80(snap_compare, tmp_path):
    assert _march(snap_compare, tmp_path, (80, 24), ascii=True)
