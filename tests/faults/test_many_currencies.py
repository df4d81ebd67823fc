"""Issue 13, item 9: warnings of one kind are grouped (thousands of currencies, one line)."""

from faultkit import folder, revenue, run


def test_thousands_of_currencies_without_a_rate_are_one_warning(tmp_path, capsys):
    rows = "".join(f"c{i},2026-01-09,1,X{i:04d}\n" for i in range(2000))
    rows += "".join(f"e{i},2026-01-10,2,EUR\n" for i in range(2001))  # EUR: most rows
    d = folder(tmp_path, {"many.csv": "customer,date,amount,currency\n" + rows})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert code == 0
    assert revenue(out) == [("2026-01-01", 4012.0), ("2026-02-01", 20.0)]
    assert err == ("kpi-tui: warning: 2,000 rows in 2,000 currencies left out: no rate to EUR "
                   "(give them with --rates); most rows in X0000 (1), X0001 (1), X0002 (1)\n")


def test_three_currencies_are_named_one_by_one(tmp_path, capsys):
    rows = "".join(f"e{i},2026-01-10,2,EUR\n" for i in range(9))
    rows += "u,2026-01-09,1,USD\ng,2026-01-09,1,GBP\ng,2026-01-09,1,GBP\n"
    d = folder(tmp_path, {"few.csv": "customer,date,amount,currency\n" + rows})
    err = run(capsys, "report", d)[2]
    assert err == ("kpi-tui: warning: 2 rows in GBP left out: no rate to EUR (give one with --rates)\n"
                   "kpi-tui: warning: 1 rows in USD left out: no rate to EUR (give one with --rates)\n")
