"""A file whose columns are not recognised is named in `check` with its own headers and a
[mapping] block to paste, its likely columns filled in; pasted, it works (issue 10 item 10)."""

import json
import re

import pyarrow as pa

from kpi_tui.cli import main
from kpi_tui.ingest.guess import guess

KASSE = ("Kunde;Tag;Artikel;Summe EUR;Beleg\n"
         "K-17;03.01.2026;Tee;12,50;B1\n"
         "K-18;04.01.2026;Kaffee;7,00;B2\n"
         "K-17;05.02.2026;Tee;4,25;B3\n")


def test_check_shows_headers_and_a_mapping_to_paste(tmp_path, capsys):
    (tmp_path / "kasse.csv").write_text(KASSE)
    assert main(["check", str(tmp_path), "--no-cache"]) == 2
    out = capsys.readouterr().out
    assert out.startswith(
        "✗ kasse.csv\n"
        "    kasse.csv: no amount column found (looked for Total, Amount, Montant, Betrag, Importe ...)\n"
        "    headers:  Kunde, Tag, Artikel, Summe EUR, Beleg\n"
        "    to read it, put this in kpi-tui.toml (one [mapping] a folder; check the guesses):\n"
        "      [mapping]\n"
        '      customer = "Kunde"\n'
        '      date = "Tag"\n'
        '      amount = "Summe EUR"\n'
        '      order_id = "Beleg"\n'
        "      # can also name: email, currency, status, date_format, decimal\n\n")
    # pasted as printed, the file is read
    block = "\n".join(line.strip() for line in re.findall(r"^      (.*)$", out, re.M))
    (tmp_path / "kpi-tui.toml").write_text(block + "\n")
    assert main(["report", str(tmp_path), "--format", "json", "--no-cache"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [(p["start"], p["revenue"], p["active_customers"]) for p in got["periods"]] == [
        ("2026-01-01", 19.5, 2), ("2026-02-01", 4.25, 1)]


def test_guess_from_values_when_headers_say_nothing():
    t = pa.table({"a": ["x@shop.de", "y@shop.de"], "b": ["2026-01-03", "2026-01-04"],
                  "c": ["n1", "n2"], "d": ["12.50", "7"], "e": ["EUR", "EUR"]})
    assert guess(t) == {"email": "a", "date": "b", "amount": "d", "currency": "e"}


def test_guess_a_name_or_phone_as_customer_and_quotes_in_headers(tmp_path, capsys):
    (tmp_path / "x.csv").write_text('Client Name,When,"Paid ""net"""\nAnna,2026-01-03,12.50\n')
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert ('      customer = "Client Name"\n      date = "When"\n      amount = "Paid \\"net\\""\n'
            in out)


def test_ten_thousand_columns(tmp_path, capsys):
    n = 10_000
    rows = [",".join(f"h{i}" for i in range(n))] + [",".join(str(i + r) for i in range(n)) for r in (1, 2)]
    (tmp_path / "wide.csv").write_text("\n".join(rows) + "\n")
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "    headers:  h0, h1, h2, " in out and ", h39, … (9,960 more)\n" in out
    assert '      amount = "h99"\n      date = ""  # none guessed: the date column\n' in out


def test_no_hint_for_files_that_are_not_tables(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("Kunde;Tag\n")
    main(["check", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "headers:" not in out and "[mapping]" not in out
