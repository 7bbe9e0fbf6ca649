"""The wheel carries everything `syncd db upgrade` and `syncd demo` need, migrations included."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_wheel_ships_migrations_and_runs_outside_the_checkout(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("syncd-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "syncd/migrations/env.py" in names
    assert "syncd/migrations/script.py.mako" in names
    assert any(n.startswith("syncd/migrations/versions/0001_") for n in names)

    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = os.environ | {"PYTHONPATH": str(target)}
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()

    def syncd(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "syncd", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import syncd; print(syncd.__file__)"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))

    config = cwd / "config.toml"
    config.write_text(f'[sync]\ndatabase_url = "sqlite:///{cwd / "state.db"}"\n')
    upgraded = syncd("--config", str(config), "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    newest = max(path.name[:4] for path in (ROOT / "migrations" / "versions").glob("0*.py"))
    assert f"revision {newest}" in upgraded.stdout  # the newest migration, from the wheel
    demo = syncd("demo")
    assert demo.returncode == 0, demo.stderr
