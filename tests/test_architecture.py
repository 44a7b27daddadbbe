"""The layers hold: the import contracts in pyproject.toml ([tool.importlinter]) are checked on every run."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "lint-imports"


def test_import_contracts_are_kept() -> None:
    """The domain imports no aiogram, presentation, scheduler, handler or settings module; the scheduler
    imports no handler; the top-level packages form layers, so no import cycle runs between them."""
    import shutil

    exe = shutil.which("lint-imports") or str(LINT_IMPORTS)
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
