"""Settings: `kpi-tui.toml` (data folder, or --config) and command-line options.

`Settings.resolve(root, config, **overrides)` reads the settings file and applies the options;
every value is checked against the typed schema below (the dataclasses' field types and
`check` metadata). A bad value is one ConfigError line naming the key and the file or option.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import os
import stat
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path

CONFIG_NAME = "kpi-tui.toml"
GRANULARITIES = ("day", "week", "month", "quarter", "year")
MAX_FILE = 1 << 20  # settings and rates files larger than this are refused


class ConfigError(ValueError):
    """A bad setting or settings file: one line naming the key and the file or option."""


# ---- checks (field metadata "check": value -> error text or None) ------------------------------


def _positive(v) -> str | None:
    return None if v > 0 else "must be greater than 0"


def _not_negative(v) -> str | None:
    return None if v >= 0 else "must be 0 or more"


def _percent(v) -> str | None:
    return None if 0 <= v <= 100 else "must be within 0..100"


def _one_of(*allowed):
    return lambda v: None if v in allowed else "must be one of " + ", ".join(map(repr, allowed))


def _timezone(v: str) -> str | None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "is not a known time zone (e.g. Europe/Paris, UTC)"
    return None


def _locale(v: str) -> str | None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(v.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "is not a known locale (e.g. en, fr, de_CH)"
    return None


def _check(fn, default=None):
    return field(default=default, metadata={"check": fn})


# ---- the schema ----------------------------------------------------------------------------------


@dataclass
class Thresholds:
    decline_pct: float = _check(_not_negative, 5.0)  # acv below previous / year-ago by more than this
    flat_periods: int = _check(_positive, 4)  # periods looked at by the flattening rule
    flat_slope_pct: float = _check(_not_negative, 1.0)  # |Theil-Sen slope| within this % of the mean
    churn_spike_points: float = _check(_not_negative, 5.0)  # churn above the recent mean by this
    churn_spike_periods: int = _check(_positive, 6)
    stale_hours: float = _check(_positive, 26.0)
    at_risk_jump_pct: float = _check(_not_negative, 20.0)  # value at stake up more than this


@dataclass
class AtRisk:
    """The at-risk rule (`[at_risk]`): see kpi_tui.metrics.at_risk."""

    k: float = _check(_positive, 2.0)  # times the customer's own median gap between purchase days
    percentile: float = _check(_percent, 80.0)  # of the shop's first-to-second purchase gaps
    max_days: float = _check(_not_negative, 0.0)  # > 0: silent longer than this = lost, not listed

    @classmethod
    def from_config(cls, table: dict | None) -> AtRisk:
        """From an `[at_risk]` table (None: defaults). Raises ConfigError (a ValueError too)."""
        return _build(cls, table or {}, "[at_risk]")


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
    type: str | None = None  # a row's kind: transfers, fees... are not sales (plain.not_sale)
    date_format: str | None = None  # strftime format, e.g. "%d/%m/%Y"
    decimal: str | None = _check(_one_of(".", ","))


@dataclass
class Source:
    """`[source]`: a database URL (`${ENV_VAR}` allowed, for a password) and its table or
    query, polled every poll_seconds by the monitor and `watch`. The command line wins."""

    url: str | None = field(default=None, repr=False)  # (a password: in no repr)
    table: str | None = None
    sql: str | None = None
    poll_seconds: float = _check(_positive, 60.0)
    query_timeout: float | None = _check(_positive)  # seconds (default 60, or the environment's
    # KPI_TUI_QUERY_TIMEOUT); a slower query is cancelled by the engine and reported
    duckdb_memory_mb: int | None = _check(_positive)  # DuckDB runs in kpi-tui's process: its
    # memory limit (default: within kpi-tui's 200 MB; more is faster on a large table)


@dataclass
class Settings:
    currency: str | None = None  # reporting currency; default: currency of most rows
    rates: dict[str, float] = field(default_factory=dict)  # 1 unit of key = rate reporting units
    timezone: str | None = _check(_timezone)
    margin: float = _check(_positive, 1.0)
    as_of: dt.date | None = None
    date_order: str | None = _check(_one_of("dmy", "mdy"))  # for truly ambiguous files
    locale: str = _check(_locale, "en")
    granularity: str = _check(_one_of(*GRANULARITIES), "month")
    marker: str | None = None
    theme: str | None = None  # the monitor's colour theme (Textual's name, e.g. textual-light)
    ascii: bool | None = None  # the monitor in ASCII only (None: when the terminal needs it)
    cache: bool = True
    link_identities: bool = True  # METRICS.md "one person, one customer"
    mapping: Mapping | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    at_risk: AtRisk = field(default_factory=AtRisk)
    date_min: dt.date | None = None  # rows dated before are left out (None: 1990-01-01)
    date_max: dt.date | None = None  # rows dated after are left out (None: tomorrow)
    source: Source | None = None  # [source]: a database instead of a folder

    @classmethod
    def resolve(cls, root: Path | None = None, config: Path | None = None, *,
                rates_file: Path | None = None, **overrides) -> Settings:
        """`config` (default: ROOT/kpi-tui.toml when it exists), then the rates file, then the
        `overrides` (Settings fields; None means not given), each checked like the file."""
        s = cls()
        path = config or (Path(root) / CONFIG_NAME if root is not None else None)
        if config is not None or (path is not None and path.is_file()):
            load_config(path, s)
        if rates_file is not None:
            s.rates.update(load_rates(rates_file))
        names = {f.name: f for f in fields(cls)}
        for key, value in overrides.items():
            if value is None:
                continue
            if key not in names:
                raise TypeError(f"Settings.resolve: no setting {key!r}")
            opt = "--period" if key == "granularity" else "--" + key.replace("_", "-")
            setattr(s, key, _value(names[key], value, opt))
        return s


# ---- checking a table against a dataclass --------------------------------------------------------


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _type_of(cls, f) -> object:
    return _hints(cls)[f.name]


def _kind(value) -> str:
    return {bool: "true/false", str: "text", int: "a whole number", float: "a number",
            dict: "a table", list: "a list"}.get(type(value), type(value).__name__)


def _convert(value, tp, where: str):
    """`value` as type `tp` (float, int, str, bool, date, X | None), else ConfigError."""
    args = typing.get_args(tp)
    if type(None) in args:
        if value is None:
            return None
        tp = next(a for a in args if a is not type(None))
    bad = ConfigError(f"{where} must be {_WANT.get(tp, getattr(tp, '__name__', tp))}, "
                      f"not {_kind(value)} {value!r}")
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, not {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else _raise(bad)
        except ValueError:
            raise bad from None
    if tp in (str, bool):
        if type(value) is not tp:
            raise bad
        return value
    raise bad


_WANT = {float: "a number", int: "a whole number", str: "text", bool: "true or false",
         dt.date: "a date (YYYY-MM-DD)"}


def _raise(e: Exception):
    raise e


def _value(f, value, where: str, tp=None):
    v = _convert(value, tp or _type_of(Settings, f), where)
    check = f.metadata.get("check")
    if v is not None and check is not None:
        msg = check(v)
        if msg:
            raise ConfigError(f"{where} {msg} (got {value!r})")
    return v


def _build(cls, table, where: str):
    """A `cls` from a TOML table, every key known and every value checked."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table ([section] with keys), not {_kind(table)}")
    obj = cls()
    known = {f.name: f for f in fields(cls)}
    for key, value in table.items():
        k = str(key).replace("-", "_")
        if k not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        setattr(obj, k, _value(known[k], value, f"{where}: {key}", _type_of(cls, known[k])))
    return obj


