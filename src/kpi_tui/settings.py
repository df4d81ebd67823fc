"""Settings: command-line options and `kpi-tui.toml` (data folder, or --config)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

CONFIG_NAME = "kpi-tui.toml"
GRANULARITIES = ("day", "week", "month", "quarter", "year")


@dataclass
class Thresholds:
    decline_pct: float = 5.0  # acv below previous / year-ago period by more than this
    flat_periods: int = 4  # periods looked at by the flattening rule
    flat_slope_pct: float = 1.0  # |Theil-Sen slope| within this % of the mean per period
    churn_spike_points: float = 5.0  # churn above the mean of previous periods by this many points
    churn_spike_periods: int = 6
    stale_hours: float = 26.0
    at_risk_jump_pct: float = 20.0  # value at stake of at-risk customers up more than this


@dataclass
class Mapping:
    """Explicit column names for an export kpi-tui does not recognise ([mapping] in the TOML)."""

    customer: str | None = None
    email: str | None = None
    date: str | None = None
    amount: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    refunded: str | None = None
    status: str | None = None
    order_id: str | None = None
    currency: str | None = None
    date_format: str | None = None  # strftime format, e.g. "%d/%m/%Y"
    decimal: str | None = None  # "." or ","


@dataclass
class Settings:
    currency: str | None = None  # reporting currency; default: currency of most rows
    rates: dict[str, float] = field(default_factory=dict)  # 1 unit of key = rate reporting units
    timezone: str | None = None
    margin: float = 1.0
    as_of: dt.date | None = None
    date_order: str | None = None  # "dmy" or "mdy" for truly ambiguous files
    locale: str = "en"
    granularity: str = "month"
    marker: str | None = None
    cache: bool = True
    mapping: Mapping | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    at_risk: dict = field(default_factory=dict)  # [at_risk] k, percentile, max_days
    date_min: dt.date | None = None  # rows dated before are left out (None: 1990-01-01)
    date_max: dt.date | None = None  # rows dated after are left out (None: tomorrow)


class ConfigError(Exception):
    pass


def _fill(obj, table: dict, where: str):
    names = {f.name for f in fields(obj)}
    for key, value in table.items():
        k = key.replace("-", "_")
        if k not in names:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        setattr(obj, k, value)


def load_config(path: Path, settings: Settings | None = None) -> Settings:
    """Read a kpi-tui.toml into `settings` (or new Settings)."""
    s = settings or Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from e
    data = dict(data)
    mapping = data.pop("mapping", None)
    thresholds = data.pop("thresholds", None)
    rates = data.pop("rates", None)
    at_risk = data.pop("at_risk", None) or data.pop("at-risk", None)
    if "as_of" in data or "as-of" in data:
        v = data.pop("as_of", None) or data.pop("as-of")
        data["as_of"] = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
    for k in ("date_min", "date_max"):  # the plausible window of transaction dates
        v = data.pop(k, data.pop(k.replace("_", "-"), None))
        if v is not None:
            try:
                data[k] = v.date() if isinstance(v, dt.datetime) else (
                    v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))
            except ValueError:
                raise ConfigError(f"{path}: {k} must be a date (YYYY-MM-DD), not {v!r}") from None
    _fill(s, data, str(path))
    if mapping is not None:
        s.mapping = Mapping()
        _fill(s.mapping, mapping, f"{path} [mapping]")
    if thresholds is not None:
        _fill(s.thresholds, thresholds, f"{path} [thresholds]")
    if at_risk is not None:
        s.at_risk = {str(k).replace("-", "_"): v for k, v in at_risk.items()}
    if rates is not None:
        s.rates = {str(k).upper(): float(v) for k, v in rates.items()}
    if s.granularity not in GRANULARITIES:
        raise ConfigError(f"{path}: granularity must be one of {', '.join(GRANULARITIES)}")
    return s


def load_rates(path: Path) -> dict[str, float]:
    """A rates file: TOML (`USD = 0.92`) or CSV lines `USD,0.92`: 1 unit = rate reporting units."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
        data = data.get("rates", data)
        return {str(k).upper(): float(v) for k, v in data.items()}
    except (tomllib.TOMLDecodeError, ValueError, TypeError, AttributeError):
        pass
    import csv

    rates = {}
    for row in csv.reader(text.splitlines()):
        if len(row) >= 2:
            try:
                rates[row[0].strip().upper()] = float(row[1])
            except ValueError:
                continue  # a header line
    return rates
