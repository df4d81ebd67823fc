import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_tui.ingest.parse import parse_amounts, parse_dates


def amounts(values, **kw):
    vals, cur = parse_amounts(pa.array(values, pa.string()), **kw)
    return vals.to_pylist(), (cur.to_pylist() if cur is not None else None)


def dates(values, **kw):
    return [d.isoformat() if d else None for d in parse_dates(pa.array(values, pa.string()), **kw).to_pylist()]


@pytest.mark.parametrize(
    "text,value,currency",
    [
        ("1234.56", 1234.56, None),
        ("1,234.56", 1234.56, None),
        ("1.234,56", 1234.56, None),
        ("1 234,56", 1234.56, None),
        ("1\u00a0234,56", 1234.56, None),
        ("1\u202f234,56", 1234.56, None),
        ("1'234.56", 1234.56, None),
        ("$22.50", 22.5, "USD"),
        ("-$0.95", -0.95, "USD"),
        ("$-0.95", -0.95, "USD"),
        ("12,50 €", 12.5, "EUR"),
        ("EUR 12.50", 12.5, "EUR"),
        ("(12.50)", -12.5, None),
        ("12.50-", -12.5, None),
        ("£3.10", 3.1, "GBP"),
        ("€4", 4.0, "EUR"),
        ("¥1,200", 1200.0, "JPY"),
        ("  -7.25 ", -7.25, None),
    ],
)
def test_amount_quirks(text, value, currency):
    vals, cur = amounts([text])
    assert vals == [pytest.approx(value)]
    assert (cur[0] if cur else None) == currency


def test_plain_amounts_fast_path():
    assert amounts(["1234.56", "-12", "0.5", None]) == ([1234.56, -12.0, 0.5, None], None)


def test_unreadable_amounts_are_null():
    vals, _ = amounts(["12.00", "abc", "", "12abc34", "1.2.3,4,5x"])
    assert vals == [12.0, None, None, None, None]


def test_ambiguous_thousands_follow_column_majority():
    # "1,234" alone: comma as thousands (English); in a column of comma-decimals it is 1.234
    assert amounts(["1,234"])[0] == [1234.0]
    assert amounts(["1,234", "1,50", "2,75"])[0] == [1.234, 1.5, 2.75]
    assert amounts(["1,234", "1,234.50"])[0] == [1234.0, 1234.5]
    assert amounts(["1.234", "1.234,00"])[0] == [1234.0, 1234.0]
    assert amounts(["1.234.567", "1,234,567"])[0] == [1234567.0, 1234567.0]


def test_decimal_setting_overrides():
    assert amounts(["1,234"], decimal=",")[0] == [1.234]
    assert amounts(["1.234"], decimal=",")[0] == [1234.0]
    assert amounts(["1,234.5"], decimal=".")[0] == [1234.5]


def test_dollar_code_is_configurable():
    assert amounts(["$5"], dollar="CAD")[1] == ["CAD"]


def test_iso_dates():
    assert dates(["2026-01-05 10:15:00", "2026-01-05", "2026-01-05T23:30:00-05:00", None]) == [
        "2026-01-05", "2026-01-05", "2026-01-05", None
    ]


def test_offsets_kept_as_written_without_timezone():
    assert dates(["2026-01-05T23:30:00-05:00", "2026-01-05 10:15:00 -0500", "2026-01-05T23:30:00Z"]) == [
        "2026-01-05"
    ] * 3


def test_offsets_converted_with_timezone():
    got = dates(
        [
            "2026-01-05T23:30:00-05:00",  # 05:30 next day in Paris
            "2026-01-05T23:30:00Z",
            "2026-01-05 23:30:00 +0100",  # already Paris time
            "2026-01-05 23:30:00 UTC",
            "2026-01-05 23:30:00",  # no offset: as written
            "2026-01-05",
        ],
        timezone="Europe/Paris",
    )
    assert got == ["2026-01-06", "2026-01-06", "2026-01-05", "2026-01-06", "2026-01-05", "2026-01-05"]


