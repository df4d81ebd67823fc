"""Issue 13, items 4 and 6: amounts that are not finite or absurd, dates outside the window."""

import datetime as dt

from faultkit import folder, revenue, run

from kpi_tui.ingest.folder import load_folder
from kpi_tui.settings import Settings

GOOD_REVENUE = [("2026-01-01", 10.0), ("2026-02-01", 20.0)]


def test_non_finite_amounts_are_left_out(tmp_path, capsys):
    rows = "".join(f"x{i},2026-02-10,{v}\n" for i, v in enumerate(["inf", "-inf", "Infinity", "nan"]))
    d = folder(tmp_path, {"bad.csv": "customer,date,amount\n" + rows})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert code == 0 and revenue(out) == GOOD_REVENUE
    assert err == "kpi-tui: warning: 3 rows with amount not a finite number left out: bad.csv\n"
    out = run(capsys, "check", d)[1]
    assert ("rows:     4 read, 0 kept, 4 dropped\n"
            "              3 amount not a finite number\n"
            "              1 unreadable amount\n") in out


def test_json_1e999_and_absurd_amounts_are_left_out(tmp_path, capsys):
    rows = [("p", "1e999"), ("q", "1e308"), ("r", "1" + "0" * 39), ("s", "9000000000001"),
            ("t", "9000000000000"), ("u", "-9000000000000.5")]
    body = ",".join(f'{{"customer":"{c}","date":"2026-02-11","amount":{v}}}' for c, v in rows)
    d = folder(tmp_path, {"big.json": f"[{body}]"})
    code, out, err = run(capsys, "report", d, "--format", "json")
    assert revenue(out) == [("2026-01-01", 10.0), ("2026-02-01", 9_000_000_000_020.0)]
    assert err == ("kpi-tui: warning: 1 row with amount not a finite number left out: big.json\n"
                   "kpi-tui: warning: 4 rows with amount beyond ±9,000,000,000,000 left out: big.json\n")


def test_dates_outside_the_window_are_left_out_and_named(tmp_path, capsys):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    after = tomorrow + dt.timedelta(days=1)
    rows = (f"a,{tomorrow},1\nb,{after},2\nc,1989-12-31,4\nd,1990-01-01,8\n"
            "e,0001-01-01,16\n")
    d = folder(tmp_path, {"typo.csv": "customer,date,amount\n" + rows})
    ds = load_folder(d, Settings())
    rep = next(f for f in ds.files if f.path.name == "typo.csv")
    assert rep.drops == {f"dated {after}": 1, "dated 1989-12-31": 1, "dated 0001-01-01": 1}
    assert (rep.rows_kept, rep.date_min, rep.date_max) == (2, "1990-01-01", tomorrow.isoformat())
    assert ds.warnings == [f"1 row dated 0001-01-01 left out: typo.csv",
                           f"1 row dated 1989-12-31 left out: typo.csv",
                           f"1 row dated {after} left out: typo.csv"]


def test_many_bad_dates_are_one_reason(tmp_path):
    rows = "".join(f"c{y},{y}-01-01,1\n" for y in range(1900, 1910))
    d = folder(tmp_path, {"old.csv": "customer,date,amount\n" + rows})
    s = Settings(date_max=dt.date(2030, 1, 1))
    ds = load_folder(d, s)
    rep = next(f for f in ds.files if f.path.name == "old.csv")
    assert rep.drops == {"dated outside 1990-01-01 to 2030-01-01": 10}
    assert ds.warnings == ["10 rows dated outside 1990-01-01 to 2030-01-01 left out: old.csv"]


def test_date_window_is_a_setting_and_applies_to_cached_files(tmp_path, capsys):
    d = folder(tmp_path, {})
    assert revenue(run(capsys, "report", d, "--format", "json")[1]) == GOOD_REVENUE
    (d / "kpi-tui.toml").write_text("date_min = 2026-02-01\ndate_max = 2026-12-31\n")
    code, out, err = run(capsys, "report", d, "--format", "json")  # good.csv from the cache
    assert revenue(out) == [("2026-02-01", 20.0)]
    assert err == "kpi-tui: warning: 1 row dated 2026-01-05 left out: good.csv\n"


def test_dropped_typo_row_id_still_takes_part_in_dedupe(tmp_path):
    """Ids of rows left out still say which file holds the order (as for cancelled rows)."""
    import os

    d = folder(tmp_path, {
        "old.csv": "order_id,customer,date,amount\n7,a,2026-01-05,10\n",
        "new.csv": "order_id,customer,date,amount\n7,a,9999-01-05,10\n"})
    os.utime(d / "old.csv", (1e9, 1e9))
    ds = load_folder(d, Settings())
    assert ds.rows == 2  # good.csv's two rows; order 7 is the newer file's, left out there
