"""`kpi-tui demo`: the sample folder, copied to a temporary folder, with a new export every few
seconds so a newcomer sees the screen move. The original folder is only ever read.

A new export is a few whole orders of the newest sample file (same layout), with new order ids
(the ids get a `-demoN` suffix), dated the day after the previous drop, and some of them from
new customers.

The demo runs on the sample's own timeline (DemoClock): "now" starts on the sample's last day
and moves to the day of each export, so no date is ever in the screen's future and fresh data is
never called stale. The script (Script) shows the screen move at once: the first export
completes the month in progress; the second arrives half-written (skipped, named in a banner)
and is whole with the third drop (the banner clears); then one day per export.
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
import time
from pathlib import Path

from kpi_tui.ingest.discover import ignored

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
FIRST_WAIT = 1.5
CLOCK_LAG = 1.0  # s between an export and the clock reaching its day
ID_NAMES = {"id", "name", "order", "order id", "order_id", "order number", "transaction id",
            "transaction_id", "payment id", "charge id", "receipt number"}


def copy_sample(source: Path, mtime: float | None = None) -> Path:
    """A fresh temporary copy of `source` (hidden, temporary and config files left out), its
    files modified at `mtime` if given (downloaded "now" on the demo's timeline)."""
    dest = Path(tempfile.mkdtemp(prefix="kpi-tui-demo-"))
    shutil.copytree(source, dest, dirs_exist_ok=True,
                    ignore=lambda _d, names: [n for n in names if ignored(n)])
    if mtime is not None:
        for p in dest.rglob("*"):
            os.utime(p, (mtime, mtime))
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

    def next(self, day: dt.date | None = None) -> tuple[str, str]:
        """(file name, CSV text) of the next export, dated `day` (default: one day after the
        previous one)."""
        self.n += 1
        n, day = self.n, day or self.day
        self.day = day + dt.timedelta(days=1)
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


def month_end(day: dt.date) -> dt.date:
    after = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return after - dt.timedelta(days=1)


class DemoClock:
    """The demo's "now": the real time of day on the sample's timeline (callable, like
    datetime.now). `reach(day)` moves it forward to a day, never back."""

    def __init__(self, day: dt.date, real=dt.datetime.now):
        self.real = real
        self.offset = dt.timedelta(days=(day - real().date()).days)

    def __call__(self) -> dt.datetime:
        return self.real() + self.offset

    def at(self, day: dt.date | None) -> dt.datetime:
        """Now, or the same time on a later `day`."""
        now = self()
        return now if day is None or day <= now.date() else dt.datetime.combine(day, now.time())

    def reach(self, day: dt.date) -> None:
        behind = (day - self().date()).days
        if behind > 0:
            self.offset += dt.timedelta(days=behind)


def script(exporter: Exporter):
    """(file name, text, day) of each drop, for ever (module doc); day None: no new day."""
    name, text = exporter.next(month_end(exporter.day))  # the month in progress completes
    yield name, text, exporter.day - dt.timedelta(days=1)
    name, text = exporter.next()
    yield name, text[:len(text.partition("\n")[0]) // 2], None  # half-written: skipped
    while True:
        yield name, text, exporter.day - dt.timedelta(days=1)
        name, text = exporter.next()


def drop(folder: Path, name: str, text: str, mtime: float | None = None) -> Path:
    """Write an export the way a sync tool does: a temporary file, then a rename."""
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    final = folder / name
    os.replace(tmp, final)
    return final


class Dropper(threading.Thread):
    """Drops the script's exports every `interval` s once `ready()` (the screen shows figures;
    the first after FIRST_WAIT s), moving `clock` to each export's day CLOCK_LAG s later."""

    def __init__(self, folder: Path, exporter: Exporter, interval: float,
                 clock: DemoClock | None = None, ready=lambda: True):
        super().__init__(name="kpi-tui-demo", daemon=True)
        self.folder, self.exporter, self.interval = folder, exporter, interval
        self.clock, self.ready = clock, ready
        self.halt = threading.Event()
        self.dropped: list[Path] = []

    def run(self) -> None:
        while not self.ready():
            if self.halt.wait(0.1):
                return
        # the first soon after the figures show, then one every interval (the clock's lag
        # included: a slow drop or read does not push the later ones back)
        due = time.monotonic() + min(FIRST_WAIT, self.interval)
        for name, text, day in script(self.exporter):
            if self.halt.wait(max(0.0, due - time.monotonic())):
                return
            due += self.interval
            mtime = None if self.clock is None else self.clock.at(day).timestamp()
            try:
                self.dropped.append(drop(self.folder, name, text, mtime))
            except OSError as e:  # the temporary folder went away: stop quietly
                print(f"kpi-tui demo: {e}", file=sys.stderr)
                return
            if day is not None and self.clock is not None:
                # once the export is read: until then its day would make the figures stale
                if self.halt.wait(min(CLOCK_LAG, self.interval / 2)):
                    return
                self.clock.reach(day)
