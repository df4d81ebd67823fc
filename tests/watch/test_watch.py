"""The folder watcher with the real watchdog, in temporary folders."""

from __future__ import annotations

import gc
import os
import shutil
import threading
import time

import pytest

from kpi_tui.settings import Settings
from kpi_tui.watch.monitor import FolderMonitor
from kpi_tui.watch.state import FolderState

HEADER = "order_id,customer_id,created_at,amount,currency,status\n"
FAST = dict(debounce=0.1, max_delay=0.5, settle=0.3, check=0.1)


def rows(prefix: str, amounts, day: str = "2026-03-10") -> str:
    return HEADER + "".join(
        f"{prefix}{i},c{prefix}{i},{day} 10:00:00,{a:.2f},EUR,paid\n" for i, a in enumerate(amounts)
    )


def total(snap) -> float:
    return round(sum(p["revenue"] for p in snap.figures("month")), 2)


class Recorder:
    def __init__(self):
        self.cond = threading.Condition()
        self.snaps, self.errors, self.status = [], [], []

    def snap(self, s):
        with self.cond:
            self.snaps.append(s)
            self.cond.notify_all()

    def error(self, m):
        with self.cond:
            self.errors.append(m)
            self.cond.notify_all()

    def stat(self, m):
        self.status.append(m)

    def wait(self, pred, timeout=4.0):
        with self.cond:
            ok = self.cond.wait_for(pred, timeout)
        assert ok, f"timed out; totals={[total(s) for s in self.snaps]} errors={self.errors}"

    def wait_total(self, value, timeout=4.0):
        self.wait(lambda: self.snaps and total(self.snaps[-1]) == value, timeout)


@pytest.fixture
def watch(tmp_path):
    monitors = []

    def start(root=None, **kw):
        rec = Recorder()
        opts = {**FAST, **kw}
        m = FolderMonitor(root or tmp_path / "data", Settings(), rec.snap, rec.stat, rec.error,
                          **opts)
        m.start()
        monitors.append(m)
        return m, rec

    yield start
    for m in monitors:
        m.stop()


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "a.csv").write_text(rows("a", [10, 20, 30]))
    return d


