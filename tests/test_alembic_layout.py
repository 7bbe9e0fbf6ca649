"""The Alembic layout a developer expects: `alembic.ini` and `migrations/` at the top of the
checkout, where `alembic upgrade`, `alembic check` and `alembic revision --autogenerate` work
as they do in any Alembic project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from syncd.store.migrate import head_revision

ROOT = Path(__file__).parents[1]


def alembic(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_alembic_from_a_checkout_autogenerates_against_the_models(tmp_path):
    checkout = tmp_path / "checkout"  # a copy: autogenerate writes into migrations/versions
    checkout.mkdir()
    shutil.copy(ROOT / "alembic.ini", checkout)
    shutil.copytree(
        ROOT / "migrations", checkout / "migrations", ignore=shutil.ignore_patterns("__pycache__")
    )

    upgraded = alembic(checkout, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert alembic(checkout, "current").stdout.split()[0] == head_revision()
    checked = alembic(checkout, "check")
    assert checked.returncode == 0, checked.stderr  # the models and the migrations agree
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr

    made = alembic(checkout, "revision", "--autogenerate", "--rev-id", "9999", "-m", "probe")
    assert made.returncode == 0, made.stderr
    (new,) = (checkout / "migrations" / "versions").glob("9999_probe.py")
    text = new.read_text()
    assert (
        f'down_revision = "{head_revision()}"' in text
        or f"down_revision = '{head_revision()}'" in text
    )
    assert "op." not in text.split("def upgrade")[1].split("def downgrade")[0]
