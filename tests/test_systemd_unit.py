"""The shipped unit passes systemd's own checks, is sandboxed as tightly as syncd allows, and
the sandbox does not break syncd."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CALENDAR, when
from tests.integration.command import toml_for
from tests.sandbox import restrictions

UNIT = Path(__file__).parents[1] / "systemd" / "syncd.service"
EXPOSURE_TARGET = 1.1  # network access is the floor; a plain unit scores 9.6

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None and not os.environ.get("CI"),
    reason="systemd-analyze not here (CI installs Debian's systemd)",
)


def installed_unit(tmp_path: Path) -> Path:
    """The shipped unit with ExecStart pointing at this checkout's syncd."""
    syncd = Path(sys.executable).parent / "syncd"
    unit = tmp_path / "syncd.service"
    unit.write_text(UNIT.read_text().replace("/opt/syncd/bin/syncd", str(syncd)))
    return unit


def systemd_analyze(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *arguments], capture_output=True, text=True, timeout=60, check=False
    )


@needs_systemd
def test_unit_passes_systemd_analyze_verify(tmp_path):
    result = systemd_analyze("verify", str(installed_unit(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""  # a misspelt key is only a warning


@needs_systemd
def test_unit_exposure_is_at_most_the_target(tmp_path):
    result = systemd_analyze(
        "security", "--offline=true", "--no-pager", str(installed_unit(tmp_path))
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= EXPOSURE_TARGET, result.stdout


@needs_systemd
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_syncd_works_under_the_units_system_call_filter_and_memory_protection(
    config, google_sim, zoom_sim, tmp_path, request, database
):
    """With its secrets where LoadCredential= puts them, on SQLite or PostgreSQL over TCP."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    secrets = {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    for name, value in secrets.items():
        (credentials / name).write_text(value)
    shutil.copy(config.google.credentials_file, credentials / "google.json")
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    text = toml_for(config).replace(
        config.google.credentials_file, "${CREDENTIALS_DIRECTORY}/google.json"
    )
    path = tmp_path / "sandboxed.toml"
    path.write_text(text.replace(config.sync.database_url, url) if url else text)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "SYNCD_"))}
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})

    result = subprocess.run(
        [sys.executable, "-m", "syncd", "--config", str(path), "sync"],
        env=environ | {"CREDENTIALS_DIRECTORY": str(credentials)},
        preexec_fn=restrictions(UNIT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(result.stdout, result.stderr)  # scanned for secrets
    assert result.returncode == 0, result.stderr
    assert len(zoom_sim.meetings()) == 1


@needs_systemd
@pytest.mark.parametrize(
    "probe",
    [
        "os.sched_setaffinity(0, os.sched_getaffinity(0))",  # @resources, denied by the unit
        "mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)",
    ],
)
def test_the_sandbox_in_this_test_really_refuses_what_the_unit_denies(probe):
    run = [sys.executable, "-c", f"import mmap, os; {probe}"]
    assert subprocess.run(run, capture_output=True, timeout=60, check=False).returncode == 0
    result = subprocess.run(
        run, preexec_fn=restrictions(UNIT), capture_output=True, text=True, timeout=60, check=False
    )
    assert "PermissionError" in result.stderr, result.stderr


def test_unit_runs_the_daemon_as_a_notify_service():
    text = UNIT.read_text()
    assert "Type=notify" in text
    assert "ExecStart=/opt/syncd/bin/syncd --config /etc/syncd/config.toml run" in text
    assert "RestartPreventExitStatus=2" in text
    assert "LoadCredential=ZOOM_CLIENT_SECRET:" in text
    assert "WatchdogSec=" in text
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text
    assert "ProcSubset=pid" not in text.replace("No ProcSubset=pid", "")  # hides boot_id


def test_a_config_error_is_the_main_processs_so_it_is_not_restarted():
    """RestartPreventExitStatus= covers the main process only: a config read by an
    ExecStartPre= (exit 2 there) would restart the unit every RestartSec for ever."""
    settings = [line for line in UNIT.read_text().splitlines() if not line.startswith("#")]
    assert not [line for line in settings if line.startswith(("ExecStartPre", "ExecStartPost"))]
    assert "RestartPreventExitStatus=2" in settings
