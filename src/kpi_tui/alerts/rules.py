"""Warning rules: pure functions from the per-period figures to findings (banners).

The period rules judge the LATEST COMPLETE period only; the period in progress is never judged.

- decline: acv below the previous period, or below the same period a year earlier, by MORE than
  `decline_pct` % (exactly 5.0% does not fire). "A year earlier" is the period starting one year
  before: same month / quarter a year back, the previous year, 52 weeks (364 days) back for
  weeks (so the same ISO weekday), and the same calendar date a year back for days (29 February
  compares with 28 February).
- flattening: over the last `flat_periods` complete periods (all with an acv), EITHER the
  Theil-Sen slope (median of the pairwise slopes) is within ±`flat_slope_pct` % of the mean per
  period (boundary included), OR a one-sided Mann-Kendall test finds no upward trend at
  alpha = 0.05. For n <= 10 the test uses the exact distribution of S over all orderings of the
  values (ties included); beyond, the normal approximation with the tie-corrected variance and a
  continuity correction. With n = 4 the smallest possible p-value is 1/24 ≈ 0.042, reached only
  by a strictly increasing series: so with the default settings the rule stays quiet only when
  each period is above the one before AND the trend exceeds 1% of the mean per period.
- churn_spike: churn rate more than `churn_spike_points` percentage points above the mean churn
  rate of up to `churn_spike_periods` complete periods before it (at least 3 of them, or all of
  them when fewer are asked for, must have a churn rate).
- stale_data: the newest transaction (taken as made at the END of its day, in `now`'s clock) or
  the newest file modification is more than `stale_hours` before `now`. Pass None to skip a check
  (e.g. when the as-of date is set by hand for a look at the past).
- at_risk_jump: the value at stake of the at-risk customers (kpi_tui.metrics.at_risk: their
  average spend per period, summed) as of the as-of date is more than `at_risk_jump_pct` % above
  its value as of the last day of the period before the as-of date's (exactly 20.0% does not
  fire; nothing when the earlier value is 0 or unknown).
- files_skipped: one finding naming every skipped file with its reason.
- currency_left_out: one per warning of the dataset about rows left out (no conversion rate);
  any other dataset warning becomes a `data_warning` finding.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kpi_tui import fmt
from kpi_tui.alerts import explain
from kpi_tui.settings import Thresholds

RULES = (
    "decline", "flattening", "churn_spike", "at_risk_jump", "stale_data", "files_skipped", "currency_left_out",
    "data_warning",
)  # fmt: skip
ALPHA = 0.05  # Mann-Kendall one-sided significance level
EXACT_MK_MAX_N = 10


@dataclass(frozen=True)
class Finding:
    rule: str  # one of RULES
    key: str  # stable identity while the same condition holds (alert history)
    severity: str  # "warning" or "notice"
    message: str  # one line, starts with "⚠ "
    detail: str = ""  # longer plain text (help / history screen)
    period: str | None = None  # `start` of the period judged, for period rules


@dataclass(frozen=True)
class AtRiskStake:
    """Value at stake of the at-risk customers (units per period of the granularity) as of the
    as-of date, and as of `since` (ISO date: last day of the period before the as-of date's)."""

    current: float | None
    previous: float | None
    customers: int
    since: str | None = None


# ---- statistics -----------------------------------------------------------------------------


def theil_sen_slope(y: Iterable[float]) -> float:
    """Median of the slopes (y_j - y_i) / (j - i) over all pairs i < j (x = 0, 1, 2, ...)."""
    y = np.asarray(list(y), dtype=np.float64)
    i, j = np.triu_indices(len(y), k=1)
    if len(i) == 0:
        return 0.0
    return float(np.median((y[j] - y[i]) / (j - i)))


def mann_kendall_s(y: Iterable[float]) -> int:
    """S = sum over pairs i < j of sign(y_j - y_i)."""
    y = np.asarray(list(y), dtype=np.float64)
    i, j = np.triu_indices(len(y), k=1)
    return int(np.sign(y[j] - y[i]).sum())


def _poly_mul(a: list[int], b: list[int]) -> list[int]:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        if x:
            for j, z in enumerate(b):
                out[i + j] += x * z
    return out


@lru_cache(maxsize=256)
def _q_binomial(n: int, k: int) -> tuple[int, ...]:
    """Gaussian binomial [n choose k]_q as coefficients (index = power of q)."""
    if k < 0 or k > n:
        return (0,)
    if k == 0 or k == n:
        return (1,)
    a = _q_binomial(n - 1, k - 1)
    b = (0,) * k + _q_binomial(n - 1, k)
    size = max(len(a), len(b))
    return tuple((a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(size))


def _inversion_counts(ties: list[int]) -> list[int]:
    """Number of distinct orderings of a multiset (group sizes `ties`) by inversion count:
    the q-multinomial coefficient."""
    poly, total = [1], 0
    for t in ties:
        total += t
        poly = _poly_mul(poly, list(_q_binomial(total, t)))
    return poly


def mann_kendall_p_up(y: Iterable[float]) -> float:
    """One-sided p-value of the Mann-Kendall test against 'no trend', alternative 'upward':
    P(S >= S_observed) when every ordering of the values is equally likely."""
    y = [float(v) for v in y]
    n = len(y)
    if n < 2:
        return 1.0
    s = mann_kendall_s(y)
    _, counts = np.unique(np.asarray(y), return_counts=True)
    ties = [int(c) for c in counts]
    if n <= EXACT_MK_MAX_N:
        # S = N - T - 2D, D = pairs in decreasing order, T = tied pairs: S >= s <=> D <= d
        pairs = n * (n - 1) // 2
        tied = sum(t * (t - 1) // 2 for t in ties)
        d = (pairs - tied - s) // 2
        dist = _inversion_counts(ties)
        return sum(dist[: d + 1]) / sum(dist)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if var <= 0:
        return 1.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return 0.5 * math.erfc(z / math.sqrt(2))


# ---- helpers --------------------------------------------------------------------------------


def year_ago_start(start: dt.date, g: str) -> dt.date:
    """First day of the period one year before the period starting on `start` (see module doc)."""
    if g == "week":
        return start - dt.timedelta(weeks=52)
    try:
        return start.replace(year=start.year - 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year - 1, day=28)


def year_ago_index(rows: list[dict], i: int, g: str) -> int | None:
    """Position in `rows` (consecutive periods, oldest first) of the period a year before
    rows[i] (year_ago_start), or None when the series does not reach back that far."""
    want = year_ago_start(dt.date.fromisoformat(rows[i]["start"]), g).isoformat()
    for j in range(i - 1, -1, -1):
        start = rows[j].get("start")
        if start == want:
            return j
        if start < want:
            break
    return None


def latest_complete(figures: list[dict]) -> int | None:
    """Index of the latest complete period in `figures`, or None."""
    for i in range(len(figures) - 1, -1, -1):
        if figures[i].get("complete"):
            return i
    return None


def _beyond(x: float, limit: float) -> bool:
    """x > limit, with float noise below 1e-9 ignored (so 5.000000000000004 > 5 is False)."""
    return round(x - limit, 9) > 0


def _ago(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} h ago"
    return f"{hours / 24:.0f} days ago"


UNITS = {"day": "days", "week": "weeks", "month": "months", "quarter": "quarters", "year": "years"}


# ---- the rules ------------------------------------------------------------------------------


def _decline(rows, i, g, th, label, money, currency, locale, year_ago_row) -> list[Finding]:
    row = rows[i]
    acv = row.get("acv")
    if acv is None:
        return []
    out = []
    prev = rows[i - 1] if i > 0 else None
    if year_ago_row is None:
        j = year_ago_index(rows, i, g)
        year_ago_row = None if j is None else rows[j]
    for kind, ref in (("previous", prev), ("year_ago", year_ago_row)):
        if ref is None or not ref.get("acv") or ref["acv"] <= 0:
            continue
        drop = (ref["acv"] - acv) / ref["acv"] * 100
        if not _beyond(drop, th.decline_pct):
            continue
        what = label(ref["start"])
        head = f"⚠ Average customer value down {fmt.number(drop, 1, locale)}% vs {what}"
        detail = f"{money(acv)} in {label(row['start'])}, {money(ref['acv'])} in {what}."
        if kind == "previous":
            why = explain.cause(row, currency, locale)
            if why:
                head += f": {why}"
            detail += " " + explain.why_sentence(row, prev, currency, locale, what)
        else:
            head += f" ({money(acv)}, was {money(ref['acv'])})"
        out.append(
            Finding("decline", f"decline:{g}:{kind}:{row['start']}", "warning", head, detail,
                    row["start"])  # fmt: skip
        )
    return out


def _flattening(rows, i, g, th, label, money, locale) -> list[Finding]:
    n = th.flat_periods
    if n < 2 or i + 1 < n:
        return []
    window = rows[i + 1 - n : i + 1]
    y = [r.get("acv") for r in window]
    if any(v is None for v in y):
        return []
    mean = float(np.mean(y))
    slope = theil_sen_slope(y)
    rel = slope / mean * 100 if mean else 0.0
    flat = not _beyond(abs(rel), th.flat_slope_pct)
    p = mann_kendall_p_up(y)
    no_up = p > ALPHA
    if not (flat or no_up):
        return []
    unit = g if g in UNITS else "period"
    span = f"the last {n} {UNITS.get(g, 'periods')}"
    word = "flat" if flat else "not growing"
    msg = (
        f"⚠ Average customer value {word} over {span} "
        f"({label(window[0]['start'])} to {label(window[-1]['start'])}): "
        f"trend {fmt.signed_pct(rel / 100, 1, locale)} per {unit}"
    )
    detail = (
        f"Theil-Sen slope {fmt.signed_money(slope, None, locale)} per {unit} "
        f"({fmt.signed_pct(rel / 100, 2, locale)} of the mean {money(mean)}); "
        f"Mann-Kendall S = {mann_kendall_s(y)}, one-sided p = {p:.3f}"
        f"{' (no upward trend)' if no_up else ''}."
    )
    return [Finding("flattening", f"flattening:{g}", "notice", msg, detail, window[-1]["start"])]


def _churn_spike(rows, i, g, th, label, locale) -> list[Finding]:
    row = rows[i]
    rate = row.get("churn_rate")
    if rate is None:
        return []
    k = th.churn_spike_periods
    before = [r["churn_rate"] for r in rows[max(0, i - k) : i] if r.get("churn_rate") is not None]
    if not before or len(before) < min(3, k):
        return []
    mean = sum(before) / len(before)
    gap = (rate - mean) * 100
    if not _beyond(gap, th.churn_spike_points):
        return []
    left = row.get("churned_customers") or 0
    base = left + (row.get("retained_customers") or 0)
    msg = (
        f"⚠ Churn rate {fmt.pct(rate, 1, locale)} in {label(row['start'])}, "
        f"{fmt.number(gap, 1, locale)} points above its recent mean of {fmt.pct(mean, 1, locale)}: "
        f"{fmt.count(left, locale)} of {fmt.count(base, locale)} customers left"
    )
    detail = f"Mean churn rate of the {len(before)} {UNITS.get(g, 'periods')} before."
    return [Finding("churn_spike", f"churn_spike:{g}:{row['start']}", "warning", msg, detail,
                    row["start"])]  # fmt: skip


def _stale(th, newest_txn, newest_file_mtime, now, locale) -> list[Finding]:
    if now is None:
        return []
    limit = th.stale_hours
    parts = []
    if newest_txn is not None:
        end = dt.datetime.combine(newest_txn + dt.timedelta(days=1), dt.time(), now.tzinfo)
        hours = (now - end).total_seconds() / 3600
        if _beyond(hours, limit):
            parts.append(
                f"newest transaction on {fmt.period_name(newest_txn, 'day', locale)} "
                f"(day ended {_ago(hours)})"
            )
    if newest_file_mtime is not None:
        hours = (now.timestamp() - newest_file_mtime) / 3600
        if _beyond(hours, limit):
            parts.append(f"newest file changed {_ago(hours)}")
    if not parts:
        return []
    msg = "⚠ Data may be stale: " + "; ".join(parts)
    detail = f"Warns when the newest data is more than {limit:g} hours old (stale_hours)."
    return [Finding("stale_data", "stale_data", "warning", msg, detail)]


def at_risk_jump(
    current_value: float | None,
    previous_value: float | None,
    *,
    threshold_pct: float = 20.0,
    customers: int = 0,
    g: str = "month",
    since: str | None = None,
    currency: str | None = None,
    locale: str = "en",
) -> Finding | None:
    """A finding when the value at stake rose by more than `threshold_pct` % (see module doc)."""
    if current_value is None or previous_value is None or previous_value <= 0:
        return None
    rise = (current_value - previous_value) / previous_value * 100
    if not _beyond(rise, threshold_pct):
        return None
    unit = g if g in UNITS else "period"
    now, was = fmt.money(current_value, currency, locale), fmt.money(previous_value, currency, locale)
    who = ("1 customer is" if customers == 1 else f"{fmt.count(customers, locale)} customers are")
    msg = (f"⚠ Value at stake from at-risk customers up {fmt.number(rise, 1, locale)}% "
           f"({now} per {unit}, was {was}): {who} past their usual buying rhythm")
    when = f" on {fmt.period_name(since, 'day', locale)}" if since else ""
    detail = (f"The at-risk customers' average spend per {unit}, summed: {now} now, {was}{when}. "
              f"Warns when it rises more than {threshold_pct:g}% (at_risk_jump_pct).")
    return Finding("at_risk_jump", f"at_risk_jump:{g}:{since or ''}", "warning", msg, detail)


def _files(skipped, warnings) -> list[Finding]:
    out = []
    skipped = list(skipped or ())
    if skipped:
        names = [str(n) for n, _ in skipped]
        lines = [f"{n} ({str(r).rstrip('.')})" for n, r in skipped]
        head = "1 file skipped" if len(skipped) == 1 else f"{len(skipped)} files skipped"
        out.append(
            Finding("files_skipped", "files_skipped:" + "|".join(sorted(names)), "warning",
                    f"⚠ {head}: " + "; ".join(lines), "\n".join(lines))  # fmt: skip
        )
    for w in warnings or ():
        rule = "currency_left_out" if "left out" in w else "data_warning"
        out.append(Finding(rule, f"{rule}:{w}", "warning", f"⚠ {w}", w))
    return out


def evaluate(
    figures: list[dict],
    g: str,
    thresholds: Thresholds | None = None,
    *,
    locale: str = "en",
    currency: str | None = None,
    period_label: Callable[[str], str] | None = None,
    year_ago_row: dict | None = None,
    newest_txn: dt.date | None = None,
    newest_file_mtime: float | None = None,
    now: dt.datetime | None = None,
    skipped: Iterable[tuple[str, str]] = (),
    warnings: Iterable[str] = (),
    at_risk: AtRiskStake | None = None,
) -> list[Finding]:
    """Every finding for granularity `g`, in banner order (most pressing first).

    `figures`: the period dicts of METRICS.md for `g` (oldest first). `period_label(start)` names
    a period (default fmt.period_name). `year_ago_row` overrides the look-up of the period a
    year before. `now` is needed for stale_data only. `skipped`: (file name, reason) pairs.
    `at_risk`: the value at stake now and before, for at_risk_jump (None: not judged).
    """
    th = thresholds or Thresholds()
    label = period_label or (lambda s: fmt.period_name(s, g, locale))

    def money(x):
        return fmt.money(x, currency, locale)

    out: list[Finding] = []
    i = latest_complete(figures)
    if i is not None:
        out += _decline(figures, i, g, th, label, money, currency, locale, year_ago_row)
        out += _churn_spike(figures, i, g, th, label, locale)
        out += _flattening(figures, i, g, th, label, money, locale)
    if at_risk is not None:
        jump = at_risk_jump(at_risk.current, at_risk.previous,
                            threshold_pct=th.at_risk_jump_pct, customers=at_risk.customers, g=g,
                            since=at_risk.since, currency=currency, locale=locale)
        out += [jump] if jump else []
    out += _stale(th, newest_txn, newest_file_mtime, now, locale)
    out += _files(skipped, warnings)
    return out