def read_small(path: Path, what: str = "settings file") -> str:
    """The text of a regular file of at most MAX_FILE bytes (never a FIFO or a device)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{path}: is a folder, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: not a regular file (a {what} must be one)")
        if st.st_size > MAX_FILE:
            raise ConfigError(f"{path}: too large for a {what} ({st.st_size:,} bytes)")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def load_config(path: Path, settings: Settings | None = None) -> Settings:
    """Read a kpi-tui.toml into `settings` (or new Settings); ConfigError on any bad value."""
    import tomllib  # (only with a config file: ~5 ms of every start otherwise)

    s = settings or Settings()
    try:
        data = tomllib.loads(read_small(path))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    known = {f.name: f for f in fields(Settings)}
    where = str(path)
    for key, value in data.items():
        k = str(key).replace("-", "_")
        if k not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        if k == "mapping":
            s.mapping = _build(Mapping, value, f"{where}: [{key}]")
        elif k == "thresholds":
            s.thresholds = _build(Thresholds, {**_table(s.thresholds), **_dict(value, where, k)},
                                  f"{where}: [{key}]")
        elif k == "source":
            s.source = _build(Source, value, f"{where}: [{key}]")
        elif k == "at_risk":
            s.at_risk = _build(AtRisk, value, f"{where}: [{key}]")
        elif k == "rates":
            s.rates = _rates(value, f"{where}: [rates]")
        else:
            setattr(s, k, _value(known[k], value, f"{where}: {key}"))
    return s


def _dict(value, where: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table, not {_kind(value)}")
    return value


def _table(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _rates(table, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of CODE = rate, not {_kind(table)}")
    out = {}
    for code, v in table.items():
        v = _convert(v, float, f"{where}: {code}")
        if v <= 0:
            raise ConfigError(f"{where}: {code} must be greater than 0 (got {v!r})")
        out[str(code).strip().upper()] = v
    return out


def load_rates(path: Path) -> dict[str, float]:
    """A rates file: TOML (`USD = 0.92`) or CSV lines `USD,0.92`: 1 unit = rate reporting units."""
    import tomllib

    text = read_small(path, "rates file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = None
    if data:
        return _rates(data.get("rates", data), str(path))
    rows = {}
    for row in csv.reader(text.splitlines()):
        if len(row) < 2:
            continue
        try:
            rows[row[0].strip()] = float(row[1])
        except ValueError:
            continue  # a header line
    return _rates(rows, str(path))