def test_new_file(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    (data / "b.csv").write_text(rows("b", [100]))
    rec.wait_total(160.0)
    assert m.computes == 2
    assert "last: b.csv" in rec.status[-1]
    assert m.status.last_file == data / "b.csv"


def test_burst_of_50_files_is_one_recompute(data, watch):
    m, rec = watch(debounce=0.25, max_delay=1.0)
    rec.wait_total(60.0)
    for i in range(50):
        (data / f"burst-{i:02}.csv").write_text(rows(f"x{i}-", [1]))
    rec.wait_total(110.0)
    time.sleep(0.6)
    assert m.computes == 2
    assert len(rec.snaps[-1].dataset.used) == 51


def test_file_written_in_two_halves_is_never_half_read(data, watch):
    m, rec = watch(settle=0.2)
    rec.wait_total(60.0)
    text = rows("h", [1000] * 20 + [5] * 20)
    cut = len(text) // 2 + 7  # mid-line
    with open(data / "half.csv", "w") as f:
        f.write(text[:cut])
        f.flush()
        os.fsync(f.fileno())
        time.sleep(1.5)
        f.write(text[cut:])
    rec.wait_total(60.0 + 20_100.0)
    assert [total(s) for s in rec.snaps] == [60.0, 20_160.0]


def test_atomic_rename(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    tmp = data / "export.csv.tmp"
    tmp.write_text(rows("r", [7, 8]))
    time.sleep(0.3)  # the .tmp file is ignored
    assert m.computes == 1
    os.replace(tmp, data / "export.csv")
    rec.wait_total(75.0)
    names = [f.path.name for f in rec.snaps[-1].dataset.files]
    assert names == ["a.csv", "export.csv"]


def test_deleted_file_leaves_the_figures(data, watch):
    (data / "b.csv").write_text(rows("b", [100, 1]))
    m, rec = watch()
    rec.wait_total(161.0)
    (data / "b.csv").unlink()
    rec.wait_total(60.0)
    assert [f.path.name for f in rec.snaps[-1].dataset.files] == ["a.csv"]


def test_replaced_file_replaces_its_rows(data, watch):
    (data / "b.csv").write_text(rows("b", [100]))
    m, rec = watch()
    rec.wait_total(160.0)
    new = data / ".b.csv.swap"
    new.write_text(rows("b", [250, 0.5]))
    os.replace(new, data / "b.csv")
    rec.wait_total(310.5)
    (data / "b.csv").write_text(rows("z", [1]))  # rewritten in place
    rec.wait_total(61.0)


def test_broken_file_is_named_and_figures_kept(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    (data / "broken.csv").write_bytes(b"\x00\x01\x02 not an export \xff\xfe" * 50)
    rec.wait(lambda: len(rec.snaps) == 2)
    snap = rec.snaps[-1]
    assert total(snap) == 60.0
    assert [f.path.name for f in snap.dataset.skipped] == ["broken.csv"]
    assert snap.dataset.skipped[0].error
    assert "1 not readable" in rec.status[-1]
    # a good file that turns bad keeps its previous figures, and is retried when it changes
    (data / "a.csv").write_bytes(b"\x00\x01garbage\xff" * 50)
    rec.wait(lambda: len(rec.snaps) == 3)
    assert total(rec.snaps[-1]) == 60.0
    rep = next(f for f in rec.snaps[-1].dataset.files if f.path.name == "a.csv")
    assert rep.usable and "latest version could not be read" in rep.notes[-1]
    (data / "a.csv").write_text(rows("a", [1, 2]))
    rec.wait_total(3.0)


def test_folder_deleted_and_recreated(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    shutil.rmtree(data)
    rec.wait(lambda: any("folder not found" in e for e in rec.errors))
    assert total(rec.snaps[-1]) == 60.0  # figures kept while the folder is away
    data.mkdir()
    (data / "c.csv").write_text(rows("c", [7]))
    rec.wait_total(7.0)
    (data / "d.csv").write_text(rows("d", [3]))  # events flow again
    rec.wait_total(10.0)
    assert m.status.problem is None


def test_folder_replaced_between_checks(data, tmp_path, watch):
    m, rec = watch(check=0.5)
    rec.wait_total(60.0)
    other = tmp_path / "other"
    other.mkdir()
    (other / "e.csv").write_text(rows("e", [4]))
    shutil.rmtree(data)
    os.rename(other, data)
    rec.wait_total(4.0)
    (data / "f.csv").write_text(rows("f", [1]))
    rec.wait_total(5.0)


def test_polling_observer(data, watch):
    m, rec = watch(poll=0.2, settle=0.25)
    rec.wait_total(60.0)
    assert "polling every 0.2 s" in rec.status[-1]
    (data / "sub").mkdir()
    (data / "sub" / "p.csv").write_text(rows("p", [40]))
    rec.wait_total(100.0)
    (data / "a.csv").unlink()
    rec.wait_total(40.0)


def test_pause_and_reload(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    m.paused = True
    (data / "b.csv").write_text(rows("b", [5]))
    time.sleep(0.5)
    assert m.computes == 1
    m.paused = False
    rec.wait_total(65.0)
    s = Settings()
    s.margin = 0.5
    m.reload(s)
    rec.wait(lambda: rec.snaps[-1].settings.margin == 0.5)
    assert total(rec.snaps[-1]) == 65.0


def test_reload_with_a_new_margin_changes_lifetime_value(golden_dir, watch):
    """Golden February: CLV 80 / (2/3) = 120.00 at margin 1, 60.00 at margin 0.5."""
    m, rec = watch(golden_dir)
    rec.wait_total(810.0)
    clv = lambda snap: {p["start"]: p["clv"] for p in snap.figures("month")}  # noqa: E731
    assert clv(rec.snaps[-1])["2026-02-01"] == pytest.approx(120.0, rel=1e-12)
    m.reload(Settings(margin=0.5))
    rec.wait(lambda: rec.snaps[-1].settings.margin == 0.5)
    after = clv(rec.snaps[-1])
    assert after["2026-02-01"] == pytest.approx(60.0, rel=1e-12)
    assert total(rec.snaps[-1]) == 810.0


def test_memory_bounded_over_100_exports(tmp_path):
    """100 exports through FolderState (a rolling window of 20 files): no growth after warm-up."""
    d = tmp_path / "roll"
    d.mkdir()
    state = FolderState(d, Settings())
    sizes = []
    for i in range(100):
        (d / f"e{i:04}.csv").write_text(rows(f"e{i}-", [1.0] * 30, f"2026-03-{1 + i % 28:02}"))
        old = d / f"e{i - 20:04}.csv"
        if old.exists():
            old.unlink()
        res = state.refresh()
        assert res.received == [d / f"e{i:04}.csv"]
        snap = state.snapshot()
        assert total(snap) == 30.0 * min(i + 1, 20)
        del snap
        if i in (30, 99):
            gc.collect()
            sizes.append(rss())
    assert sizes[1] - sizes[0] < 20_000_000, sizes


def rss() -> int:
    """Resident memory in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_polling_folder_deleted_and_recreated(data, watch):
    m, rec = watch(poll=0.2, settle=0.25)
    rec.wait_total(60.0)
    shutil.rmtree(data)
    rec.wait(lambda: any("folder not found" in e for e in rec.errors))
    data.mkdir()
    (data / "c.csv").write_text(rows("c", [7]))
    rec.wait_total(7.0)
    assert m.alive


def test_moved_in_and_out_of_the_folder(data, tmp_path, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    outside = tmp_path / "outside.csv"
    outside.write_text(rows("m", [9]))
    os.rename(outside, data / "moved.csv")  # no close event for a file moved in
    rec.wait_total(69.0)
    (data / "a.csv").touch()  # attributes only: same figures, nothing breaks
    os.rename(data / "moved.csv", tmp_path / "gone.csv")
    rec.wait_total(60.0)


def test_inotify_watch_limit_falls_back_to_polling(data, watch, monkeypatch):
    import errno

    from kpi_tui.watch import monitor as mon_mod

    real = mon_mod.make_observer

    def limited(root, handler, poll):
        if not poll:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return real(root, handler, poll)

    monkeypatch.setattr(mon_mod, "make_observer", limited)
    monkeypatch.setattr(mon_mod, "FALLBACK_POLL", 0.2)  # poll fast in the test
    m, rec = watch()
    rec.wait_total(60.0)
    assert any("inotify watch limit reached" in e and "polling every 0.2 s instead" in e
               for e in rec.errors)
    (data / "b.csv").write_text(rows("b", [1]))
    rec.wait_total(61.0)


def test_dead_observer_is_restarted(data, watch):
    m, rec = watch()
    rec.wait_total(60.0)
    m._observer.stop()  # the watcher thread dies under us
    rec.wait(lambda: any("watcher stopped; restarting" in e for e in rec.errors))
    time.sleep(0.2)
    (data / "b.csv").write_text(rows("b", [2]))
    rec.wait_total(62.0)


def test_burst_of_50_renamed_files_is_one_recompute(data, watch):
    m, rec = watch(debounce=0.25, max_delay=1.0)
    rec.wait_total(60.0)
    for i in range(50):
        (data / f".r{i:02}.csv.tmp").write_text(rows(f"r{i}-", [2]))
    time.sleep(0.4)
    assert m.computes == 1  # temporary files are ignored
    for i in range(50):
        os.replace(data / f".r{i:02}.csv.tmp", data / f"r{i:02}.csv")
    rec.wait_total(160.0)
    time.sleep(0.5)
    assert m.computes == 2


def test_refresh_reports_progress_per_file_read(tmp_path):
    """The first load tells the screen which file it reads, of how many (progress bar)."""
    for n in (1, 2, 3):
        (tmp_path / f"o{n}.csv").write_text(
            f"order_id,customer_id,created_at,amount\n{n},c{n},2026-01-0{n},10.00\n")
    (tmp_path / "notes.tmp").write_text("ignored")
    seen = []
    state = FolderState(tmp_path, Settings(cache=False))
    state.refresh(progress=lambda done, total, path: seen.append((done, total, path.name)))
    assert seen == [(0, 3, "o1.csv"), (1, 3, "o2.csv"), (2, 3, "o3.csv")]
    seen.clear()
    state.refresh(progress=lambda *a: seen.append(a))
    assert seen == []  # nothing to read again


def test_warm_restart_uses_the_ledger_cache_and_stays_right(tmp_path):
    """A second watcher on an unchanged folder takes the ledger from the cache (no dedupe);
    after a change, the figures follow the folder."""
    for n in (1, 2):
        (tmp_path / f"o{n}.csv").write_text(
            "order_id,customer_id,created_at,amount\n"
            f"{n},c{n},2026-01-0{n},10.00\n3,c3,2026-01-05,7.00\n")
    first = FolderState(tmp_path, Settings())
    first.refresh()
    a = first.snapshot()
    assert first.wait_saved(10)  # saved in the background
    second = FolderState(tmp_path, Settings())
    second.refresh()
    calls = []
    second._assemble = lambda: calls.append(1)  # must not be needed: the ledger is cached
    b = second.snapshot()
    assert calls == [] and b.figures("month") == a.figures("month")
    assert b.figures("month")[0]["revenue"] == 27.0 and b.dataset.rows == 3
    (tmp_path / "o2.csv").write_text("order_id,customer_id,created_at,amount\n"
                                     "2,c2,2026-01-02,50.00\n")
    third = FolderState(tmp_path, Settings())
    third.refresh()
    assert third.snapshot().figures("month")[0]["revenue"] == 67.0
    assert third.wait_saved(10)  # (within this test's cache dir)


def test_restart_after_a_new_export_takes_the_latest_ledger_from_the_cache(tmp_path, monkeypatch):
    """A new export arrives while the first ledger is still being saved: the latest ledger is
    saved after it (it was dropped: the restart read and deduplicated everything again)."""
    from kpi_tui import ledger_cache
    from kpi_tui.watch import state as state_mod

    for n in (1, 2):
        (tmp_path / f"o{n}.csv").write_text(
            "order_id,customer_id,created_at,amount\n"
            f"{n},c{n},2026-01-0{n},10.00\n3,c3,2026-01-05,7.00\n")
    gate, stored, store = threading.Event(), [], ledger_cache.store

    def slow_store(where, ds, ledger):
        gate.wait(10)  # the first save is still under way when the export arrives
        stored.append(where)
        store(where, ds, ledger)

    monkeypatch.setattr(state_mod.ledger_cache, "store", slow_store)
    first = FolderState(tmp_path, Settings())
    first.refresh()
    first.snapshot()
    (tmp_path / "o4.csv").write_text("order_id,customer_id,created_at,amount\n"
                                     "4,c4,2026-01-06,5.00\n")
    assert first.refresh().received == [tmp_path / "o4.csv"]
    latest = first.snapshot().figures("month")
    gate.set()
    assert first.wait_saved(10) and len(stored) == 2
    monkeypatch.setattr(state_mod.ledger_cache, "store", store)
    second = FolderState(tmp_path, Settings())
    second.refresh()
    calls = []
    second._assemble = lambda: calls.append(1)  # must not be needed: the ledger is cached
    snap = second.snapshot()
    assert calls == [] and snap.figures("month") == latest
    assert latest[0]["revenue"] == 32.0 and snap.dataset.rows == 4


def test_monitor_stop_waits_for_the_latest_ledger_and_the_restart_uses_it(data, watch):
    """First read, a new export, stop, restart: the restart's figures come from the ledger
    cache (no assembly) and are the same."""
    m, rec = watch(data)
    rec.wait_total(60.0)
    (data / "b.csv").write_text(rows("b", [5]))
    rec.wait_total(65.0)
    m.stop()
    assert m.state.wait_saved(0)
    again = FolderMonitor(data, Settings(), Recorder().snap, **FAST)
    calls = []
    again.state._assemble = lambda: calls.append(1)
    rec2 = Recorder()
    again.on_snapshot = rec2.snap
    again.start()
    try:
        rec2.wait_total(65.0)
    finally:
        again.stop()
    assert calls == []


def test_first_read_writes_its_parse_cache_entries_after_the_figures(tmp_path):
    """The first read holds its parse-cache entries (both cores read); the ledger's saving
    thread writes them once the figures are out, and a restart reads none of the files."""
    from kpi_tui.ingest import folder

    # headers of their own: each file read alone, with an entry (not with a group)
    (tmp_path / "o1.csv").write_text("order_id,customer_id,created_at,amount\n"
                                     "1,c1,2026-01-01,10.00\n3,c3,2026-01-05,7.00\n")
    (tmp_path / "o2.csv").write_text("order_id,created_at,customer_id,amount\n"
                                     "2,2026-01-02,c2,10.00\n3,2026-01-05,c3,7.00\n")
    first = FolderState(tmp_path, Settings())
    first.refresh()
    assert first.cache.holds and not list(first.cache.root.glob("*.json"))  # none written yet
    a = first.snapshot().figures("month")
    assert first.wait_saved(10) and not first.cache.holds
    assert len(list(first.cache.root.glob("*.json"))) == 2
    parsed = []
    parse = folder.parse_file
    folder.parse_file = lambda *x: parsed.append(x) or parse(*x)
    try:
        second = FolderState(tmp_path, Settings())
        second.refresh()
    finally:
        folder.parse_file = parse
    assert parsed == [] and second.snapshot().figures("month") == a
    (tmp_path / "o3.csv").write_text("order_id,customer_id,created_at,amount\n"
                                     "4,c4,2026-01-06,5.00\n")
    second.refresh()  # a later read writes beside the reading, as before
    assert not second.cache.holds and len(list(second.cache.root.glob("*.json"))) == 3
