"""Fixtures for tests that run the `syncd` command in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.command import toml_for


@pytest.fixture
def config_file(config, tmp_path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(toml_for(config))
    return path


@pytest.fixture
def syncd(zoom_sim, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "SYNCD_"))}
    env |= {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }

    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "syncd", *args],
            capture_output=True,
            text=True,
            env=env | (extra_env or {}),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        print(result.stdout, result.stderr, sep="\n")  # what a user sees: scanned for secrets
        return result

    return run
