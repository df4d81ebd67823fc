"""The bundled sample folder `data/`: made by scripts/make_sample.py, and it tells its story."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SCRIPT = ROOT / "scripts" / "make_sample.py"
NEVER_MOVED = {"failed", "declined", "pending", "canceled", "cancelled", "voided", "expired",
               "abandoned", "unpaid"}


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True)
    return out


def test_script_and_committed_data_are_identical(fresh):
    assert files(fresh) == files(DATA)
    for name in files(DATA):
        assert (fresh / name).read_bytes() == (DATA / name).read_bytes(), name


def test_size_layouts_and_download_times(fresh):
    assert sum((fresh / n).stat().st_size for n in files(fresh)) < 5_000_000
    names = files(fresh)
    assert len([n for n in names if n.startswith("orders_export_")]) == 24
    assert len([n for n in names if n.startswith("stripe/unified_payments-")]) == 9
    # the later export of a kind is the later download
    for prefix in ("orders_export_", "stripe/unified_payments-"):
        mtimes = [(fresh / n).stat().st_mtime for n in names if n.startswith(prefix)]
        assert mtimes == sorted(mtimes) and len(set(mtimes)) == len(mtimes)


def read_rows(folder: Path) -> pd.DataFrame:
    """One row per money row (Shopify order first rows, Stripe charges), with its file."""
    frames = []
    for f in sorted(folder.rglob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "Financial Status" in df:  # Shopify: order fields on the order's first row only
            df = df[df["Total"] != ""]
            t = pd.DataFrame({
                "id": df["Id"], "customer": df["Email"].str.strip().str.lower(),
                "date": df["Created at"].str[:10], "status": df["Financial Status"],
                "amount": df["Total"].astype(float) - df["Refunded Amount"].astype(float)})
        else:  # Stripe: customer id, else e-mail
            t = pd.DataFrame({
                "id": df["id"],
                "customer": df["Customer ID"].where(df["Customer ID"] != "",
                                                    df["Customer Email"].str.strip().str.lower()),
                "date": df["Created date (UTC)"].str[:10], "status": df["Status"],
                "amount": df["Amount"].astype(float) - df["Amount Refunded"].astype(float)})
        t["file"] = f.name
        t["raw"] = pd.util.hash_pandas_object(df, index=False).to_numpy()  # the whole row
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def raw_rows() -> pd.DataFrame:
    return read_rows(DATA)


@pytest.fixture(scope="module")
def monthly(raw_rows) -> pd.DataFrame:
    """Monthly revenue, active customers, acv and churn rate per METRICS.md."""
    rows = raw_rows.drop_duplicates("id")
    rows = rows[~rows["status"].str.lower().isin(NEVER_MOVED)]
    rows = rows[rows["customer"] != ""]
    v = rows.assign(month=rows["date"].str[:7]).groupby(["month", "customer"])["amount"].sum()
    out, prev = [], None
    for month, vm in v.groupby(level=0):
        active = set(vm[vm > 0].index.get_level_values(1))
        churn = None if prev is None else len(prev - active) / len(prev)
        out.append((month, vm.sum(), len(active), vm.sum() / len(active), churn))
        prev = active
    return pd.DataFrame(out, columns=["month", "revenue", "active", "acv", "churn"]).set_index("month")


def test_overlapping_exports_repeat_identical_rows(raw_rows):
    rows = raw_rows
    dup = rows[rows.duplicated("id", keep=False)]
    assert dup["file"].nunique() >= 4  # several exports overlap
    assert (dup.groupby("id")["raw"].nunique() == 1).all()  # so the winner does not matter


def test_mess_is_there(raw_rows):
    rows = raw_rows.drop_duplicates("id")
    status = rows["status"].str.lower()
    assert {"pending", "voided", "failed", "refunded", "partially_refunded"} <= set(status)
    assert (rows["customer"] == "").sum() > 50  # unattributed sales
    partial = rows[status == "partially_refunded"]
    assert (partial["amount"] > 0).all()


def test_story(monthly):
    acv, churn = monthly["acv"].round(2), monthly["churn"]
    assert list(monthly.index[[0, -1]]) == ["2024-12", "2026-11"]
    # rising for a year, then flat, then falling over the last complete months
    assert acv["2025-12"] > acv["2025-06"] > acv["2024-12"]
    peak = acv.idxmax()
    assert "2025-11" <= peak <= "2026-07"
    plateau = acv["2026-01":"2026-07"]
    assert plateau.max() / plateau.min() < 1.1
    assert acv["2026-10"] < acv["2026-06"] < acv[peak]
    assert acv["2026-10"] < acv["2026-09"] < acv["2026-08"] < acv["2026-07"]
    # churn creeping up
    assert churn["2026-08":"2026-10"].min() > churn["2026-01":"2026-07"].max()
    assert churn["2026-10"] > churn["2026-08"]
    # exact figures of the sample
    assert acv[["2024-12", "2026-01", "2026-07", "2026-10"]].tolist() == [64.62, 109.12, 102.32, 66.06]
    assert monthly.loc["2026-10", "active"] == 193
    assert round(churn["2026-10"], 3) == 0.624
