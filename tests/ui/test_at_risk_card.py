"""The at-risk card of the monitor and the at_risk_jump banner rule."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from kpi_tui.alerts.rules import AtRiskStake, at_risk_jump, evaluate
from kpi_tui.settings import Settings, Thresholds
from kpi_tui import session
from kpi_tui.ui.app import KpiApp
from test_ui_app import NOW, plain, ready

# ---- the rule ----------------------------------------------------------------------------


def test_jump_fires_above_threshold_with_exact_message():
    f = at_risk_jump(12345.0, 9130.0, customers=602, since="2026-10-31", currency="EUR")
    assert f is not None and f.rule == "at_risk_jump" and f.severity == "warning"
    assert f.message == ("⚠ Value at stake from at-risk customers up 35.2% (€12,345.00 per month, "
                         "was €9,130.00): 602 customers are past their usual buying rhythm")
    assert f.key == "at_risk_jump:month:2026-10-31"
    assert "Sat 31 Oct 2026" in f.detail


def test_jump_not_at_exactly_the_threshold():
    assert at_risk_jump(120.0, 100.0) is None  # +20.0%: not more than 20
    assert at_risk_jump(120.01, 100.0) is not None
    assert at_risk_jump(130.0, 100.0, threshold_pct=30.0) is None
    assert at_risk_jump(130.0, 100.0, threshold_pct=29.9) is not None


def test_jump_never_without_an_earlier_value_or_on_a_fall():
    assert at_risk_jump(500.0, 0.0) is None
    assert at_risk_jump(500.0, None) is None
    assert at_risk_jump(None, 100.0) is None
    assert at_risk_jump(50.0, 100.0) is None  # a fall is no jump


def test_jump_words_granularity_locale_and_one_customer():
    f = at_risk_jump(1501.0, 1000.0, customers=1, g="week", currency="EUR", locale="fr")
    assert f.message == ("⚠ Value at stake from at-risk customers up 50,1% (1\u202f501,00\u00a0€ "
                         "per week, was 1\u202f000,00\u00a0€): 1 customer is past their usual "
                         "buying rhythm")


def test_evaluate_uses_the_threshold_setting():
    stake = AtRiskStake(130.0, 100.0, 3, "2026-05-31")
    found = evaluate([], "month", Thresholds(), currency="EUR", at_risk=stake)
    assert [f.rule for f in found] == ["at_risk_jump"]
    assert evaluate([], "month", Thresholds(at_risk_jump_pct=30.0), at_risk=stake) == []
    assert evaluate([], "month", Thresholds()) == []  # not judged without the values


def test_threshold_read_from_toml(tmp_path):
    from kpi_tui.settings import load_config

    p = tmp_path / "kpi-tui.toml"
    p.write_text("[thresholds]\nat_risk_jump_pct = 35.5\n", encoding="utf-8")
    assert load_config(p).thresholds.at_risk_jump_pct == 35.5
    assert Thresholds().at_risk_jump_pct == 20.0


# ---- the card on a crafted history ---------------------------------------------------------
# As of 2026-06-30, every customer buys every 10 days (median gap 10: at risk after 20 days).
#   a: 04-01 .. 06-30, 10 x 30.00, bought today                 -> not at risk
#   x: 04-01 .. 05-21, 6 x 25.00 = 150, silent 40 days          -> at risk, 150 / 3 months = 50.00
#   y: 05-01 .. 05-31, 4 x 15.00 = 60, silent 30 days           -> at risk, 60 / 2 months = 30.00
#   z: 03-01 .. 03-31, 4 x 20.00 = 80, silent 91 days           -> at risk, 80 / 4 months = 20.00
# Now: 3 customers, 100.00 per month. As of 05-31 (end of May): only z (61 days silent; x 10,
# y 0, a 0), 80 / 3 months = 26.67 -> up 275.0%. By year: 150 + 60 + 80 = 290.00 per year,
# and nothing at stake at the end of 2025 (no banner). By quarter: 150 + 60 + 80 / 2 = 250.00.
AS_OF = dt.date(2026, 6, 30)


def _days(first: str, n: int) -> list[dt.date]:
    d = dt.date.fromisoformat(first)
    return [d + dt.timedelta(days=10 * i) for i in range(n)]


def crafted(folder):
    rows = ([("a", d, 30) for d in _days("2026-04-01", 10)]
            + [("x", d, 25) for d in _days("2026-04-01", 6)]
            + [("y", d, 15) for d in _days("2026-05-01", 4)]
            + [("z", d, 20) for d in _days("2026-03-01", 4)])
    assert max(d for _, d, _ in rows) == AS_OF
    folder.mkdir()
    lines = ["order_id,customer_id,created_at,amount,currency,status"]
    lines += [f"{i},{c},{d.isoformat()} 12:00:00,{a}.00,EUR,paid"
              for i, (c, d, a) in enumerate(rows, 1)]
    (folder / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def card(app) -> str:
    lines = plain(app, "#kpis").splitlines()
    return "\n".join(line for line in lines if "risk" in line or "take" in line)


@pytest.fixture
def app(tmp_path):
    return KpiApp(crafted(tmp_path / "data"), Settings(cache=False, as_of=AS_OF),
                  clock=lambda: NOW, watch=False)


async def test_card_shows_count_and_value_then_banner(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert card(app) == "At risk (k: list) 3\nAt stake/month €100.00"
        jump = ("⚠ Value at stake from at-risk customers up 275.0% (€100.00 per month, was "
                "€26.67): 3 customers are past their usual buying rhythm")
        assert jump in app.banners
        await pilot.press("y")
        await ready(app, pilot)
        assert card(app) == "At risk (k: list) 3\nAt stake/year €290.00"
        assert not any("Value at stake" in b for b in app.banners)
        await pilot.press("m")
        await ready(app, pilot)
        assert card(app) == "At risk (k: list) 3\nAt stake/month €100.00"
        assert jump in app.banners
        if app.history is not None:  # started once, still active
            assert [a.finding.message for a in app.history.active("month")
                    if a.finding.rule == "at_risk_jump"] == [jump]


async def test_card_waits_without_blocking_keys(app, monkeypatch):
    gate = threading.Event()
    real = session.at_risk_totals

    def slow(index):
        assert gate.wait(10)
        return real(index)

    monkeypatch.setattr(session, "at_risk_totals", slow)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):  # the figures are in, the at-risk computation is held
            await pilot.pause(0.02)
            if app.snapshot is not None:
                break
        await pilot.pause()
        assert card(app) == "At risk …"
        await pilot.press("q")  # keys still work meanwhile
        assert "Q2 2026" in plain(app, "#acv-title")
        assert card(app) == "At risk …"
        gate.set()
        await ready(app, pilot)
        assert card(app) == "At risk (k: list) 3\nAt stake/quarter €250.00"


async def test_card_tight_labels(app):
    async with app.run_test(size=(60, 16)) as pilot:
        await ready(app, pilot)
        assert card(app) == "At risk 3\nStake €100.00"
