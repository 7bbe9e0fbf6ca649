"""bench/bench_workspace.py still runs: a tiny first pass as the owners and as one identity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench" / "bench_workspace.py"
TINY = ("--users", "3", "--events", "30", "--tagged", "6", "--latency-ms", "1", "--json")


@pytest.mark.parametrize(("scenario", "identities"), [("first-pass", 3), ("one-identity", 1)])
def test_a_tiny_first_pass(scenario: str, identities: int) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--scenario", scenario, *TINY],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["report_ok"] and run["steady_ok"]
    first = run["first"]
    assert first["routes"]["zoom"]["meetings.create"] == 6
    assert first["routes"]["google"]["events.patch"] == 6
    assert first["google_refusals"] == first["zoom_429"] == 0
    assert first["peaks"]["identities"] == identities
    assert run["floor"] > 0 and run["wall_over_floor"] > 0
    assert run["steady"]["routes"] == {"google": {"events.list": 3}, "zoom": {}}
