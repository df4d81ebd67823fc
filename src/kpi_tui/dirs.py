"""kpi-tui's folder in the user cache dir (platformdirs): what it keeps there may be thrown away
(parsed files, stored statements, DuckDB's spill, Spark's log, a list on its way out)."""

from __future__ import annotations

from pathlib import Path


def cache_dir(*parts: str, create: bool = False) -> Path:
    """<user cache dir>/kpi-tui/<parts>, made with its parents if `create`."""
    import platformdirs

    where = Path(platformdirs.user_cache_dir("kpi-tui"), *parts)
    if create:
        where.mkdir(parents=True, exist_ok=True)
    return where


def duckdb_spill() -> Path:
    """Where DuckDB spills in kpi-tui's own process (never beside the user's file)."""
    return cache_dir("duckdb-spill", create=True)
