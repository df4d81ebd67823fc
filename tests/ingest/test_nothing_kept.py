"""A file whose every row is pending says so, with its currency and how to count them (issue 10 item 14)."""

import json
import re

from kpi_tui.cli import main

ORDERS = ('Order ID,Order Date,Customer Email,Order Total,Currency,Order Status\n'
          '1001,2026-03-01,rahim@example.com,"1,250.00",BDT,pending\n'
          '1002,2026-03-02,karim@example.com,800.00,BDT,Pending\n'
          '1003,2026-03-03,,450.00,BDT,pending\n')


def test_all_rows_pending(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(ORDERS)
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "    currency: none given" not in out
    note = ('note:     every row was left out: its status says the money never moved (pending: 3). '
            'Its currency: BDT. If these orders were paid (cash on delivery, for instance), name the '
            'columns without a status in kpi-tui.toml to count them: mapping = { amount = "Order Total", '
            'currency = "Currency", email = "Customer Email", date = "Order Date", order_id = "Order ID" }')
    assert note in out
    # the suggestion works as printed
    (tmp_path / "kpi-tui.toml").write_text(re.search(r"mapping = \{.*\}", note).group(0) + "\n")
    assert main(["report", str(tmp_path), "--format", "json", "--no-cache"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["currency"] == "BDT" and got["periods"][0]["revenue"] == 2050.0
    assert got["periods"][0]["active_customers"] == 2 and got["unattributed_revenue"] == 450.0
