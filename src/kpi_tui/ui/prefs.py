"""What the monitor remembers between runs (the user's state directory, never the data
folder): the colour theme last chosen."""

from __future__ import annotations

import json
from pathlib import Path


def load_theme(path: Path | None) -> str | None:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8")).get("theme")
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return value if isinstance(value, str) else None


def save_theme(path: Path | None, theme: str) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": theme}), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # a read-only home: the choice lasts this run only
        pass
