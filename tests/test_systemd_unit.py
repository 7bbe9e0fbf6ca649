"""The shipped unit passes systemd's own checks and starts syncd the documented way."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[1] / "systemd" / "syncd.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_unit_passes_systemd_analyze_verify(tmp_path):
    syncd = Path(sys.executable).parent / "syncd"
    unit = tmp_path / "syncd.service"
    unit.write_text(UNIT.read_text().replace("/opt/syncd/bin/syncd", str(syncd)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""  # a misspelt key is only a warning


def test_unit_runs_the_daemon_as_a_notify_service():
    text = UNIT.read_text()
    assert "Type=notify" in text
    assert "ExecStart=/opt/syncd/bin/syncd --config /etc/syncd/config.toml run" in text
    assert "RestartPreventExitStatus=2" in text
    assert "LoadCredential=ZOOM_CLIENT_SECRET:" in text
