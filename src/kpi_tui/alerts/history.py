"""Alert history: when each finding started firing, and past ones with the time they ended.

Feed it every evaluate() result with a timestamp. A finding appears when its key first shows
up (started_at), stays while the key is still reported (its message is refreshed), and moves
to the past list with ended_at when the key is no longer reported. Bounded; optionally saved
as JSON in the user's state folder (platformdirs), never in the data folder.

One entry per alert: a finding of a rule that does not depend on the granularity (UNSCOPED:
stale data, skipped files, data warnings, an unreachable source) is kept once, without a scope,
however many granularities are evaluated; it ends when an evaluation of any scope no longer
reports it.

`quiet`: an alert ends only once it has not held for that long (then with ended_at = when it
first stopped holding); reported again before that, it goes on without starting anew. So a
rule that flaps while a burst of exports arrives fires once. A history loaded for a front end
(`load`) uses QUIET; a new one defaults to none (ends at once).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from kpi_tui.alerts.rules import Finding

MAX_PAST = 500
UNSCOPED = frozenset({"stale_data", "files_skipped", "currency_left_out", "data_warning",
                      "source_unreachable"})
QUIET = dt.timedelta(minutes=2)


@dataclass
class Alert:
    finding: Finding
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    scope: str = ""  # e.g. the granularity the finding was evaluated for

    @property
    def key(self) -> str:
        return self.finding.key

    def to_json(self) -> dict:
        return {
            "finding": asdict(self.finding),
            "started_at": self.started_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, d: dict) -> Alert:
        end = d.get("ended_at")
        return cls(
            Finding(**d["finding"]),
            dt.datetime.fromisoformat(d["started_at"]),
            None if end is None else dt.datetime.fromisoformat(end),
            d.get("scope", ""),
        )


def default_path() -> Path:
    """JSON file in platformdirs.user_state_dir("kpi-tui")."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("kpi-tui")) / "alert-history.json"


class AlertHistory:
    def __init__(self, max_past: int = MAX_PAST, path: Path | None = None,
                 quiet: dt.timedelta = dt.timedelta(0)):
        self.max_past = max_past
        self.path = path
        self.quiet = quiet
        self._active: dict[tuple[str, str], Alert] = {}
        self._past: list[Alert] = []
        self._gone: dict[tuple[str, str], dt.datetime] = {}  # active, not held since

    def update(self, findings: list[Finding], at: dt.datetime, scope: str = "") -> list[Alert]:
        """Record the current findings of `scope`; returns the alerts that just started.

        Active alerts of the same scope whose key is not in `findings` end at `at`; other
        scopes are left alone (evaluate each granularity with its own scope, or use one).
        """
        seen = set()
        started = []
        for f in findings:
            k = (_scope(f.rule, scope), f.key)
            if k in seen:
                continue
            seen.add(k)
            gone = self._gone.pop(k, None)
            if gone is not None and at - gone >= self.quiet:  # it stopped long enough
                self._end(k, gone)
            if k in self._active:
                self._active[k].finding = f  # the message may change while it holds
            else:
                a = Alert(f, at, None, k[0])
                self._active[k] = a
                started.append(a)
        for k in [k for k in self._active if k[0] in (scope, "") and k not in seen]:
            gone = self._gone.setdefault(k, at)
            if at - gone >= self.quiet:
                self._end(k, gone)
        del self._past[: max(0, len(self._past) - self.max_past)]
        return started

    def _end(self, k: tuple[str, str], at: dt.datetime) -> None:
        self._gone.pop(k, None)
        self._past.append(replace(self._active.pop(k), ended_at=at))

    def active(self, scope: str | None = None) -> list[Alert]:
        """Alerts firing now, oldest first (of one scope with the unscoped ones, or all)."""
        return [a for a in self._active.values() if scope is None or a.scope in (scope, "")]

    def past(self) -> list[Alert]:
        """Alerts that stopped, most recent end first."""
        return sorted(self._past, key=lambda a: a.ended_at, reverse=True)

    # ---- persistence (optional) ----

    def to_json(self) -> dict:
        return {
            "active": [a.to_json() | ({"gone_at": self._gone[k].isoformat()} if k in self._gone
                                      else {}) for k, a in self._active.items()],
            "past": [a.to_json() for a in self._past],
        }

    def save(self, path: Path | None = None) -> bool:
        """Write the history as JSON (atomically); False if it cannot be written."""
        path = path or self.path or default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
            return True
        except OSError:
            return False

    @classmethod
    def load(cls, path: Path | None = None, max_past: int = MAX_PAST,
             quiet: dt.timedelta = QUIET) -> AlertHistory:
        """A history read from `path` (default: the state folder); empty if missing or broken."""
        path = path or default_path()
        h = cls(max_past, path, quiet)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            for d in data.get("active", []):
                a = Alert.from_json(d)
                a.scope = _scope(a.finding.rule, a.scope)  # saved by an older version
                h._active[(a.scope, a.key)] = a
                if d.get("gone_at"):
                    h._gone[(a.scope, a.key)] = dt.datetime.fromisoformat(d["gone_at"])
            h._past = [Alert.from_json(d) for d in data.get("past", [])][-max_past:]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return h


def _scope(rule: str, scope: str) -> str:
    return "" if rule in UNSCOPED else scope
