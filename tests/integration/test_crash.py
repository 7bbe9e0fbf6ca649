"""kill -9 at each step of the journal, then a restart: one meeting, one block, always."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from syncd.description import find_block
from tests.conftest import CALENDAR, when
from tests.integration.test_cli import toml_for


def sync_process(config, zoom_sim, tmp_path) -> subprocess.Popen:
    path = tmp_path / "config.toml"
    path.write_text(toml_for(config))
    env = os.environ | {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(path), "sync"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def kill_when(process: subprocess.Popen, condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize(
    ("route", "reaches_zoom"),
    [
        ("meetings.create", True),  # Zoom creates the meeting; syncd dies before the answer
        ("meetings.create", False),  # syncd dies before Zoom acts on the request
        ("events.patch", True),  # the meeting exists; syncd dies writing it back
    ],
)
def test_restart_after_kill_9_finishes_without_a_duplicate(
    google_sim, zoom_sim, make_app, config, tmp_path, clock, route, reaches_zoom
):
    event_id = google_sim.put_event(CALENDAR, {"summary": "Planning #zoom", **when()})["id"]
    sim = zoom_sim if route.startswith("meetings") else google_sim
    # The request hangs in the simulator; after the kill it is carried out, or answered 503.
    sim.inject(route, hang=1.5, status=None if reaches_zoom else 503)
    process = sync_process(config, zoom_sim, tmp_path)
    kill_when(process, lambda: sim.in_flight(route) > 0)
    time.sleep(1.7)  # the simulator finishes the request the dead process sent

    report = make_app().run_pass()

    assert report.ok, report
    assert len(zoom_sim.meetings()) == 1
    description = google_sim.event(CALENDAR, event_id)["description"]
    assert find_block(description).meeting_id == zoom_sim.meetings()[0]["id"]
