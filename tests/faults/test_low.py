"""Issue 13, low items: NUL padding, link loops, a header alone without its newline."""

import os

from faultkit import folder, run


def test_nul_padding_at_the_end_of_a_csv_is_dropped(tmp_path, capsys):
    d = folder(tmp_path, {"pad.csv": b"customer,date,amount\nb,2026-01-06,7\n" + b"\x00" * 70_000,
                          "one.csv": b"customer,date,amount\nc,2026-01-07,3\n\x00"})
    out = run(capsys, "check", d)[1]
    assert out.count("rows:     1 read, 1 kept, 0 dropped\n") == 2
    assert "3 of 3 files used; 4 transactions" in out


def test_only_nul_bytes_is_empty(tmp_path, capsys):
    d = folder(tmp_path, {"zeros.csv": b"\x00" * 1000})
    assert "✗ zeros.csv\n    zeros.csv is empty (only NUL bytes).\n" in run(capsys, "check", d)[1]


def test_symlink_loop_is_named_as_such(tmp_path, capsys):
    d = folder(tmp_path, {})
    os.symlink("loop2", d / "loop1")
    os.symlink("loop1", d / "loop2")
    out = run(capsys, "check", d)[1]
    assert "✗ loop1\n    loop1 was skipped: it is a symbolic link loop.\n" in out


def test_header_only_without_final_newline_has_no_rows(tmp_path, capsys):
    d = folder(tmp_path, {"hdr.csv": "customer,date,amount", "hdr2.csv": "customer,date,amount\n"})
    out = run(capsys, "check", d)[1]
    assert "✗ hdr.csv\n    hdr.csv: has a header but no rows\n" in out
    assert "✗ hdr2.csv\n    hdr2.csv: has a header but no rows\n" in out


def test_last_row_without_newline_counts(tmp_path, capsys):
    d = folder(tmp_path, {"x.csv": "customer,date,amount\nz,2026-01-02,4"})
    assert "rows:     1 read, 1 kept, 0 dropped\n" in run(capsys, "check", d)[1]


def test_report_on_a_file_says_it_is_a_file(tmp_path, capsys):
    d = folder(tmp_path, {})
    code, out, err = run(capsys, "report", d / "good.csv")
    assert (code, out, err) == (2, "", f"kpi-tui: {d}/good.csv: is a file, not a folder\n")
