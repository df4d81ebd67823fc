"""The layers hold: the import-linter contracts of pyproject.toml, and a core without Textual."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("kpi_tui.session", "kpi_tui.watch.monitor", "kpi_tui.watch.headless", "kpi_tui.alerts",
        "kpi_tui.ledger_cache", "kpi_tui.assembly", "kpi_tui.metrics.customers",
        "kpi_tui.ingest.folder", "kpi_tui.settings", "kpi_tui.fmt")


def test_import_contracts_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    p = subprocess.run([str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in p.stdout


def test_core_leaves_textual_out():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('textual', 'textual_plotext', 'plotext') or m.startswith('kpi_tui.ui') "
              "or m.startswith('kpi_tui.cli')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out == "[]\n"


def test_help_loads_neither_numpy_nor_textual():
    code = ("import sys\nfrom kpi_tui.cli import main\n"
            "try:\n    main(['report', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'numpy', 'pyarrow', 'pandas', 'textual'}), file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True, timeout=120)
    assert p.stderr == "[]\n" and "usage: kpi-tui report" in p.stdout
