"""Running `syncd` as an administrator does: the config file it reads, its one-line errors."""

from __future__ import annotations

import subprocess

from tests.conftest import CALENDAR


def toml_for(config) -> str:
    limits = config.zoom.rate_limits
    return f"""
[sync]
database_url = "{config.sync.database_url}"
[google]
credentials_file = "{config.google.credentials_file}"
calendars = ["{CALENDAR}"]
api_endpoint = "{config.google.api_endpoint}"
requests_per_minute = {config.google.requests_per_minute}
[zoom]
api_base_url = "{config.zoom.api_base_url}"
token_url = "{config.zoom.token_url}"
rate_limits = {{ light = {limits.light}, medium = {limits.medium} }}
"""


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
