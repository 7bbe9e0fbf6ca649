"""The package's layers hold in its imports (import-linter's contracts in pyproject.toml), and
each contract fails when a forbidden import is planted in a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(checkout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(checkout / "pyproject.toml")],
        cwd=checkout,
        env=os.environ | {"PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_its_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("engine/engine.py", "import syncd.adapters.zoom", "Each layer"),
        ("engine/calendar_pass.py", "import syncd.store.repository", "Each layer"),
        ("adapters/zoom.py", "import syncd.config", "Each layer"),
        ("adapters/google_calendar.py", "import syncd.engine.report", "Each layer"),
        ("store/base.py", "import syncd.config", "Each layer"),
        ("core/planner.py", "import syncd.adapters.zoom_body", "Each layer"),
        ("core/timing.py", "import sqlalchemy", "The core and the engine do no I/O"),
        ("engine/executor.py", "import httpx", "The core and the engine do no I/O"),
    ],
)
def test_a_planted_forbidden_import_breaks_its_contract(tmp_path, module, planted, contract):
    shutil.copytree(ROOT / "syncd", tmp_path / "syncd", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "syncd" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}\n", encoding="utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken
    assert f"syncd.{module.removesuffix('.py').replace('/', '.')}" in broken
