"""A SOURCE that is a connection URL: recognise it, show it without its password, name its extra.

No password ever leaves this module in text meant for people: `redact` for URLs, `scrub` for
any message (driver errors quote connection strings and DSNs).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

# scheme -> (pip extra, Python module the engine needs; "a|b": either)
EXTRAS = {
    "postgresql": ("postgres", "psycopg"),
    "postgres": ("postgres", "psycopg"),
    "mysql": ("mysql", "MySQLdb|pymysql"),  # mysqlclient, else PyMySQL standing in for it
    "mariadb": ("mysql", "MySQLdb|pymysql"),
    "duckdb": ("duckdb", "duckdb"),
    "spark": ("spark", "pyspark"),
    "pyspark": ("spark", "pyspark"),
    "bigquery": ("bigquery", "google.cloud.bigquery"),
    "snowflake": ("snowflake", "snowflake.connector"),
    "trino": ("trino", "trino"),
    "clickhouse": ("clickhouse", "clickhouse_connect"),
    "mssql": ("mssql", "pyodbc"),
    "oracle": ("oracle", "oracledb"),
    "databricks": ("databricks", "databricks.sql"),
    "datafusion": ("datafusion", "datafusion"),
    "sqlite": ("sqlite", "sqlite3"),
    "exasol": ("exasol", "pyexasol"),
    "impala": ("impala", "impala"),
    "druid": ("druid", "pydruid"),
    "risingwave": ("postgres", "psycopg"),
    "athena": ("athena", "pyathena"),
}
_URL = re.compile(r"^([a-z][a-z0-9+.\-]*):(//|local\b)", re.I)


class SourceError(Exception):
    """A database source that cannot be used; the message is one line without any password."""


class QueryCancelled(SourceError):
    """The engine cancelled a query slower than the limit (`query_timeout`): the source is
    there, the query is too slow for the limit."""


def scheme(source: str) -> str | None:
    m = _URL.match(str(source).strip())
    return m.group(1).lower() if m else None


def is_url(source) -> bool:
    """True for a connection URL (a known engine's scheme); a folder path is never one."""
    s = scheme(str(source))
    return s is not None and (s in EXTRAS or s.split("+")[0] in EXTRAS)


def url_like(spec) -> bool:
    """A SOURCE taken as a database URL, not a folder (session.is_url)."""
    return "://" in str(spec) or str(spec).startswith(("spark:local", "pyspark:local"))


def engine(source: str) -> str:
    """The Ibis backend name of a URL: postgres, mysql, duckdb, pyspark, bigquery..."""
    s = (scheme(source) or "").split("+")[0]
    return {"postgresql": "postgres", "mariadb": "mysql", "spark": "pyspark"}.get(s, s)


def extra(source: str) -> str:
    s = (scheme(source) or "").split("+")[0]
    return EXTRAS.get(s, (s, s))[0]


def install_hint(source: str) -> str:
    return f"pip install 'kpi-tui[{extra(source)}]'"


def missing_driver(source: str) -> str | None:
    """None when the engine's driver can be imported, else the one line to show."""
    import importlib.util

    s = (scheme(source) or "").split("+")[0]
    module = EXTRAS.get(s, (None, None))[1]
    try:
        ok = module is None or any(importlib.util.find_spec(m) is not None
                                   for m in module.split("|"))
        ok = ok and importlib.util.find_spec("ibis") is not None
    except (ImportError, ValueError):
        ok = False
    if ok:
        return None
    return f"{redact(source)}: the {extra(source)} driver is not installed; run: {install_hint(source)}"


def password(source: str) -> str | None:
    try:
        p = urlsplit(source).password
    except ValueError:
        return None
    return unquote(p) if p else None


def secrets_of(source: str) -> list[str]:
    """Every form of the URL's password (as written and decoded)."""
    try:
        p = urlsplit(source).password
    except ValueError:
        return []
    return [x for x in {p, unquote(p or "")} if x]


def redact(source: str) -> str:
    """The URL without its password (user, host, port, path and non-secret query kept)."""
    try:
        u = urlsplit(source)
    except ValueError:
        return scrub(source)
    netloc = u.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = "&".join(p for p in u.query.split("&")
                     if p and not _SECRET_KEY.search(p.split("=", 1)[0]))
    out = urlunsplit((u.scheme, netloc, u.path, query, u.fragment))
    if not netloc and "://" in source:  # duckdb:///path keeps its three slashes
        out = out.replace(":", "://", 1)
    return scrub(out)


_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.I)
_USERINFO = re.compile(r"(//[^/@:\s]*):[^@/\s]*@")
_KEYVAL = re.compile(r"((?:password|passwd|pwd|secret|token)\s*[=:]\s*)(?!(?:YES|NO)\b)"
                     r"('[^']*'|\"[^\"]*\"|[^\s,;)]+)", re.I)
_DRIVER_TUPLE = re.compile(r"^\(\d+, [\"'](.*)[\"']\)$")


def scrub(text: str, secrets=()) -> str:
    """`text` with every password taken out: the given secrets, `user:pass@` in URLs,
    `password=...` pairs, and the environment's PGPASSWORD / MYSQL_PWD values."""
    out = str(text)
    known = [s for s in secrets if s]
    known += [os.environ[k] for k in ("PGPASSWORD", "MYSQL_PWD") if os.environ.get(k)]
    for s in sorted(set(known), key=len, reverse=True):
        out = out.replace(s, "***")
    out = _USERINFO.sub(r"\1:***@", out)
    return _KEYVAL.sub(r"\1***", out)


def one_line(text: str, secrets=()) -> str:
    """A driver's message as one clean line (first meaningful line, no password)."""
    lines = [ln.strip() for ln in scrub(text, secrets).splitlines() if ln.strip()]
    line = lines[0] if lines else "unknown error"
    m = _DRIVER_TUPLE.match(line)  # MySQLdb: (1045, "Access denied ...")
    return m.group(1) if m else line


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(value: str) -> str:
    """`${VAR}` in a config value replaced by the environment's VAR (missing: SourceError)."""
    def sub(m):
        v = os.environ.get(m.group(1))
        if v is None:
            raise SourceError(f"environment variable {m.group(1)} is not set")
        return v

    return _ENV.sub(sub, value)
