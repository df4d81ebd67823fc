"""`[source] query_timeout`: the limit after which the engine cancels a query (issue 8)."""

from __future__ import annotations

import pytest

from kpi_tui.session import open_source
from kpi_tui.settings import ConfigError, Settings, load_config

duckdb = pytest.importorskip("duckdb")


def _db(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT 'a' AS customer_id, DATE '2026-01-05' AS "
                "created_at, 10.5 AS amount")
    con.close()
    return f"duckdb:///{path}"


def test_query_timeout_from_the_settings_file(tmp_path):
    url = _db(tmp_path)
    cfg = tmp_path / "kpi-tui.toml"
    cfg.write_text(f'[source]\nurl = "{url}"\ntable = "orders"\nquery_timeout = 7.5\n')
    s = load_config(cfg)
    src = open_source(url, s, table="orders")
    assert src.conn.timeout == 7.5
    assert src.report("month")["periods"][0]["revenue"] == 10.5
    assert open_source(url, Settings(), table="orders").conn.timeout == 60.0


@pytest.mark.parametrize("bad", ["0", "-1", '"soon"'])
def test_query_timeout_must_be_a_positive_number(tmp_path, bad):
    cfg = tmp_path / "kpi-tui.toml"
    cfg.write_text(f'[source]\nurl = "duckdb:///x.duckdb"\nquery_timeout = {bad}\n')
    with pytest.raises(ConfigError, match="query_timeout"):
        load_config(cfg)
