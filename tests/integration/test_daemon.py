"""`syncd run` under a supervisor: passes on a timer, clean exit on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import CALENDAR, when
from tests.integration.test_cli import toml_for


def start_daemon(config, zoom_sim, tmp_path, interval: float) -> subprocess.Popen:
    path = tmp_path / "config.toml"
    path.write_text(toml_for(config).replace("[sync]", f"[sync]\ninterval_seconds = {interval}"))
    env = os.environ | {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(path), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_daemon_picks_up_new_events_and_stops_on_sigterm(google_sim, zoom_sim, config, tmp_path):
    google_sim.put_event(CALENDAR, {"summary": "One #zoom", **when()})
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.5)
    try:
        wait_for(lambda: len(zoom_sim.meetings()) == 1)
        google_sim.put_event(CALENDAR, {"summary": "Two #zoom", **when(days=2)})
        wait_for(lambda: len(zoom_sim.meetings()) == 2)
        lists_before = google_sim.count("events.list")
        wait_for(lambda: google_sim.count("events.list") >= lists_before + 2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
        print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "syncd stopped" in stderr
    assert len(zoom_sim.meetings()) == 2


def test_sigterm_mid_pass_finishes_the_event_in_hand(
    google_sim, zoom_sim, config, tmp_path, make_app
):
    for i in range(40):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = 0.05
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=60)
    wait_for(lambda: zoom_sim.count("meetings.create") >= 5)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=30)
    print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    created = len(zoom_sim.meetings())
    assert 5 <= created < 40

    app = make_app()
    assert all(link.state == "linked" for link in app.store.all_links())
    assert app.store.calendar(CALENDAR).sync_token is None  # the pass did not finish
    zoom_sim.latency = 0
    assert app.run_pass().ok
    assert len(zoom_sim.meetings()) == 40


def test_a_pass_longer_than_the_interval_is_not_overlapped(google_sim, zoom_sim, config, tmp_path):
    for i in range(10):
        google_sim.put_event(CALENDAR, {"summary": f"M{i} #zoom", **when(days=1 + i / 10)})
    zoom_sim.latency = 0.2  # a first pass of about 2.5 s, against an interval of 0.2 s
    daemon = start_daemon(config, zoom_sim, tmp_path, interval=0.2)
    try:
        wait_for(lambda: google_sim.count("events.patch") == 10)
        time.sleep(1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
        print(stderr)  # what journald would hold: scanned for secrets
    assert daemon.returncode == 0, stderr
    assert len(zoom_sim.meetings()) == 10
    assert zoom_sim.count("meetings.create") == 10
    assert "in work by" not in stderr  # no second pass of this daemon ever started alongside
