"""The report does not depend on how the same rows are laid out in files (METRICS.md, Duplicates)."""

import csv
import datetime as dt
import io
import json
import os
import shutil
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_tui.cli import main

HEADER = ["order_id", "customer_id", "created_at", "amount", "currency", "status"]
STATUSES = ["paid", "paid", "paid", "refunded", "failed", "pending", ""]
CUSTOMERS = ["", "alice", "bob", "carol", "dave", "erin"]
DAY0 = dt.date(2025, 12, 1)
T0 = 1_700_000_000
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

rows_st = st.lists(
    st.tuples(st.sampled_from(CUSTOMERS), st.integers(0, 120), st.integers(-20000, 50000),
              st.sampled_from(STATUSES)),
    min_size=1, max_size=30)


def as_rows(raw):
    """Golden-layout rows with unique order ids."""
    return [[f"o{i}", c, f"{(DAY0 + dt.timedelta(days=d)).isoformat()} 12:00:00",
             f"{Decimal(cents) / 100:.2f}", "EUR", s] for i, (c, d, cents, s) in enumerate(raw)]


def write(path, rows, mtime, header=HEADER):
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    os.utime(path, (mtime, mtime))


def write_split(folder, rows, which, names=None):
    """Rows spread over files by `which` (a file index per row); empty files are not written."""
    for k in sorted(set(which)):
        name = names[k] if names else f"export-{k}.csv"
        write(folder / name, [r for r, w in zip(rows, which) if w == k], T0 + 3600 * k)


def report(capsys, folder, g="month", *extra):
    code = main(["report", str(folder), "--period", g, "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    json.loads(out)
    return out


def split_st(n):
    return st.lists(st.integers(0, 3), min_size=n, max_size=n)


@SETTINGS
@given(raw=rows_st, data=st.data(), g=st.sampled_from(["week", "month", "quarter"]))
def test_shuffled_rows_change_nothing(tmp_path_factory, capsys, raw, data, g):
    rows = as_rows(raw)
    which = data.draw(split_st(len(rows)))
    base = tmp_path_factory.mktemp("base")
    write_split(base, rows, which)
    shuffled = data.draw(st.permutations(list(range(len(rows)))))
    other = tmp_path_factory.mktemp("shuffled")
    write_split(other, [rows[i] for i in shuffled], [which[i] for i in shuffled])
    assert report(capsys, other, g, "--no-cache") == report(capsys, base, g, "--no-cache")


@SETTINGS
@given(raw=rows_st, data=st.data(), g=st.sampled_from(["day", "month", "year"]))
def test_resplit_rows_change_nothing(tmp_path_factory, capsys, raw, data, g):
    rows = as_rows(raw)
    base = tmp_path_factory.mktemp("base")
    write_split(base, rows, data.draw(split_st(len(rows))))
    other = tmp_path_factory.mktemp("resplit")
    write_split(other, rows, data.draw(split_st(len(rows))))
    assert report(capsys, other, g, "--no-cache") == report(capsys, base, g, "--no-cache")


@SETTINGS
@given(raw=rows_st, data=st.data(), g=st.sampled_from(["week", "month", "quarter"]))
def test_overlapping_newer_file_changes_nothing(tmp_path_factory, capsys, raw, data, g):
    rows = as_rows(raw)
    which = data.draw(split_st(len(rows)))
    base = tmp_path_factory.mktemp("base")
    write_split(base, rows, which)
    want = report(capsys, base, g, "--no-cache")
    # a newer export repeating some of the same orders (same ids, same content)
    again = sorted(set(data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=1))))
    write(base / "export-overlap.csv", [rows[i] for i in again], T0 + 86400 * 30)
    assert report(capsys, base, g, "--no-cache") == want
    # and an older one
    write(base / "export-old.csv", [rows[i] for i in again], T0 - 86400 * 30)
    assert report(capsys, base, g, "--no-cache") == want


@SETTINGS
@given(raw=rows_st, data=st.data())
def test_renamed_files_change_nothing(tmp_path_factory, capsys, raw, data):
    rows = as_rows(raw)
    which = data.draw(split_st(len(rows)))
    folder = tmp_path_factory.mktemp("renamed")
    write_split(folder, rows, which)
    want = report(capsys, folder)  # warm the parsed cache, then rename in place
    files = sorted(folder.iterdir())
    names = data.draw(st.permutations([f"z{k}-{p.name}" for k, p in enumerate(files)]))
    for p, name in zip(files, names):
        st_ = p.stat()
        p.rename(folder / name)
        os.utime(folder / name, (st_.st_atime, st_.st_mtime))
    (folder / "sub").mkdir()
    shutil.move(folder / names[0], folder / "sub" / names[0])
    assert report(capsys, folder) == want
    assert report(capsys, folder, "month", "--no-cache") == want


NO_ID_HEADER = ["customer_id", "created_at", "amount", "currency", "status"]


@SETTINGS
@given(raw=rows_st)
def test_identical_file_without_ids_counts_once(tmp_path_factory, capsys, raw):
    rows = [r[1:] for r in as_rows(raw)]
    folder = tmp_path_factory.mktemp("noid")
    write(folder / "sales.csv", rows, T0, header=NO_ID_HEADER)
    want = report(capsys, folder, "month", "--no-cache")
    shutil.copy2(folder / "sales.csv", folder / "sales (1).csv")
    write(folder / "copy" / "sales-again.csv", rows, T0 + 60, header=NO_ID_HEADER)
    assert report(capsys, folder, "month", "--no-cache") == want


def test_identical_file_without_ids_counts_once_exact(tmp_path, capsys):
    rows = [["alice", "2026-01-05", "100.00", "EUR", "paid"],
            ["alice", "2026-01-05", "100.00", "EUR", "paid"],  # two equal purchases: two
            ["bob", "2026-02-01", "30.00", "EUR", "paid"]]
    write(tmp_path / "a.csv", rows, T0, header=NO_ID_HEADER)
    shutil.copy2(tmp_path / "a.csv", tmp_path / "b.csv")
    got = json.loads(report(capsys, tmp_path, "month", "--no-cache"))
    assert [p["revenue"] for p in got["periods"]] == [200.0, 30.0]
    # a file with the same rows but one more is not identical: both count
    write(tmp_path / "c.csv", rows + [["carol", "2026-02-02", "5.00", "EUR", "paid"]], T0,
          header=NO_ID_HEADER)
    got = json.loads(report(capsys, tmp_path, "month", "--no-cache"))
    assert [p["revenue"] for p in got["periods"]] == [400.0, 65.0]
