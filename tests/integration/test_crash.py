"""kill -9 at each step of the journal, then a restart: one meeting, one block, always."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from syncd.core.description import find_block
from tests.conftest import CALENDAR, child_log, when
from tests.integration.command import toml_for


def sync_process(config, zoom_sim, tmp_path, *, capture: bool = False) -> subprocess.Popen:
    path = tmp_path / "config.toml"
    path.write_text(
        toml_for(config).replace(
            "[sync]", f"[sync]\nretry_max_seconds = {config.sync.retry_max_seconds}"
        )
    )
    env = os.environ | {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    log = None if capture else child_log(tmp_path / f"sync-{time.monotonic_ns()}.log")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(path), "sync"],
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
        text=True,
        env=env,
    )
    if log is not None:
        log.close()
    return process


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

    # Restarted at once, while the dead process's request may still reach Zoom: a create of
    # unknown outcome is not repeated until it can no longer be under way.
    restarted = make_app()
    restarted.run_pass()
    while sim.in_flight(route):
        time.sleep(0.05)
    clock.advance(minutes=2)
    report = restarted.run_pass()

    assert report.ok, report
    assert len(zoom_sim.meetings()) == 1
    description = google_sim.event(CALENDAR, event_id)["description"]
    assert find_block(description).meeting_id == zoom_sim.meetings()[0]["id"]


def test_kill_9_while_retrying_a_queued_event_is_finished_later(
    google_sim, zoom_sim, make_app, config, tmp_path, clock
):
    # The event is queued (Zoom turned it away: too many requests) and the sync token moved
    # on: Google will not list it again, so only the journal can bring the interrupted retry
    # back.
    quick_retry = config.model_copy(
        update={"sync": config.sync.model_copy(update={"retry_max_seconds": 0.2})}
    )
    event_id = google_sim.put_event(CALENDAR, {"summary": "Planning #zoom", **when()})["id"]
    zoom_sim.inject("meetings.create", status=429, headers={"Retry-After": "0"}, times=None)
    make_app(quick_retry).run_pass()
    zoom_sim.clear_faults()
    time.sleep(0.3)
    zoom_sim.inject("meetings.create", hang=1.0)
    process = sync_process(quick_retry, zoom_sim, tmp_path)
    kill_when(process, lambda: zoom_sim.in_flight("meetings.create") > 0)
    while zoom_sim.in_flight("meetings.create"):
        time.sleep(0.05)

    clock.advance(minutes=3)
    report = make_app(quick_retry).run_pass()

    assert report.ok, report
    assert len(zoom_sim.meetings()) == 1
    description = google_sim.event(CALENDAR, event_id)["description"]
    assert find_block(description).meeting_id == zoom_sim.meetings()[0]["id"]


def test_ctrl_c_during_sync_finishes_the_event_in_hand(
    google_sim, zoom_sim, make_app, config, tmp_path
):
    for i in range(30):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = 0.05
    process = sync_process(config, zoom_sim, tmp_path, capture=True)
    deadline = time.monotonic() + 30
    while zoom_sim.count("meetings.create") < 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    print(stdout, stderr, sep="\n")  # what the administrator sees: scanned for secrets

    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "stopping after the event in hand" in stderr
    assert "meetings created" in stdout
    app = make_app()
    assert all(link.state == "linked" for link in app.store.all_links())
    zoom_sim.latency = 0
    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 30