def test_day_month_order_from_values():
    assert dates(["05/01/2026", "13/01/2026"]) == ["2026-01-05", "2026-01-13"]
    assert dates(["05/01/2026", "01/13/2026"]) == ["2026-05-01", "2026-01-13"]


def test_truly_ambiguous_order_uses_setting_and_notes():
    notes = []
    assert dates(["05/01/2026", "06/02/2026"], notes=notes) == ["2026-01-05", "2026-02-06"]
    assert len(notes) == 1 and "ambiguous" in notes[0]
    assert dates(["05/01/2026"], date_order="mdy") == ["2026-05-01"]


@pytest.mark.parametrize(
    "text,iso",
    [
        ("05.01.2026", "2026-01-05"),
        ("20260105", "2026-01-05"),
        ("46027", "2026-01-05"),  # Excel serial
        ("46027.4375", "2026-01-05"),
        ("2026/01/05", "2026-01-05"),
        ("5 Jan 2026", "2026-01-05"),
        ("January 5, 2026", "2026-01-05"),
        ("5 janvier 2026", "2026-01-05"),
        ("5. März 2026", "2026-03-05"),
        ("5 de enero de 2026", "2026-01-05"),
        ("Jan 5, 2026 10:15 AM", "2026-01-05"),
        ("12/13/2010 8:26", "2010-12-13"),
        ("13/5/26", "2026-05-13"),
        ("2026-1-5", "2026-01-05"),
        ("05-01-2026", "2026-01-05"),
    ],
)
def test_date_quirks(text, iso):
    assert dates([text]) == [iso]


def test_unreadable_dates_are_null():
    assert dates(["2026-02-30", "garbage", "", "12345", None, "2026-01-05"]) == [
        None, None, None, None, None, "2026-01-05"
    ]


def test_explicit_format():
    assert dates(["05/01/2026"], fmt="%m/%d/%Y") == ["2026-05-01"]


def test_chunked_input():
    arr = pa.chunked_array([["2026-01-05"], ["05/01/2026"]])
    assert parse_dates(arr).to_pylist() == [dt.date(2026, 1, 5), dt.date(2026, 1, 5)]
    v, _ = parse_amounts(pa.chunked_array([["1.5"], ["2,5"]]))
    assert v.to_pylist() == [1.5, 2.5]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=25)), max_size=8))
def test_any_strings_never_raise(values):
    vals, cur = parse_amounts(pa.array(values, pa.string()))
    assert len(vals) == len(values) and vals.type == pa.float64()
    d = parse_dates(pa.array(values, pa.string()), timezone="Europe/Paris")
    assert len(d) == len(values) and d.type == pa.date32()
    assert len(parse_dates(pa.array(values, pa.string()))) == len(values)


def test_long_columns_of_distinct_values():
    # > 1000 distinct values take the no-dictionary path
    n = 3000
    base = dt.datetime(2026, 1, 1)
    stamps = [base + dt.timedelta(minutes=37 * i) for i in range(n)]
    got = parse_dates(pa.array([t.strftime("%d/%m/%Y %H:%M:%S") for t in stamps])).to_pylist()
    assert got == [t.date() for t in stamps]
    got = parse_dates(pa.array([t.strftime("%b %d, %Y %I:%M:%S %p") for t in stamps])).to_pylist()
    assert got == [t.date() for t in stamps]
    got = parse_dates(pa.array([t.strftime("%Y-%m-%dT%H:%M:%S-05:00") for t in stamps]), timezone="UTC").to_pylist()
    assert got == [(t + dt.timedelta(hours=5)).date() for t in stamps]
    vals, cur = parse_amounts(pa.array([f"${i / 100:,.2f}" for i in range(n)] + ["(1,234.50)"]))
    assert vals.to_pylist() == [i / 100 for i in range(n)] + [-1234.5]
    assert set(cur.to_pylist()) == {"USD", None}
