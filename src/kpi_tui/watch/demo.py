"""`kpi-tui demo`: the sample folder, copied to a temporary folder, with a new export every few
seconds so a newcomer sees the screen move. The original folder is only ever read.

A new export is a few whole orders of the newest sample file (same layout), with new order ids
(the ids get a `-demoN` suffix), dated the day after the previous drop, and some of them from
new customers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from kpi_tui.ingest.discover import ignored

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
ID_NAMES = {"id", "name", "order", "order id", "order_id", "order number", "transaction id",
            "transaction_id", "payment id", "charge id", "receipt number"}


def copy_sample(source: Path) -> Path:
    """A fresh temporary copy of `source` (hidden, temporary and config files left out)."""
    dest = Path(tempfile.mkdtemp(prefix="kpi-tui-demo-"))
    shutil.copytree(source, dest, dirs_exist_ok=True,
                    ignore=lambda _d, names: [n for n in names if ignored(n)])
    return dest


def template_file(folder: Path) -> Path | None:
    """The newest CSV export at the top of `folder` (by name, then mtime)."""
    csvs = [p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()
            and not ignored(p.name)]
    return max(csvs, key=lambda p: (p.name, p.stat().st_mtime), default=None)


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def last_date(rows: list[list[str]]) -> dt.date | None:
    days = [c[:10] for r in rows[1:] for c in r if DATE_RE.match(c)]
    return dt.date.fromisoformat(max(days)) if days else None


class Exporter:
    """Makes export number n from a template file; deterministic for a given seed."""

    def __init__(self, template: Path, seed: int = 7):
        self.template = template
        self.rows = _read(template)
        self.header = self.rows[0]
        low = [h.strip().lower() for h in self.header]
        self.id_cols = {0} | {i for i, h in enumerate(low) if h in ID_NAMES}
        self.email_cols = {i for i, h in enumerate(low) if "email" in h or "e-mail" in h}
        self.groups: list[list[list[str]]] = []  # rows of one order (line items) stay together
        for r in self.rows[1:]:
            if not r:
                continue
            if self.groups and r[0] == self.groups[-1][0][0]:
                self.groups[-1].append(r)
            else:
                self.groups.append([r])
        self.day = (last_date(self.rows) or dt.date.today()) + dt.timedelta(days=1)
        self.rng = random.Random(seed)
        self.n = 0

    def next(self) -> tuple[str, str]:
        """(file name, CSV text) of the next export, dated one day after the previous one."""
        self.n += 1
        n, day = self.n, self.day
        self.day += dt.timedelta(days=1)
        picks = self.rng.sample(self.groups, min(len(self.groups), self.rng.randint(4, 10)))
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(self.header)
        for j, group in enumerate(picks):
            new_customer = self.rng.random() < 0.3
            for row in group:
                row = list(row)
                for i, cell in enumerate(row):
                    if not cell:
                        continue
                    if i in self.id_cols:
                        row[i] = f"{cell}-demo{n}.{j}"
                    elif i in self.email_cols and new_customer:
                        row[i] = f"demo{n}.{j}@example.com"
                    elif DATE_RE.match(cell):
                        row[i] = day.isoformat() + cell[10:]
                w.writerow(row)
        name = f"{self.template.stem}-demo-{n:04}{self.template.suffix}"
        return name, out.getvalue()


def drop(folder: Path, name: str, text: str) -> Path:
    """Write an export the way a sync tool does: a temporary file, then a rename."""
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    final = folder / name
    os.replace(tmp, final)
    return final


class Dropper(threading.Thread):
    def __init__(self, folder: Path, exporter: Exporter, interval: float):
        super().__init__(name="kpi-tui-demo", daemon=True)
        self.folder, self.exporter, self.interval = folder, exporter, interval
        self.halt = threading.Event()
        self.dropped: list[Path] = []

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            try:
                self.dropped.append(drop(self.folder, *self.exporter.next()))
            except OSError as e:  # the temporary folder went away: stop quietly
                print(f"kpi-tui demo: {e}", file=sys.stderr)
                return
