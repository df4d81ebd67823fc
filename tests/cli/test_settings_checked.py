"""Every bad setting is one line naming the key and the file (or option), exit 2 (issue 13)."""

from pathlib import Path

import pytest

from kpi_tui.cli import main
from kpi_tui.settings import AtRisk, ConfigError, Settings, Thresholds

BAD_FILE = [
    ('margin = "abc"', "margin must be a number, not text 'abc'"),
    ("margin = nan", "margin must be a finite number, not nan"),
    ("margin = inf", "margin must be a finite number, not inf"),
    ("margin = 0", "margin must be greater than 0 (got 0)"),
    ("margin = -0.5", "margin must be greater than 0 (got -0.5)"),
    ("currency = 5", "currency must be text, not a whole number 5"),
    ("timezone = 5", "timezone must be text, not a whole number 5"),
    ('timezone = "Mars/Olympus"', "timezone is not a known time zone"),
    ('as_of = "notadate"', "as_of must be a date (YYYY-MM-DD), not text 'notadate'"),
    ('[rates]\nUSD = "abc"', "[rates]: USD must be a number, not text 'abc'"),
    ("[rates]\nUSD = nan", "[rates]: USD must be a finite number, not nan"),
    ("[rates]\nUSD = inf", "[rates]: USD must be a finite number, not inf"),
    ("[rates]\nUSD = 0", "[rates]: USD must be greater than 0 (got 0.0)"),
    ("[rates]\nUSD = -1", "[rates]: USD must be greater than 0 (got -1.0)"),
    ("rates = 5", "[rates] must be a table of CODE = rate, not a whole number"),
    ('mapping = "x"', "[mapping] must be a table ([section] with keys), not text"),
    ('[thresholds]\ndecline_pct = "x"', "[thresholds]: decline_pct must be a number, not text 'x'"),
    ("[thresholds]\ndecline_pct = nan", "[thresholds]: decline_pct must be a finite number, not nan"),
    ("[thresholds]\nflat_periods = 2.5", "[thresholds]: flat_periods must be a whole number, not a number 2.5"),
    ("[thresholds]\nflat_periods = 0", "[thresholds]: flat_periods must be greater than 0 (got 0)"),
    ("[thresholds]\nchurn_spike_periods = -2", "[thresholds]: churn_spike_periods must be greater than 0 (got -2)"),
    ("[thresholds]\nstale_hours = nan", "[thresholds]: stale_hours must be a finite number, not nan"),
    ("locale = 7", "locale must be text, not a whole number 7"),
    ('locale = "zz_QQ"', "locale is not a known locale"),
    ('[at_risk]\nk = "x"', "[at_risk]: k must be a number, not text 'x'"),
    ("[at_risk]\nk = 0", "[at_risk]: k must be greater than 0 (got 0)"),
    ("[at-risk]\npercentile = 101", "[at-risk]: percentile must be within 0..100 (got 101)"),
    ("[at_risk]\nkay = 2", "[at_risk]: unknown setting 'kay'"),
    ('granularity = "decade"', "granularity must be one of 'day', 'week', 'month'"),
    ("bogus = 1", "unknown setting 'bogus'"),
    ("link_identities = 1", "link_identities must be true or false, not a whole number 1"),
]


@pytest.mark.parametrize("toml,message", BAD_FILE)
@pytest.mark.parametrize("command", ["report", "check", "customers", "cohorts"])
def test_bad_setting_is_one_line_exit_2(golden_dir, capsys, toml, message, command):
    cfg = golden_dir / "kpi-tui.toml"
    cfg.write_text(toml + "\n", encoding="utf-8")
    assert main([command, str(golden_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"kpi-tui: {cfg}: ") and message in err


@pytest.mark.parametrize("toml", [t for t, _ in BAD_FILE[:4]] + ['[thresholds]\ndecline_pct = "x"',
                                                                  "[thresholds]\nflat_periods = 2.5",
                                                                  "locale = 7"])
def test_headless_once_refuses_bad_settings(golden_dir, capsys, toml):
    (golden_dir / "kpi-tui.toml").write_text(toml + "\n", encoding="utf-8")
    assert main(["watch", str(golden_dir), "--headless", "--once"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "kpi-tui.toml: " in err


@pytest.mark.parametrize("args,message", [
    (["--timezone", "Mars/Olympus"], "kpi-tui: --timezone is not a known time zone"),
    (["--margin", "nan"], "kpi-tui: --margin must be a finite number, not nan"),
    (["--margin", "inf"], "kpi-tui: --margin must be a finite number, not inf"),
    (["--margin", "0"], "kpi-tui: --margin must be greater than 0 (got 0.0)"),
    (["--config", "/dev/zero"], "kpi-tui: /dev/zero: not a regular file (a settings file must be one)"),
    (["--config", "missing.toml"], "kpi-tui: missing.toml: No such file or directory"),
    (["--rates", "missing.csv"], "kpi-tui: missing.csv: No such file or directory"),
])
def test_bad_option_is_one_line_exit_2(golden_dir, capsys, args, message):
    assert main(["report", str(golden_dir), *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(message)


def test_rates_folder_refused(golden_dir, capsys):
    assert main(["report", str(golden_dir), "--rates", str(golden_dir)]) == 2
    assert capsys.readouterr().err == f"kpi-tui: {golden_dir}: is a folder, not a rates file\n"


def test_rates_file_values_checked(tmp_path):
    from kpi_tui.settings import load_rates

    p = tmp_path / "rates.csv"
    p.write_text("code,rate\nUSD,0.92\nGBP,1.17\n", encoding="utf-8")
    assert load_rates(p) == {"USD": 0.92, "GBP": 1.17}
    p.write_text("USD,nan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="USD must be a finite number"):
        load_rates(p)


def test_resolve_file_then_options(tmp_path):
    (tmp_path / "kpi-tui.toml").write_text(
        'as-of = 2026-04-30\nmargin = 0.35\nlocale = "fr"\ntimezone = "Europe/Paris"\n'
        "[thresholds]\ndecline-pct = 7\n[at_risk]\nk = 3\n[rates]\nusd = 0.9\n"
        '[mapping]\ncustomer = "Kundennr"\ndecimal = ","\n', encoding="utf-8")
    s = Settings.resolve(tmp_path, margin=0.5, granularity="week", locale=None)
    assert (s.margin, s.granularity, s.locale, s.timezone) == (0.5, "week", "fr", "Europe/Paris")
    assert s.as_of.isoformat() == "2026-04-30" and s.rates == {"USD": 0.9}
    assert s.thresholds == Thresholds(decline_pct=7.0)
    assert s.at_risk == AtRisk(k=3.0) and s.link_identities is True
    assert (s.mapping.customer, s.mapping.decimal) == ("Kundennr", ",")
    assert Settings.resolve(tmp_path / "nowhere") == Settings()  # no file: the defaults


def test_resolve_unknown_override_is_a_bug():
    with pytest.raises(TypeError):
        Settings.resolve(Path("."), colour="red")
